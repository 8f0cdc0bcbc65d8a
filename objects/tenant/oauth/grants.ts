/**
 * @module Grants: one client's authorization under one Warden session, with its own scopes
 * and its own refresh chain (refresh-chain.ts, with the grant id as the chain id). A client's access tokens carry the grant id as
 * `sid`, so every revoking path of Warden (events, the client library, subscribers,
 * introspection) treats a grant as the sub-session it is. Ending the session ends its grants;
 * ending a grant leaves the session and the other grants alone. A machine client's
 * `client_credentials` tokens live on a grant without session or user.
 *
 * Grants ended with their session send OIDC back-channel logouts (backchannel.ts).
 *
 * One live grant per session and client: redeeming a new code for the same pair supersedes
 * the previous grant (its tokens die), so a session never piles up copies of one app.
 */
import { iso } from "../../../src/clock.ts";
import { randomToken } from "../../../src/crypto/random.ts";
import { due, type TenantCtx } from "../context.ts";
import { appendEvent } from "../events.ts";
import { dropChains } from "../refresh-chain.ts";
import { getSession, isLive } from "../sessions.ts";
import { all, one } from "../sql.ts";
import { queueBackchannelLogout } from "./backchannel.ts";

export interface GrantRow {
  id: string;
  session_id: string | null;
  user_id: string | null;
  client_id: string;
  /** Space-separated granted scopes. */
  scope: string;
  resource: string | null;
  /** Milliseconds since the epoch. */
  auth_time: number | null;
  nonce: string | null;
  created_at: number;
  last_refreshed_at: number | null;
  revoked_at: number | null;
  revoke_reason: string | null;
}

export const scopesOf = (g: Pick<GrantRow, "scope">): string[] => (g.scope ? g.scope.split(" ") : []);

export function getGrant(sql: SqlStorage, id: string): GrantRow | null {
  return one<GrantRow>(sql, "SELECT * FROM grants WHERE id = ?", id);
}

/** Live: not revoked, and (for a user's grant) its session is live. */
export function grantIsLive(sql: SqlStorage, g: GrantRow, now: number): boolean {
  if (g.revoked_at !== null) return false;
  if (g.session_id === null) return true;
  const s = getSession(sql, g.session_id);
  return !!s && isLive(s, now);
}

export interface NewGrant {
  sessionId: string | null;
  userId: string | null;
  clientId: string;
  scope: string[];
  resource: string | null;
  authTime: number | null;
  nonce: string | null;
}

/**
 * Grant ids are `grt_` and 128 random bits: refresh chains of sessions and grants share one
 * table and a refresh token names only its chain, so the shapes must not overlap (a session
 * id is 22 characters).
 */
export const newGrantId = (): string => `grt_${randomToken(16)}`;

function insertGrant(ctx: TenantCtx, n: NewGrant): GrantRow {
  const id = newGrantId();
  ctx.sql.exec(
    "INSERT INTO grants (id, session_id, user_id, client_id, scope, resource, auth_time, nonce, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    id, n.sessionId, n.userId, n.clientId, n.scope.join(" "), n.resource, n.authTime, n.nonce, ctx.now,
  );
  return getGrant(ctx.sql, id)!;
}

/** A user's grant, at code redemption: supersedes a live grant of the same session and client. */
export function createGrant(ctx: TenantCtx, n: NewGrant & { sessionId: string; userId: string }): GrantRow {
  for (const old of all<GrantRow>(ctx.sql, "SELECT * FROM grants WHERE session_id = ? AND client_id = ? AND revoked_at IS NULL", n.sessionId, n.clientId)) {
    revokeGrant(ctx, old, "superseded");
  }
  return insertGrant(ctx, n);
}

/**
 * A machine client's grant for `client_credentials`: one live grant per client, scope and
 * resource, reused by every token request so a busy client does not grow a row per token.
 */
export function machineGrant(ctx: TenantCtx, clientId: string, scope: string[], resource: string | null): GrantRow {
  const s = scope.join(" ");
  const live = one<GrantRow>(
    ctx.sql,
    "SELECT * FROM grants WHERE client_id = ? AND session_id IS NULL AND revoked_at IS NULL AND scope = ? AND resource IS ?",
    clientId, s, resource,
  );
  return live ?? insertGrant(ctx, { sessionId: null, userId: null, clientId, scope, resource, authTime: null, nonce: null });
}

/**
 * Ends one grant: its refresh chain goes, and `session.revoked` with the grant as `sid` tells
 * subscribers and the client library that its access tokens are dead. No-op if already ended.
 */
