/**
 * @module The tenant's tamper-evident audit log, a keyed hash chain. Each row stores the
 * previous row's hash and an HMAC-SHA256 over that hash and its own canonical content, under
 * a key derived with HKDF from MASTER_KEY for this tenant (`Sealer.macKey`), so whoever can
 * write the database but does not hold MASTER_KEY can neither edit a row nor rebuild the chain
 * after it. The chain's state (`audit_head`: newest id and hash, row count, the anchor the
 * oldest retained row links to) is MAC'd too, so cutting rows off either end is found; a
 * retention purge moves the anchor and leaves a keyed checkpoint (`audit_checkpoints`), so a
 * purge is told apart from a deletion. What it cannot tell: a copy of the whole database put
 * back as it was earlier (rows and head together).
 *
 * Rows written before the chain was keyed (the migration that added `key_id`) have no `key_id` and keep their
 * SHA-256 hashes; they verify the old way, and the first keyed row's MAC covers the last of
 * their hashes, so they cannot be edited unnoticed either once a keyed row follows.
 * Each entry also becomes one Analytics Engine data point via the outbox.
 */
import { iso } from "../../src/clock.ts";
import { hex } from "../../src/crypto/bytes.ts";
import { hmacSha256, sha256Hex } from "../../src/crypto/digest.ts";
import type { MacKey, Sealer } from "../../src/crypto/seal.ts";
import { timingSafeEqual } from "../../src/crypto/timing-safe-equal.ts";
import type { RequestMeta, TenantCtx } from "./context.ts";
import { countHourly } from "./hourly.ts";
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
  | "passkey.added"
  | "passkey.renamed"
  | "passkey.removed"
  | "passkey.counter_regressed"
  | "tenant.created"
  | "tenant.updated"
  | "tenant.deleted"
  | "tenant.revoked"
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
  | "grant.revoked"
  | "idp.created"
  | "idp.updated"
  | "idp.deleted"
  | "identity.linked"
  | "identity.unlinked"
  | "identity.link_pending"
  | "console.signed_in";

export interface AuditInput {
  type: AuditType;
  userId?: string | null;
  sessionId?: string | null;
  actor?: string | null;
  meta?: Partial<RequestMeta>;
  data?: Record<string, unknown>;
}

const GENESIS = "0".repeat(64);

/** The keys of one tenant's chain: the current one for writing, any configured one by fingerprint for verifying. */
export interface AuditKeys {
  readonly current: MacKey;
  byId(id: string): Uint8Array | null;
}

/** The tenant's audit keys, derived on first use (the sealer is loaded by then: `begin` and `createTenant` prepare it). */
export function auditKeys(sealer: () => Sealer | null, slug: string): AuditKeys {
  const label = `audit-chain|${slug}`;
  const loaded = (): Sealer => {
    const s = sealer();
    if (!s) throw new Error("the sealer is not loaded");
    return s;
  };
  return {
    get current() {
      return loaded().macKey(label)!;
    },
    byId: (id) => loaded().macKey(label, id)?.key ?? null,
  };
}

/** The chain's state, one row (see the module comment). */
export interface AuditHead {
  keyed_from: number;
  first_id: number;
  anchor: string;
  head_id: number;
  head_hash: string;
  count: number;
}

type AuditRow = {
  id: number;
  ts: number;
  type: string;
  user_id: string | null;
  session_id: string | null;
  actor: string | null;
  ip: string | null;
  data: string;
};

const canonical = (prev: string, r: AuditRow): string => prev + "\n" + JSON.stringify([r.id, r.ts, r.type, r.user_id, r.session_id, r.actor, r.ip, r.data]);
/** Rows from before the chain was keyed. */
const legacyHash = (prev: string, r: AuditRow): string => sha256Hex(canonical(prev, r));
const rowMac = (key: Uint8Array, prev: string, r: AuditRow): string => hex(hmacSha256(key, canonical(prev, r)));
const headMac = (key: Uint8Array, h: AuditHead): string => hex(hmacSha256(key, "audit-head\n" + JSON.stringify([h.keyed_from, h.first_id, h.anchor, h.head_id, h.head_hash, h.count])));
const checkpointMac = (key: Uint8Array, c: { ts: number; through_id: number; hash: string; purged: number }): string =>
  hex(hmacSha256(key, "audit-checkpoint\n" + JSON.stringify([c.ts, c.through_id, c.hash, c.purged])));
const sameHex = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(new TextEncoder().encode(a), new TextEncoder().encode(b));

/**
 * The head, from the memo or the table. A log without one (a tenant from before the chain was keyed)
 * gets one describing its rows as they are: those become the unkeyed part of the chain.
 */
