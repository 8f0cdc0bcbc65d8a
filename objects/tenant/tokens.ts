/**
 * @module Access tokens: claims built inside the transaction from committed
 * state, signed after the commit, and verified in two steps: the signature and registered
 * claims (async, jose), then liveness against current state (sync, in the caller's
 * transaction): the session is live, the user active, and `ver` is the user's current version.
 */
import type { JWTPayload } from "jose";
import type { AccessTokenClaims } from "../../src/client/types.ts";
import { fail, ok, type Result } from "../../src/errors.ts";
import { jwsAlg, peekJwt, signJwt, verifyJwt } from "../../src/crypto/jwt.ts";
import { randomToken } from "../../src/crypto/random.ts";
import type { Settings } from "../../schema/settings.ts";
import type { TenantCtx } from "./context.ts";
import type { KeyRing } from "./keys.ts";
import { getSession, isLive, type SessionRow } from "./sessions.ts";
import { getGrant, type GrantRow } from "./oauth/grants.ts";
import { getUser, rolesOf, type UserRow } from "./users.ts";
import { one } from "./sql.ts";

/**
 * The claims Warden signs: the wire contract the client library reads (one definition, in
 * src/client/types.ts), with `aud` always a single string here.
 */
export type AccessClaims = AccessTokenClaims & { aud: string };

export const audienceOf = (slug: string, s: Settings): string => s.audience ?? slug;

/**
 * What the user's tokens grant now: their current roles and the union of those roles'
 * scopes. The one place scope is computed, for signing and for introspection alike (an OAuth
 * grant will narrow it to the intersection with what the grant allows).
 */
export function accessOf(ctx: TenantCtx, user: UserRow): { roles: string[]; scope: string } {
  const { roles, scopes } = rolesOf(ctx.sql, user.id);
  return { roles, scope: scopes.join(" ") };
}

export function buildClaims(ctx: TenantCtx, user: UserRow, session: SessionRow): AccessClaims {
  const { roles, scope } = accessOf(ctx, user);
  const iat = Math.floor(ctx.now / 1000);
  return {
    iss: ctx.issuer,
    aud: audienceOf(ctx.slug, ctx.settings),
    sub: user.id,
    tid: ctx.slug,
    sid: session.id,
    ver: user.secret_version,
    roles,
    scope,
    amr: JSON.parse(session.amr),
    auth_time: Math.floor(session.auth_time / 1000),
    email: user.email,
    username: user.username,
    jti: randomToken(16),
    iat,
    exp: iat + ctx.settings.access_ttl_s,
  };
}

export async function signAccessToken(ring: KeyRing, settings: Settings, claims: AccessClaims, userSecret: Uint8Array): Promise<string> {
  const alg = settings.token_alg;
  if (alg === "user-HS512") return signJwt(claims, { alg: "HS512", typ: "at+jwt" }, userSecret);
  const key = ring.current("access_token", alg);
  if (!key) throw new Error(`no current ${alg} signing key`);
  return signJwt(claims, { alg: jwsAlg(alg), kid: key.kid, typ: "at+jwt" }, key.sign);
}

/** Clock skew allowed on `iat` (an object may move to another machine between issuing and verifying). */
const IAT_LEEWAY_MS = 60_000;

/** Fetches the user secret needed to verify a `user-HS512` token. */
export type UserSecretLookup = (userId: string) => Promise<{ secret: Uint8Array; version: number } | null>;

/**
 * Access tokens whose signature a ring key has verified, by token, with the `iss` and `aud`
 * they were verified against. A signature check is a function of the token and the key alone,
 * and a resource server introspects the same token many times over its life: a token found
 * here skips the signature (the ring key must still be there and still sign access tokens)
 * but not one of the checks that can change: `iss` and `aud` against the tenant's current
 * ones, `exp` and `nbf` against the clock, then everything below, and liveness after that.
 * Never for `user-HS512`, whose key is the user's secret. Bounded; the oldest entry goes first.
 */
export class VerifiedTokens {
  readonly #byToken = new Map<string, { kid: string; issuer: string; audience: string | undefined; payload: JWTPayload }>();
  constructor(readonly max = 4_096) {}

  get(token: string, kid: string, issuer: string, audience: string | undefined, nowMs: number): JWTPayload | null {
    const v = this.#byToken.get(token);
    if (!v || v.kid !== kid || v.issuer !== issuer || v.audience !== audience) return null;
    const now = Math.floor(nowMs / 1000);
    // jose's rules: expired once `exp <= now`, not yet valid while `nbf > now`.
    if (typeof v.payload.exp !== "number" || v.payload.exp <= now) return null;
    if (typeof v.payload.nbf === "number" && v.payload.nbf > now) return null;
    return v.payload;
  }

