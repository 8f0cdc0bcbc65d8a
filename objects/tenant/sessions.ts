/**
 * @module Sessions. Each session owns one refresh chain (`refresh-chain.ts`, chain id = session
 * id): every refresh rotates it, a rotated token presented again within
 * `refresh_reuse_grace_s` gets the same successor back (concurrent tabs), and any other use
 * of a superseded token is reuse, which revokes the whole session. Ending a session ends its
 * OAuth grants (oauth/grants.ts).
 */
import { iso } from "../../src/clock.ts";
import { sessionId } from "../../src/crypto/random.ts";
import { due, type RequestMeta, type TenantCtx } from "./context.ts";
import { appendEvent } from "./events.ts";
import { dropChains, restartChain, rotateChain, startChain } from "./refresh-chain.ts";
import { endGrantsOfSessions, endGrantsOfUser, endUserGrants } from "./oauth/grants.ts";
import { all, one, run } from "./sql.ts";

export interface SessionRow {
  id: string;
  user_id: string;
  created_at: number;
  last_refreshed_at: number;
  expires_at: number;
  idle_expires_at: number;
  due_at: number;
  amr: string;
  /** When the user last proved a factor in this session (ms): sign-in or step-up, never a refresh. */
  auth_time: number;
  ip: string | null;
  user_agent: string | null;
  revoked_at: number | null;
  revoke_reason: string | null;
  /** The passkey that signed the session in, if one did: removing it ends the session. */
  passkey_id: string | null;
  /** SHA-256 of the hosted pages' browser cookie bound to this session, if any (see browser.ts). */
  browser_hash: string | null;
}

export function getSession(sql: SqlStorage, id: string): SessionRow | null {
  return one<SessionRow>(sql, "SELECT * FROM sessions WHERE id = ?", id);
}

export function isLive(s: SessionRow, now: number): boolean {
  return s.revoked_at === null && now < s.expires_at && now < s.idle_expires_at;
}

/**
 * Starts a live session's refresh chain again with a new token keyed to `secret`: for a
 * session that carries on after its user's secret rotated, or after a step-up. Every earlier
 * token of the session is dead, and (retired, not stolen) unknown rather than reuse.
 */
export function replaceRefreshToken(ctx: TenantCtx, sid: string, secret: Uint8Array): string {
  return restartChain(ctx, sid, secret);
}

