/**
 * @module What a presented token is, checked against live state: a session's or a grant's
 * refresh token (its hash must be current in its chain, keyed with the user's current
 * secret), or an access token (signature, then liveness: session, grant, user, `ver`).
 * Shared by introspection (RFC 7662) and revocation (RFC 7009), for API keys and clients.
 */
import type { TenantCtx } from "../context.ts";
import type { Runtime } from "../runtime.ts";
import { getSession, isLive, parseRefreshToken, refreshHash } from "../sessions.ts";
import { one } from "../sql.ts";
import { checkGrantLive, checkLive, type AccessClaims } from "../tokens.ts";
import { getUser } from "../users.ts";
import { getGrant, grantIsLive, type GrantRow } from "./grants.ts";

export type Inspected =
  | { kind: "refresh"; sid: string; grant: GrantRow | null; userId: string; version: number; hash: string }
  | { kind: "access"; claims: AccessClaims; grant: GrantRow | null }
  | null;

/** The async part (unsealing the user secret, verifying a signature), before any transaction. */
export async function inspect(rt: Runtime, ctx: TenantCtx, token: string): Promise<Inspected> {
  const chain = parseRefreshToken(token);
  if (chain) {
    const grant = getGrant(ctx.sql, chain);
    const userId = grant ? grant.user_id : getSession(ctx.sql, chain)?.user_id;
    const u = userId ? getUser(ctx.sql, userId) : null;
    if (!u) return null;
    return { kind: "refresh", sid: chain, grant, userId: u.id, version: u.secret_version, hash: refreshHash(await rt.userSecret(u), token) };
  }
  const claims = await rt.verifyAccess(ctx, token);
  if (!claims) return null;
  return { kind: "access", claims, grant: typeof claims.client_id === "string" ? getGrant(ctx.sql, claims.sid) : null };
}

/** Synchronous: is it live right now? (Inside the caller's transaction when it acts on the answer.) */
export function isActive(ctx: TenantCtx, i: Inspected): boolean {
  if (!i) return false;
  if (i.kind === "access") {
    if (typeof i.claims.client_id !== "string") return checkLive(ctx, i.claims).ok;
    const g = checkGrantLive(ctx, i.claims);
    return !!g && (g.session_id === null || checkLive(ctx, i.claims).ok);
  }
  const user = getUser(ctx.sql, i.userId);
  if (!user || user.status !== "active" || user.secret_version !== i.version) return false;
  const row = one<{ rotated_at: number | null }>(ctx.sql, "SELECT rotated_at FROM refresh_tokens WHERE session_id = ? AND hash = ?", i.sid, i.hash);
  if (!row || row.rotated_at !== null) return false;
  if (i.grant) {
    const g = getGrant(ctx.sql, i.grant.id);
    return !!g && grantIsLive(ctx.sql, g, ctx.now);
  }
  const s = getSession(ctx.sql, i.sid);
  return !!s && isLive(s, ctx.now);
}

/** The client a token was issued to, or null for Warden's own tokens. */
export const clientOf = (i: NonNullable<Inspected>): string | null => (i.grant ? i.grant.client_id : null);

/** RFC 7662 section 2.2: the answer for an active token. */
export function introspection(ctx: TenantCtx, i: NonNullable<Inspected>): Record<string, unknown> {
  if (i.kind === "access") return { active: true, token_type: "access_token", client_id: ctx.slug, ...i.claims };
  const s = i.grant?.session_id ?? i.sid;
  const session = getSession(ctx.sql, s)!;
  const out: Record<string, unknown> = {
    active: true,
    token_type: "refresh_token",
    sub: i.userId,
    sid: i.sid,
    tid: ctx.slug,
    iss: ctx.issuer,
    exp: Math.floor(Math.min(session.expires_at, session.idle_expires_at) / 1000),
    iat: Math.floor((i.grant ? (i.grant.last_refreshed_at ?? i.grant.created_at) : session.last_refreshed_at) / 1000),
  };
  if (i.grant) Object.assign(out, { client_id: i.grant.client_id, scope: i.grant.scope });
  return out;
}