  set(token: string, kid: string, issuer: string, audience: string | undefined, payload: JWTPayload): void {
    if (this.#byToken.size >= this.max) this.#byToken.delete(this.#byToken.keys().next().value!);
    this.#byToken.set(token, { kid, issuer, audience, payload });
  }

  clear(): void {
    this.#byToken.clear();
  }
}

/**
 * Step one: signature and registered claims. Refuses `alg: none`, any algorithm other than
 * the tenant's, keys that do not sign access tokens (the SET key), header-supplied keys
 * (`jku`, `jwk`, `x5u`, `x5c`), wrong `iss`/`aud`/`typ`, expired and not-yet-valid tokens,
 * and tokens of another tenant.
 */
export async function verifyAccessToken(
  token: string,
  o: { ring: KeyRing; settings: Settings; slug: string; issuer: string; now: number; userSecret: UserSecretLookup; verified?: VerifiedTokens },
): Promise<AccessClaims | null> {
  const peek = peekJwt(token);
  if (!peek) return null;
  const { header, payload } = peek;
  const alg = jwsAlg(o.settings.token_alg);
  if (header.alg !== alg || header.typ !== "at+jwt") return null;
  if ("jku" in header || "jwk" in header || "x5u" in header || "x5c" in header || "crit" in header) return null;
  // A client's token may carry an RFC 8707 resource as `aud`; `checkGrantLive` holds it to its grant's.
  const audience = typeof payload.client_id === "string" ? undefined : audienceOf(o.slug, o.settings);
  let claims: JWTPayload | null;
  if (o.settings.token_alg === "user-HS512") {
    if (typeof payload.sub !== "string") return null;
    const us = await o.userSecret(payload.sub);
    if (!us) return null;
    claims = await verifyJwt(token, us.secret, { alg, issuer: o.issuer, audience, typ: "at+jwt", nowMs: o.now });
  } else {
    if (typeof header.kid !== "string") return null;
    const k = o.ring.get(header.kid);
    if (!k || k.purpose !== "access_token" || k.alg !== o.settings.token_alg) return null;
    claims = o.verified?.get(token, header.kid, o.issuer, audience, o.now) ?? null;
    if (!claims) {
      claims = await verifyJwt(token, k.verify, { alg, issuer: o.issuer, audience, typ: "at+jwt", nowMs: o.now });
      if (claims) o.verified?.set(token, header.kid, o.issuer, audience, claims);
    }
  }
  if (!claims) return null;
  // jose checks `iat` only against a maxTokenAge; a token issued in the future is not valid yet.
  if (typeof claims.iat !== "number" || claims.iat * 1000 > o.now + IAT_LEEWAY_MS) return null;
  // Warden signs exactly `exp = iat + access_ttl_s`: a longer lifetime was signed by someone
  // else holding the key (an HS256 tenant's shared secret), or before the TTL was shortened.
  if (typeof claims.exp !== "number" || claims.exp - claims.iat > o.settings.access_ttl_s) return null;
  if (claims.tid !== o.slug || typeof claims.sid !== "string" || typeof claims.ver !== "number") return null;
  return claims as AccessClaims;
}

export interface Principal {
  claims: AccessClaims;
  user: UserRow;
  session: SessionRow;
  /** The OAuth grant a client's token lives on (its `sid`); null for Warden's own tokens. */
  grant: GrantRow | null;
}

/**
 * A client's token (`client_id` claim) names its grant as `sid`: the grant must be live and
 * the client's, and its session live. Machine grants (client_credentials) have no session.
 */
export function checkGrantLive(ctx: TenantCtx, claims: AccessClaims): GrantRow | null {
  if (typeof claims.client_id !== "string") return null;
  const g = getGrant(ctx.sql, claims.sid);
  if (!g || g.revoked_at !== null || g.client_id !== claims.client_id) return null;
  if (claims.aud !== (g.resource ?? audienceOf(ctx.slug, ctx.settings))) return null;
  if (g.session_id === null) return g.user_id === null && claims.sub === g.client_id && one(ctx.sql, "SELECT 1 AS x FROM clients WHERE client_id = ?", g.client_id) ? g : null;
  return g.user_id === claims.sub ? g : null;
}

/** Step two, synchronous: is what the token names still alive right now? */
export function checkLive(ctx: TenantCtx, claims: AccessClaims): Result<Principal> {
  const grant = typeof claims.client_id === "string" ? checkGrantLive(ctx, claims) : null;
  if (typeof claims.client_id === "string" && (!grant || grant.session_id === null)) return fail("invalid_token");
  const session = getSession(ctx.sql, grant ? grant.session_id! : claims.sid);
  if (!session || !isLive(session, ctx.now) || session.user_id !== claims.sub) return fail("invalid_token");
  const user = getUser(ctx.sql, claims.sub);
  if (!user || user.status !== "active" || user.secret_version !== claims.ver) return fail("invalid_token");
  return ok({ claims, user, session, grant });
}
