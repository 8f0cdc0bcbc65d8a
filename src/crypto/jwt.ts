/**
 * @module JWT signing and verification for access tokens and Security Event Tokens (jose).
 * Asymmetric tenant keys (EdDSA, ES256, RS256) are published in the JWKS; HS256 uses a tenant
 * shared secret; `user-HS512` signs with the user's own 512-bit secret (RFC 7518 section 3.2
 * requires a key at least as long as the hash output, which 64 bytes is).
 */
import { exportJWK, exportPKCS8, generateKeyPair, importJWK, importPKCS8, jwtVerify, SignJWT, type JWTPayload } from "jose";
import type { TokenAlg } from "../../schema/settings.ts";
import { b64url, fromB64url } from "./bytes.ts";
import { randomBytes, randomToken } from "./random.ts";

export type JwsAlg = "EdDSA" | "ES256" | "RS256" | "HS256" | "HS512";

export const jwsAlg = (alg: TokenAlg): JwsAlg => (alg === "user-HS512" ? "HS512" : alg);

export interface GeneratedKey {
  kid: string;
  alg: TokenAlg;
  /** PKCS#8 bytes for asymmetric keys, the raw secret for HS256. Sealed before storage. */
  secret: Uint8Array;
  publicJwk: Record<string, unknown> | null;
}

export interface LoadedKey {
  kid: string;
  alg: TokenAlg;
  sign: CryptoKey | Uint8Array;
  verify: CryptoKey | Uint8Array;
}

const ASYM: Record<string, { gen: Parameters<typeof generateKeyPair>[1] }> = {
  EdDSA: { gen: { crv: "Ed25519", extractable: true } },
  ES256: { gen: { extractable: true } },
  RS256: { gen: { modulusLength: 2048, extractable: true } },
};

export async function generateSigningKey(alg: TokenAlg): Promise<GeneratedKey> {
  const kid = randomToken(12);
  if (alg === "HS256") return { kid, alg, secret: randomBytes(32), publicJwk: null };
  if (alg === "user-HS512") throw new Error("user-HS512 keys are per user");
  const { publicKey, privateKey } = await generateKeyPair(alg, ASYM[alg].gen);
  const pem = await exportPKCS8(privateKey);
  const der = fromB64url(pem.replace(/-----[^-]+-----|\s/g, "").replace(/\+/g, "-").replace(/\//g, "_"));
  const jwk = await exportJWK(publicKey);
  return { kid, alg, secret: der, publicJwk: { ...jwk, kid, alg, use: "sig" } };
}

export async function loadSigningKey(kid: string, alg: TokenAlg, secret: Uint8Array, publicJwk: Record<string, unknown> | null): Promise<LoadedKey> {
  if (alg === "HS256") return { kid, alg, sign: secret, verify: secret };
  const b64 = b64url(secret).replace(/-/g, "+").replace(/_/g, "/");
  const pem = `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----`;
  const sign = await importPKCS8(pem, alg);
  const verify = (await importJWK(publicJwk as never, alg)) as CryptoKey;
  return { kid, alg, sign, verify };
}

export function signJwt(payload: JWTPayload, header: { alg: JwsAlg; kid?: string; typ: string }, key: CryptoKey | Uint8Array): Promise<string> {
  return new SignJWT(payload).setProtectedHeader(header).sign(key);
}

export interface VerifyOptions {
  alg: JwsAlg;
  issuer: string;
  /** Undefined: the caller checks `aud` itself (an OAuth client's token names its RFC 8707 resource). */
  audience: string | undefined;
  typ: string;
  nowMs: number;
}

/**
 * Verifies signature and registered claims. Only the tenant's algorithm is accepted (no
 * `none`, no algorithm confusion) and the key is always ours, never from `jku`/`jwk`/`x5u`.
 */
export async function verifyJwt(token: string, key: CryptoKey | Uint8Array, o: VerifyOptions): Promise<JWTPayload | null> {
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: [o.alg],
      issuer: o.issuer,
      audience: o.audience,
      typ: o.typ,
      currentDate: new Date(o.nowMs),
      requiredClaims: ["sub", "exp", "iat"],
    });
    return payload;
  } catch {
    return null;
  }
}

/** The protected header and payload of a compact JWS, unverified; null when malformed. */
export function peekJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } | null {
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) return null;
  try {
    const dec = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
    const header = JSON.parse(dec.decode(fromB64url(parts[0])));
    const payload = JSON.parse(dec.decode(fromB64url(parts[1])));
    if (typeof header !== "object" || !header || typeof payload !== "object" || !payload) return null;
    return { header, payload };
  } catch {
    return null;
  }
}