export function revokeGrant(ctx: TenantCtx, g: GrantRow, reason: string): boolean {
  const n = ctx.sql.exec("UPDATE grants SET revoked_at = ?, revoke_reason = ? WHERE id = ? AND revoked_at IS NULL", ctx.now, reason, g.id).rowsWritten;
  if (n === 0) return false;
  dropChains(ctx.sql, [g.id]);
  appendEvent(ctx, "session.revoked", { sub: g.user_id ?? g.client_id, sid: g.id, reason });
  due(ctx, ctx.now + ctx.settings.retention.revoked_sessions_days * 86_400_000);
  return true;
}

/**
 * Called wherever sessions end (sessions.ts): their grants end with them. `event` is the
 * event each grant gets, or null when the caller logs one that covers them (`user.revoked`,
 * whose newer `ver` kills every token of the user, grant tokens included).
 */
export function endGrantsOfSessions(ctx: TenantCtx, sessionIds: string[], reason: string, event: "session.revoked" | "session.expired" | null): GrantRow[] {
  if (!sessionIds.length) return [];
  const ended = all<GrantRow>(
    ctx.sql,
    "UPDATE grants SET revoked_at = ?, revoke_reason = ? WHERE session_id IN (SELECT value FROM json_each(?)) AND revoked_at IS NULL RETURNING *",
    ctx.now, reason, JSON.stringify(sessionIds),
  );
  for (const g of ended) {
    dropChains(ctx.sql, [g.id]);
    if (event) appendEvent(ctx, event, { sub: g.user_id!, sid: g.id, reason });
  }
  queueBackchannelLogout(ctx, ended);
  return ended;
}

/**
 * Every live grant of a user, when the user's secret rotates (sessions.ts). No event: the
 * caller logs `user.revoked`, whose newer `ver` covers every token of the user.
 */
export function endGrantsOfUser(ctx: TenantCtx, userId: string, reason: string): void {
  const ended = all<GrantRow>(ctx.sql, "UPDATE grants SET revoked_at = ?, revoke_reason = ? WHERE user_id = ? AND revoked_at IS NULL RETURNING *", ctx.now, reason, userId);
  dropChains(ctx.sql, ended.map((g) => g.id));
  queueBackchannelLogout(ctx, ended);
}

/**
 * Every live grant that a user signed in to, in the whole tenant (sessions.ts
 * `revokeAllSessions`); machine grants stay. No event: the caller logs `tenant.revoked`.
 */
export function endUserGrants(ctx: TenantCtx, reason: string): void {
  const ended = all<GrantRow>(ctx.sql, "UPDATE grants SET revoked_at = ?, revoke_reason = ? WHERE session_id IS NOT NULL AND revoked_at IS NULL RETURNING *", ctx.now, reason);
  dropChains(ctx.sql, ended.map((g) => g.id));
  queueBackchannelLogout(ctx, ended);
}

/** Every live grant of a client (deleting it), or only its machine grants (rotating its secret). */
export function endGrantsOfClient(ctx: TenantCtx, clientId: string, reason: string, o: { machineOnly?: boolean } = {}): number {
  const live = all<GrantRow>(ctx.sql, `SELECT * FROM grants WHERE client_id = ? AND revoked_at IS NULL${o.machineOnly ? " AND session_id IS NULL" : ""}`, clientId);
  for (const g of live) revokeGrant(ctx, g, reason);
  return live.length;
}

export interface PublicGrant {
  id: string;
  client_id: string;
  client_name: string | null;
  scope: string;
  resource: string | null;
  created_at: string;
  last_refreshed_at: string | null;
}

/** The live grants of these sessions, for `GET /sessions` and the admin user view. */
export function grantsBySession(sql: SqlStorage, sessionIds: string[]): Map<string, PublicGrant[]> {
  const out = new Map<string, PublicGrant[]>();
  if (!sessionIds.length) return out;
  const rows = all<GrantRow & { client_name: string | null }>(
    sql,
    `SELECT g.*, json_extract(c.metadata, '$.client_name') AS client_name FROM grants g LEFT JOIN clients c ON c.client_id = g.client_id
     WHERE g.session_id IN (SELECT value FROM json_each(?)) AND g.revoked_at IS NULL ORDER BY g.created_at`,
    JSON.stringify(sessionIds),
  );
  for (const g of rows) {
    const list = out.get(g.session_id!) ?? [];
    list.push({ id: g.id, client_id: g.client_id, client_name: g.client_name, scope: g.scope, resource: g.resource, created_at: iso(g.created_at)!, last_refreshed_at: iso(g.last_refreshed_at) });
    out.set(g.session_id!, list);
  }
  return out;
}

/** Alarm job: grants ended longer ago than revoked sessions are kept. */
export function purgeGrants(sql: SqlStorage, before: number, limit: number): number {
  return sql.exec("DELETE FROM grants WHERE id IN (SELECT id FROM grants WHERE revoked_at IS NOT NULL AND revoked_at < ? LIMIT ?)", before, limit).rowsWritten;
}
