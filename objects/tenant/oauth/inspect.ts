/**
 * @module What a presented token is, checked against live state: a refresh token of a
 * session's or a grant's chain (refresh-chain.ts; keyed with the user's current secret), or an
 * access token (signature, then liveness: session, grant, user, `ver`). Shared by
 * introspection (RFC 7662) and revocation (RFC 7009), for API keys and OAuth clients, so the
 * two read tokens the same way.
 */
import { chainTokenState, parseChainToken } from "../refresh-chain.ts";
import type { TenantCtx } from "../context.ts";
import type { Runtime } from "../runtime.ts";
import { getSession, isLive } from "../sessions.ts";
import { authTimeOf } from "../step-up.ts";
import { accessOf, audienceOf, checkGrantLive, checkLive, type AccessClaims } from "../tokens.ts";
import { getUser } from "../users.ts";
import { liveScopes } from "./claims.ts";
import { getGrant, grantIsLive, scopesOf, type GrantRow } from "./grants.ts";

export type Inspected =
  | { kind: "refresh"; token: string; chainId: string; grant: GrantRow | null; userId: string; version: number; secret: Uint8Array }
  | { kind: "access"; claims: AccessClaims; grant: GrantRow | null }
  | null;

/** The async part (unsealing the user secret, verifying a signature), before any transaction. */
export async function inspect(rt: Runtime, ctx: TenantCtx, token: string): Promise<Inspected> {
  const chainId = parseChainToken(token)?.chainId;
  if (chainId) {
    const grant = getGrant(ctx.sql, chainId);
    const userId = grant ? grant.user_id : getSession(ctx.sql, chainId)?.user_id;
    const u = userId ? getUser(ctx.sql, userId) : null;
    if (!u) return null;
    return { kind: "refresh", token, chainId, grant, userId: u.id, version: u.secret_version, secret: await rt.userSecret(u) };
  }
  const claims = await rt.verifyAccess(ctx, token);
  if (!claims) return null;
  return { kind: "access", claims, grant: typeof claims.client_id === "string" ? getGrant(ctx.sql, claims.sid) : null };
}

/**
 * Synchronous: is it live right now? A refresh token must be its chain's current one, or, with
 * `anyGeneration` (revocation: a superseded token is reuse anyway), any token of the chain
 * issued under the current secret; a forgery never counts.
 */
export function isActive(ctx: TenantCtx, i: Inspected, o: { anyGeneration?: boolean } = {}): boolean {
  if (!i) return false;
  if (i.kind === "access") {
    if (typeof i.claims.client_id !== "string") return checkLive(ctx, i.claims).ok;
    const g = checkGrantLive(ctx, i.claims);
    return !!g && (g.session_id === null || checkLive(ctx, i.claims).ok);
  }
  const user = getUser(ctx.sql, i.userId);
  if (!user || user.status !== "active" || user.secret_version !== i.version) return false;
  const state = chainTokenState(ctx, i.chainId, i.secret, i.token).kind;
  if (o.anyGeneration ? state === "unknown" : state !== "current") return false;
  if (i.grant) {
    const g = getGrant(ctx.sql, i.grant.id);
    return !!g && grantIsLive(ctx.sql, g, ctx.now);
  }
  const s = getSession(ctx.sql, i.chainId);
  return !!s && isLive(s, ctx.now);
}

/** The client a token was issued to, or null for Warden's own tokens. */
export const clientOf = (i: NonNullable<Inspected>): string | null => (i.grant ? i.grant.client_id : null);

/** The scopes of a client's token as they hold now: what it was issued with, still granted and still held. */
function grantScopeNow(ctx: TenantCtx, claims: AccessClaims, g: GrantRow): string {
  const issued = new Set(claims.scope.split(" "));
  const granted = g.user_id ? liveScopes(ctx.sql, g.user_id, scopesOf(g)) : scopesOf(g);
  return granted.filter((s) => issued.has(s)).join(" ");
}

const INACTIVE = { active: false } as const;

/**
 * RFC 7662 section 2.2, answered from live state: the session (or grant), the user's status,
 * `secret_version`, roles and scope as they are now; only `jti`, `iat` and `exp` come from the
 * token, so a validly signed token cannot widen what it grants. `{active: false}` for anything
 * not live. An access token with a user is checked once, by `checkLive`, whose rows the answer
 * is built from; the other kinds by `isActive` first.
 */
export function introspection(ctx: TenantCtx, i: Inspected): Record<string, unknown> {
  if (!i) return INACTIVE;
  const userToken = i.kind === "access" && !(i.grant && i.grant.user_id === null);
  if (!userToken && !isActive(ctx, i)) return INACTIVE;
  return answer(ctx, i);
}

function answer(ctx: TenantCtx, i: NonNullable<Inspected>): Record<string, unknown> {
  if (i.kind === "refresh") {
    const s = getSession(ctx.sql, i.grant?.session_id ?? i.chainId)!;
    const out: Record<string, unknown> = {
      active: true,
      token_type: "refresh_token",
      sub: i.userId,
      sid: i.chainId,
      tid: ctx.slug,
      iss: ctx.issuer,
      exp: Math.floor(Math.min(s.expires_at, s.idle_expires_at) / 1000),
      iat: Math.floor((i.grant ? (i.grant.last_refreshed_at ?? i.grant.created_at) : s.last_refreshed_at) / 1000),
    };
    if (i.grant) Object.assign(out, { client_id: i.grant.client_id, scope: i.grant.scope });
    return out;
  }
  const { claims, grant } = i;
  const base = { active: true, token_type: "access_token", iss: ctx.issuer, tid: ctx.slug, jti: claims.jti, iat: claims.iat, exp: claims.exp };
  if (grant && grant.user_id === null) {
    return { ...base, client_id: grant.client_id, aud: claims.aud, sub: grant.client_id, sid: grant.id, ver: 0, roles: [], scope: grantScopeNow(ctx, claims, grant), amr: [], auth_time: claims.auth_time, email: null, username: null };
  }
  const live = checkLive(ctx, claims);
  if (!live.ok) return INACTIVE;
  const { user, session } = live.value;
  const { roles, scope } = accessOf(ctx, user);
  if (grant) {
    const scope = grantScopeNow(ctx, claims, grant);
    const has = new Set(scope.split(" "));
    return {
      ...base,
      client_id: grant.client_id,
      aud: claims.aud,
      sub: user.id,
      sid: grant.id,
      ver: user.secret_version,
      roles,
      scope,
      amr: JSON.parse(session.amr),
      auth_time: claims.auth_time,
      email: has.has("email") ? user.email : null,
      username: has.has("profile") ? user.username : null,
    };
  }
  return {
    ...base,
    client_id: ctx.slug,
    aud: audienceOf(ctx.slug, ctx.settings),
    sub: user.id,
    sid: session.id,
    ver: user.secret_version,
    roles,
    scope,
    amr: JSON.parse(session.amr),
    auth_time: Math.floor(authTimeOf(claims, session) / 1000),
    email: user.email,
    username: user.username,
  };
}