export function createSession(ctx: TenantCtx, userId: string, secret: Uint8Array, amr: string[], meta: RequestMeta, passkeyId: string | null = null): { session: SessionRow; refreshToken: string } {
  const id = sessionId();
  const s = ctx.settings;
  const expires = ctx.now + s.refresh_ttl_s * 1000;
  const idle = Math.min(expires, ctx.now + s.refresh_idle_ttl_s * 1000);
  ctx.sql.exec(
    `INSERT INTO sessions (id, user_id, created_at, last_refreshed_at, expires_at, idle_expires_at, due_at, amr, auth_time, ip, user_agent, passkey_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    id, userId, ctx.now, ctx.now, expires, idle, idle, JSON.stringify(amr), ctx.now, meta.ip?.slice(0, 64) ?? null, meta.userAgent?.slice(0, 512) ?? null, passkeyId,
  );
  due(ctx, idle);
  const refreshToken = startChain(ctx, id, secret);
  return { session: getSession(ctx.sql, id)!, refreshToken };
}

export type RefreshOutcome =
  | { kind: "rotated"; session: SessionRow; refreshToken: string; grace: boolean }
  | { kind: "unknown" }
  | { kind: "reuse"; session: SessionRow };

/**
 * The heart of refresh, synchronous inside one transaction. The caller has checked that the
 * session is live and the user active, and passes the secret for the user's current version.
 * A grace answer (the same successor again) slides the idle expiry like a rotation.
 */
export function rotateRefreshToken(ctx: TenantCtx, session: SessionRow, secret: Uint8Array, token: string): RefreshOutcome {
  const out = rotateChain(ctx, session.id, secret, token);
  if (out.kind === "unknown") return out;
  if (out.kind === "reuse") {
    revokeSession(ctx, session, "refresh_reuse");
    return { kind: "reuse", session };
  }
  const idle = Math.min(session.expires_at, ctx.now + ctx.settings.refresh_idle_ttl_s * 1000);
  // `due_at` stays: moving it would rewrite the alarm's index on every refresh. The alarm finds
  // the session due at its old idle expiry and moves `due_at` on then (`expireDueSessions`).
  ctx.sql.exec("UPDATE sessions SET last_refreshed_at = ?, idle_expires_at = ? WHERE id = ?", ctx.now, idle, session.id);
  // The row as just written, without reading it back.
  return { kind: "rotated", session: { ...session, last_refreshed_at: ctx.now, idle_expires_at: idle }, refreshToken: out.token, grace: out.kind === "grace" };
}

/** Revokes one live session and logs `session.revoked` (or `session.expired`). No-op if already revoked. */
export function revokeSession(ctx: TenantCtx, s: SessionRow, reason: string, type: "session.revoked" | "session.expired" = "session.revoked"): boolean {
  const n = run(ctx.sql, "UPDATE sessions SET revoked_at = ?, revoke_reason = ? WHERE id = ? AND revoked_at IS NULL", ctx.now, reason, s.id);
  if (n === 0) return false;
  dropChains(ctx.sql, [s.id]);
  appendEvent(ctx, type, { sub: s.user_id, sid: s.id, reason });
  endGrantsOfSessions(ctx, [s.id], reason, type);
  due(ctx, ctx.now + ctx.settings.retention.revoked_sessions_days * 86_400_000);
  return true;
}

/**
 * Marks every live session of the user revoked, without an event each: the caller logs one
 * `user.revoked` (a newer `ver`) that covers them all. Returns the revoked session ids.
 */
export function revokeUserSessions(ctx: TenantCtx, userId: string, reason: string, keep?: string): string[] {
  const ids = all<{ id: string }>(
    ctx.sql,
    "UPDATE sessions SET revoked_at = ?, revoke_reason = ? WHERE user_id = ? AND revoked_at IS NULL AND id != ? RETURNING id",
    ctx.now, reason, userId, keep ?? "",
  ).map((r) => r.id);
  dropChains(ctx.sql, ids);
  // Every grant of the user, the kept session's too: the secret rotation around this call has
  // killed their refresh tokens (keyed with the old secret) and access tokens (older `ver`).
  endGrantsOfUser(ctx, userId, reason);
  if (ids.length) due(ctx, ctx.now + ctx.settings.retention.revoked_sessions_days * 86_400_000);
  return ids;
}

/**
 * Marks every live session of the tenant revoked (an operator signing everyone out), with their
 * refresh chains and every OAuth grant a user signed in to, without an event each: the caller
 * logs one `tenant.revoked`, which covers every user token issued before it. Machine grants
 * (`client_credentials`) are not sessions and live on. One statement per table, in the
 * caller's transaction. Returns how many sessions ended.
 */
export function revokeAllSessions(ctx: TenantCtx, reason: string): number {
  // Live ones only: a session past its expiry that the alarm has not swept yet ends as expired.
  const ids = all<{ id: string }>(
    ctx.sql,
    "UPDATE sessions SET revoked_at = ?, revoke_reason = ? WHERE revoked_at IS NULL AND expires_at > ? AND idle_expires_at > ? RETURNING id",
    ctx.now, reason, ctx.now, ctx.now,
  ).map((r) => r.id);
  dropChains(ctx.sql, ids);
  endUserGrants(ctx, reason);
  if (ids.length) due(ctx, ctx.now + ctx.settings.retention.revoked_sessions_days * 86_400_000);
  return ids.length;
}

export interface PublicSession {
  id: string;
  created_at: string;
  last_refreshed_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
  amr: string[];
  current: boolean;
  online: boolean;
}

export function listLiveSessions(sql: SqlStorage, userId: string, now: number): SessionRow[] {
  return all<SessionRow>(
    sql,
    "SELECT * FROM sessions WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? AND idle_expires_at > ? ORDER BY created_at DESC",
    userId, now, now,
  );
}

export function toPublicSession(s: SessionRow, currentSid: string | null, online: boolean): PublicSession {
  return {
    id: s.id,
    created_at: iso(s.created_at)!,
    last_refreshed_at: iso(s.last_refreshed_at)!,
    expires_at: iso(Math.min(s.expires_at, s.idle_expires_at))!,
    ip: s.ip,
    user_agent: s.user_agent,
    amr: JSON.parse(s.amr),
    current: s.id === currentSid,
    online,
  };
}

/**
 * Alarm job: takes up to `limit` sessions whose `due_at` has come. Those refreshed since (a
 * refresh leaves `due_at` alone) get their real expiry as `due_at`; the others end, with
 * set-based statements and one `session.expired` event each. Returns how many were taken, so
 * the alarm knows whether a backlog remains.
 */
export function expireDueSessions(ctx: TenantCtx, limit: number): number {
  const rows = all<{ id: string; user_id: string; live: number }>(
    ctx.sql,
    "SELECT id, user_id, MIN(expires_at, idle_expires_at) > ? AS live FROM sessions WHERE revoked_at IS NULL AND due_at <= ? ORDER BY due_at LIMIT ?",
    ctx.now, ctx.now, limit,
  );
  const live = rows.filter((r) => r.live).map((r) => r.id);
  const ended = rows.filter((r) => !r.live);
  if (live.length) {
    ctx.sql.exec("UPDATE sessions SET due_at = MIN(expires_at, idle_expires_at) WHERE id IN (SELECT value FROM json_each(?))", JSON.stringify(live));
  }
  if (ended.length) {
    const ids = JSON.stringify(ended.map((r) => r.id));
    ctx.sql.exec("UPDATE sessions SET revoked_at = ?, revoke_reason = 'expired' WHERE id IN (SELECT value FROM json_each(?))", ctx.now, ids);
    dropChains(ctx.sql, ended.map((r) => r.id));
    for (const r of ended) appendEvent(ctx, "session.expired", { sub: r.user_id, sid: r.id, reason: "expired" });
    endGrantsOfSessions(ctx, ended.map((r) => r.id), "expired", "session.expired");
    due(ctx, ctx.now + ctx.settings.retention.revoked_sessions_days * 86_400_000);
  }
  return rows.length;
}
