/**
 * @module ID tokens (OpenID Connect Core 1.0 section 2) and the `id_token_hint` check of
 * RP-initiated logout. Signed with the tenant's RS256 key (made when first needed and published
 * in the JWKS; OIDC Discovery section 3 requires RS256) or its EdDSA / ES256 key, per client
 * (`id_token_signed_response_alg`); never the shared HS256 secret (section 10.1).
 */
import { compactVerify } from "jose";
import { b64url, utf8 } from "../../../src/crypto/bytes.ts";
import { peekJwt, signJwt } from "../../../src/crypto/jwt.ts";
import { randomToken } from "../../../src/crypto/random.ts";
import type { IdTokenAlg } from "../../../schema/clients.ts";
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
 * The key for `alg`, made and installed when the tenant has none yet (only RS256 can be
 * missing: every tenant has EdDSA, and ES256 is offered only where the tenant signs with it).
 * The key is committed before anything it signs leaves, so the JWKS already lists it.
 */
export async function idTokenKey(rt: Runtime, ctx: TenantCtx, alg: IdTokenAlg): Promise<LoadedKey | null> {
  const have = rt.ring.current(alg);
  if (have || alg !== "RS256") return have;
  const prepared = await rt.ring.prepare("RS256");
  rt.tx(ctx, () => {
    if (!rt.ring.current("RS256")) rt.ring.install(ctx, prepared);
  });
  await rt.commit(ctx);
  return rt.ring.current("RS256");
}

/** Algorithms this tenant can sign ID tokens with (for discovery and client validation). */
export function idTokenAlgs(tokenAlg: string): IdTokenAlg[] {
  return tokenAlg === "ES256" ? ["RS256", "EdDSA", "ES256"] : ["RS256", "EdDSA"];
}

/** OIDC Core section 3.1.3.6: the left half of the hash named by the JWS algorithm. */
export async function atHash(token: string, alg: IdTokenAlg): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest(alg === "EdDSA" ? "SHA-512" : "SHA-256", utf8(token)));
  return b64url(digest.slice(0, digest.length / 2));
}

export async function signIdToken(rt: Runtime, ctx: TenantCtx, i: IdTokenInput): Promise<string> {
  const key = await idTokenKey(rt, ctx, i.alg);
  if (!key) throw new Error(`no ${i.alg} key for ID tokens`);
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
  if (!key || key.alg === "HS256" || header.alg !== key.alg) return null;
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
