/**
 * @module ID tokens (OpenID Connect Core 1.0 section 2) and the `id_token_hint` check of
 * RP-initiated logout. Signed with the tenant's ID-token key of the client's
 * `id_token_signed_response_alg`: RS256 (OIDC Discovery section 3 requires it), EdDSA or
 * ES256, made when first needed and published in the JWKS; never the shared HS256 secret
 * (section 10.1), and never a key of another purpose.
 */
import { compactVerify } from "jose";
import { b64url, utf8 } from "../../../src/crypto/bytes.ts";
import { peekJwt, signJwt } from "../../../src/crypto/jwt.ts";
import { randomToken } from "../../../src/crypto/random.ts";
import { ID_TOKEN_ALGS, type IdTokenAlg } from "../../../schema/clients.ts";
import type { TenantCtx } from "../context.ts";
import type { LoadedKey } from "../../../src/crypto/jwt.ts";
import type { Runtime } from "../runtime.ts";

/** The ID token lives as long as the access token it comes with. */
export interface IdTokenInput {
  clientId: string;
  alg: IdTokenAlg;
  sub: string;
  /** The Warden session (OIDC `sid`, Front/Back-Channel Logout section 2.1). */
  sid: string;
  /** Milliseconds since the epoch. */
  authTime: number;
  nonce: string | null;
  amr: string[];
  accessToken: string;
  ttlS: number;
  /** Claims released by scope (`email`, `preferred_username`, ...). */
  extra?: Record<string, unknown>;
}

/**
 * The tenant's ID-token key for `alg` (purpose `id_token`, `warden_use: "id_token"` in the
 * JWKS: it signs ID tokens and back-channel logout tokens, never access tokens or SETs), made
 * and installed the first time a client needs it. The key is committed before anything it
 * signs leaves, so the JWKS already lists it.
 */
export async function idTokenKey(rt: Runtime, ctx: TenantCtx, alg: IdTokenAlg): Promise<LoadedKey> {
  const have = rt.ring.current("id_token", alg);
  if (have) return have;
  const prepared = await rt.ring.prepare("id_token", alg);
  rt.tx(ctx, () => {
    if (!rt.ring.current("id_token", alg)) rt.ring.install(ctx, prepared);
  });
  await rt.commit(ctx);
  return rt.ring.current("id_token", alg)!;
}

/** Algorithms any tenant signs ID tokens with (each its own `id_token` key, made when first needed). */
export const idTokenAlgs = (): IdTokenAlg[] => [...ID_TOKEN_ALGS];

/** OIDC Core section 3.1.3.6: the left half of the hash named by the JWS algorithm. */
export async function atHash(token: string, alg: IdTokenAlg): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest(alg === "EdDSA" ? "SHA-512" : "SHA-256", utf8(token)));
  return b64url(digest.slice(0, digest.length / 2));
}

export async function signIdToken(rt: Runtime, ctx: TenantCtx, i: IdTokenInput): Promise<string> {
  const key = await idTokenKey(rt, ctx, i.alg);
  const iat = Math.floor(ctx.now / 1000);
  const claims: Record<string, unknown> = {
    ...i.extra,
    iss: ctx.issuer,
    sub: i.sub,
    aud: i.clientId,
    azp: i.clientId,
    iat,
    exp: iat + i.ttlS,
    auth_time: Math.floor(i.authTime / 1000),
    amr: i.amr,
    sid: i.sid,
    at_hash: await atHash(i.accessToken, i.alg),
    jti: randomToken(16),
  };
  if (i.nonce !== null) claims.nonce = i.nonce;
  return signJwt(claims, { alg: i.alg, kid: key.kid, typ: "JWT" }, key.sign);
}

export interface IdTokenHint {
  sub: string;
  sid: string;
  /** The client the hint was issued to. */
  aud: string;
  iat: number;
  exp: number;
}

/**
 * An `id_token_hint` we issued: our signature, our issuer, a single audience. An expired
 * hint still counts (OIDC RP-Initiated Logout 1.0 section 2: the OP should accept it, the
 * user is logging out after all); anything else wrong → null.
 */
export async function verifyIdTokenHint(rt: Runtime, ctx: TenantCtx, token: string): Promise<IdTokenHint | null> {
  const peek = peekJwt(token);
  if (!peek) return null;
  const { header } = peek;
  if (typeof header.kid !== "string" || header.typ !== "JWT" || "jku" in header || "jwk" in header || "x5u" in header || "x5c" in header || "crit" in header) return null;
  const key = rt.ring.get(header.kid);
  if (!key || key.purpose !== "id_token" || header.alg !== key.alg) return null;
  let payload: Record<string, unknown>;
  try {
    const v = await compactVerify(token, key.verify as CryptoKey, { algorithms: [key.alg] });
    payload = JSON.parse(new TextDecoder().decode(v.payload));
  } catch {
    return null;
  }
  const aud = Array.isArray(payload.aud) ? (payload.aud.length === 1 ? payload.aud[0] : null) : payload.aud;
  if (payload.iss !== ctx.issuer || typeof aud !== "string" || typeof payload.sub !== "string" || typeof payload.sid !== "string") return null;
  if (typeof payload.iat !== "number" || typeof payload.exp !== "number" || typeof payload.auth_time !== "number") return null;
  return { sub: payload.sub, sid: payload.sid, aud, iat: payload.iat, exp: payload.exp };
}