function head(ctx: TenantCtx): AuditHead {
  if (ctx.memo.auditHead) return ctx.memo.auditHead;
  const stored = one<AuditHead>(ctx.sql, "SELECT keyed_from, first_id, anchor, head_id, head_hash, count FROM audit_head WHERE id = 1");
  if (stored) return stored;
  const first = one<{ id: number; prev_hash: string }>(ctx.sql, "SELECT id, prev_hash FROM audit_log ORDER BY id LIMIT 1");
  const last = one<{ id: number; hash: string }>(ctx.sql, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1");
  const count = one<{ n: number }>(ctx.sql, "SELECT COUNT(*) AS n FROM audit_log")!.n;
  return { keyed_from: (last?.id ?? 0) + 1, first_id: first?.id ?? 1, anchor: first?.prev_hash ?? GENESIS, head_id: last?.id ?? 0, head_hash: last?.hash ?? GENESIS, count };
}

function saveHead(ctx: TenantCtx, h: AuditHead): void {
  const k = ctx.auditKeys.current;
  ctx.sql.exec(
    "INSERT OR REPLACE INTO audit_head (id, keyed_from, first_id, anchor, head_id, head_hash, count, key_id, mac) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
    h.keyed_from, h.first_id, h.anchor, h.head_id, h.head_hash, h.count, k.id, headMac(k.key, h),
  );
  ctx.memo.auditHead = h;
}

export function audit(ctx: TenantCtx, a: AuditInput): void {
  const h = head(ctx);
  const k = ctx.auditKeys.current;
  const row: AuditRow = {
    id: h.head_id + 1,
    ts: ctx.now,
    type: a.type,
    user_id: a.userId ?? null,
    session_id: a.sessionId ?? null,
    actor: a.actor ?? null,
    ip: a.meta?.ip ?? null,
    data: JSON.stringify(a.data ?? {}),
  };
  const hash = rowMac(k.key, h.head_hash, row);
  ctx.sql.exec(
    "INSERT INTO audit_log (id, ts, type, user_id, session_id, actor, ip, data, prev_hash, hash, key_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    row.id, row.ts, row.type, row.user_id, row.session_id, row.actor, row.ip, row.data, h.head_hash, hash, k.id,
  );
  saveHead(ctx, { ...h, head_id: row.id, head_hash: hash, count: h.count + 1 });
  countHourly(ctx, a.type);
  enqueue(ctx, "analytics", {
    blobs: [ctx.slug, a.type, a.userId ?? "", a.sessionId ?? "", a.meta?.ip ?? "", a.actor ?? "", a.meta?.userAgent?.slice(0, 256) ?? ""],
    doubles: [1],
    indexes: [ctx.slug],
  });
}

/** When the oldest row falls due for the retention purge, or null for an empty log. */
export function auditPurgeDueAt(sql: SqlStorage, auditDays: number): number | null {
  const first = one<{ ts: number }>(sql, "SELECT ts FROM audit_log ORDER BY id LIMIT 1");
  return first ? first.ts + auditDays * 86_400_000 : null;
}

/**
 * Retention: deletes up to `limit` of the oldest rows written before `before` (a prefix of the
 * chain, so what remains still links up), records a keyed checkpoint of what went, and moves
 * the head's anchor to the last deleted hash. Returns how many rows were deleted.
 */
export function purgeAudit(ctx: TenantCtx, before: number, limit: number): number {
  const oldest = all<{ id: number; ts: number; hash: string }>(ctx.sql, "SELECT id, ts, hash FROM audit_log ORDER BY id LIMIT ?", limit);
  let n = 0;
  while (n < oldest.length && oldest[n].ts < before) n++;
  if (n === 0) return 0;
  const last = oldest[n - 1];
  const h = head(ctx);
  ctx.sql.exec("DELETE FROM audit_log WHERE id <= ?", last.id);
  const k = ctx.auditKeys.current;
  const c = { ts: ctx.now, through_id: last.id, hash: last.hash, purged: n };
  ctx.sql.exec("INSERT INTO audit_checkpoints (ts, through_id, hash, purged, key_id, mac) VALUES (?, ?, ?, ?, ?, ?)", c.ts, c.through_id, c.hash, c.purged, k.id, checkpointMac(k.key, c));
  saveHead(ctx, { ...h, first_id: last.id + 1, anchor: last.hash, count: h.count - n });
  return n;
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

/** Oldest first, the cursor the last id seen; `newest` first (the console), the cursor then walks back. */
export function queryAudit(sql: SqlStorage, q: { user?: string; type?: string; since?: number; cursor?: number; limit: number; newest?: boolean }): { entries: AuditEntry[]; next_cursor: string | null } {
  const where: string[] = [];
  const args: SqlStorageValue[] = [];
  if (q.user) (where.push("user_id = ?"), args.push(q.user));
  if (q.type) (where.push("type = ?"), args.push(q.type));
  if (q.since !== undefined) (where.push("ts >= ?"), args.push(q.since));
  if (q.cursor !== undefined) (where.push(q.newest ? "id < ?" : "id > ?"), args.push(q.cursor));
  const rows = all<{ id: number; ts: number; type: string; user_id: string | null; session_id: string | null; actor: string | null; ip: string | null; data: string }>(
    sql,
    `SELECT id, ts, type, user_id, session_id, actor, ip, data FROM audit_log ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY id ${q.newest ? "DESC" : ""} LIMIT ?`,
    ...args,
    q.limit + 1,
  );
  const page = rows.slice(0, q.limit);
  return {
    entries: page.map((r) => ({ ...r, ts: iso(r.ts)!, data: JSON.parse(r.data) })),
    next_cursor: rows.length > q.limit ? String(page[page.length - 1].id) : null,
  };
}

export interface AuditVerification {
  ok: boolean;
  /** Rows whose hash and link were checked. */
  checked: number;
  /** The first row found altered or out of place, or the first id missing at the end. */
  broken_at?: number;
  /** Why it is not ok: a row edited, inserted or removed (`altered`), the newest rows cut off (`truncated`), or the chain's state or a purge checkpoint not under a known key (`head`, `checkpoint`). */
  reason?: "altered" | "truncated" | "head" | "checkpoint";
  /** The first row keyed with HMAC; rows before it verify as SHA-256 (null: no keyed state yet). */
  keyed_from: number | null;
  /** Rows removed by retention purges, as their keyed checkpoints record. */
  purged: number;
}

/**
 * Walks the chain from the oldest retained row. With a head (every tenant once it has written
 * an entry since the chain was keyed): the head's MAC, every purge checkpoint's MAC, the oldest row's
 * link to the anchor, every link and MAC, and that the walk ends at the head with its count.
 * Without one (a legacy log nothing has been written to since), the oldest row's `prev_hash`
 * is taken as given and every SHA-256 link after it is checked, as before.
 */
export function verifyAudit(sql: SqlStorage, keys: AuditKeys): AuditVerification {
  const h = one<AuditHead & { key_id: string; mac: string }>(sql, "SELECT * FROM audit_head WHERE id = 1");
  let purged = 0;
  for (const c of sql.exec<{ ts: number; through_id: number; hash: string; purged: number; key_id: string; mac: string }>("SELECT * FROM audit_checkpoints ORDER BY id")) {
    const key = keys.byId(c.key_id);
    if (!key || !sameHex(checkpointMac(key, c), c.mac)) return { ok: false, checked: 0, reason: "checkpoint", broken_at: c.through_id, keyed_from: h?.keyed_from ?? null, purged };
    purged += c.purged;
  }
  const keyed_from = h?.keyed_from ?? null;
  if (h) {
    const key = keys.byId(h.key_id);
    if (!key || !sameHex(headMac(key, h), h.mac)) return { ok: false, checked: 0, reason: "head", keyed_from, purged };
  }
  let prev: string | null = h ? h.anchor : null;
  let expected = h ? h.first_id : null;
  let checked = 0;
  let lastId = 0;
  let lastHash = GENESIS;
  const broken = (id: number, reason: AuditVerification["reason"]): AuditVerification => ({ ok: false, checked, broken_at: id, reason, keyed_from, purged });
  for (const r of sql.exec<AuditRow & { prev_hash: string; hash: string; key_id: string | null }>("SELECT id, ts, type, user_id, session_id, actor, ip, data, prev_hash, hash, key_id FROM audit_log ORDER BY id")) {
    if (prev !== null && r.prev_hash !== prev) return broken(r.id, "altered");
    // The oldest row must be the one the anchor names, or rows were cut off the front.
    if (expected !== null && r.id !== expected) return broken(r.id, "altered");
    expected = null;
    const keyed = keyed_from !== null && r.id >= keyed_from;
    if (keyed) {
      const key = r.key_id === null ? null : keys.byId(r.key_id);
      if (!key || !sameHex(rowMac(key, r.prev_hash, r), r.hash)) return broken(r.id, "altered");
    } else if (r.key_id !== null || legacyHash(r.prev_hash, r) !== r.hash) return broken(r.id, "altered");
    prev = r.hash;
    lastId = r.id;
    lastHash = r.hash;
    checked++;
  }
  if (h && (lastId !== h.head_id || lastHash !== h.head_hash || checked !== h.count)) {
    return { ok: false, checked, broken_at: (lastId || h.first_id - 1) + 1, reason: checked < h.count || lastId < h.head_id ? "truncated" : "altered", keyed_from, purged };
  }
  return { ok: true, checked, keyed_from, purged };
}
