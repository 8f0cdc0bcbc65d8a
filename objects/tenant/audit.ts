/**
 * @module The tenant's tamper-evident audit log. Each row stores the previous row's hash and
 * SHA-256 over that hash and its own canonical content, so editing or deleting a row breaks
 * every link after it. Each entry also becomes one Analytics Engine data point via the outbox.
 */
import { iso } from "../../src/clock.ts";
import { sha256Hex } from "../../src/crypto/digest.ts";
import type { RequestMeta, TenantCtx } from "./context.ts";
import { enqueue } from "./outbox.ts";
import { all, one } from "./sql.ts";

export type AuditType =
  | "signup"
  | "login.success"
  | "login.failure"
  | "login.locked"
  | "refresh"
  | "refresh.reuse"
  | "logout"
  | "logout_all"
  | "session.revoked"
  | "credential.change"
  | "user.deleted"
  | "user.updated"
  | "user.disabled"
  | "user.enabled"
  | "user.revoked"
  | "user.unlocked"
  | "user.imported"
  | "users.exported"
  | "mfa.enrolled"
  | "mfa.disabled"
  | "mfa.recovery_codes"
  | "mfa.failure"
  | "mfa.reset"
  | "reauth"
  | "magic_link.sent"
  | "password.reset_requested"
  | "password.reset"
  | "email.verified"
  | "email.changed"
  | "account.claimed"
  | "tenant.created"
  | "tenant.updated"
  | "tenant.deleted"
  | "api_key.created"
  | "api_key.revoked"
  | "signing_key.rotated"
  | "consent.granted"
  | "consent.revoked"
  | "role.created"
  | "role.deleted"
  | "role.granted"
  | "role.removed"
  | "client.created"
  | "client.updated"
  | "client.deleted"
  | "client.secret_rotated"
  | "oauth.code_reuse"
  | "oauth.token"
  | "grant.revoked";

export interface AuditInput {
  type: AuditType;
  userId?: string | null;
  sessionId?: string | null;
  actor?: string | null;
  meta?: Partial<RequestMeta>;
  data?: Record<string, unknown>;
}

const GENESIS = "0".repeat(64);

function contentHash(prev: string, r: { id: number; ts: number; type: string; user_id: string | null; session_id: string | null; actor: string | null; ip: string | null; data: string }): string {
  return sha256Hex(prev + "\n" + JSON.stringify([r.id, r.ts, r.type, r.user_id, r.session_id, r.actor, r.ip, r.data]));
}

export function audit(ctx: TenantCtx, a: AuditInput): void {
  const last = ctx.memo.auditHead ?? one<{ id: number; hash: string }>(ctx.sql, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1");
  const prev = last?.hash ?? GENESIS;
  const row = {
    id: (last?.id ?? 0) + 1,
    ts: ctx.now,
    type: a.type,
    user_id: a.userId ?? null,
    session_id: a.sessionId ?? null,
    actor: a.actor ?? null,
    ip: a.meta?.ip ?? null,
    data: JSON.stringify(a.data ?? {}),
  };
  const hash = contentHash(prev, row);
  ctx.sql.exec(
    "INSERT INTO audit_log (id, ts, type, user_id, session_id, actor, ip, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    row.id, row.ts, row.type, row.user_id, row.session_id, row.actor, row.ip, row.data, prev, hash,
  );
  ctx.memo.auditHead = { id: row.id, hash };
  enqueue(ctx, "analytics", {
    blobs: [ctx.slug, a.type, a.userId ?? "", a.sessionId ?? "", a.meta?.ip ?? "", a.actor ?? "", a.meta?.userAgent?.slice(0, 256) ?? ""],
    doubles: [1],
    indexes: [ctx.slug],
  });
}

export interface AuditEntry {
  id: number;
  ts: string;
  type: string;
  user_id: string | null;
  session_id: string | null;
  actor: string | null;
  ip: string | null;
  data: unknown;
}

export function queryAudit(sql: SqlStorage, q: { user?: string; type?: string; since?: number; cursor?: number; limit: number }): { entries: AuditEntry[]; next_cursor: string | null } {
  const where: string[] = [];
  const args: SqlStorageValue[] = [];
  if (q.user) (where.push("user_id = ?"), args.push(q.user));
  if (q.type) (where.push("type = ?"), args.push(q.type));
  if (q.since !== undefined) (where.push("ts >= ?"), args.push(q.since));
  if (q.cursor !== undefined) (where.push("id > ?"), args.push(q.cursor));
  const rows = all<{ id: number; ts: number; type: string; user_id: string | null; session_id: string | null; actor: string | null; ip: string | null; data: string }>(
    sql,
    `SELECT id, ts, type, user_id, session_id, actor, ip, data FROM audit_log ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY id LIMIT ?`,
    ...args,
    q.limit + 1,
  );
  const page = rows.slice(0, q.limit);
  return {
    entries: page.map((r) => ({ ...r, ts: iso(r.ts)!, data: JSON.parse(r.data) })),
    next_cursor: rows.length > q.limit ? String(page[page.length - 1].id) : null,
  };
}

/**
 * Walks the chain from the oldest retained row. Rows trimmed by retention are gone, so the
 * first retained row's `prev_hash` is taken as given; every link after it is checked.
 */
export function verifyAudit(sql: SqlStorage): { ok: boolean; checked: number; broken_at?: number } {
  let prev: string | null = null;
  let checked = 0;
  for (const r of sql.exec<{ id: number; ts: number; type: string; user_id: string | null; session_id: string | null; actor: string | null; ip: string | null; data: string; prev_hash: string; hash: string }>(
    "SELECT id, ts, type, user_id, session_id, actor, ip, data, prev_hash, hash FROM audit_log ORDER BY id",
  )) {
    if (prev !== null && r.prev_hash !== prev) return { ok: false, checked, broken_at: r.id };
    if (contentHash(r.prev_hash, r) !== r.hash) return { ok: false, checked, broken_at: r.id };
    prev = r.hash;
    checked++;
  }
  return { ok: true, checked };
}
