/**
 * @module Lockout and rate limits, counted in the tenant object inside the same synchronous
 * transaction that decides, so parallel guesses cannot slip past a limit. A login attempt is
 * counted as a failure when it *starts* (before the Worker verifies the password) and cleared
 * when it succeeds: 50 parallel guesses see the counter rise one by one and all but the
 * allowed number are refused before any hash is checked.
 */
import { ipBucket } from "../../src/http/client-ip.ts";
import type { TenantCtx } from "./context.ts";
import { one, run } from "./sql.ts";

interface AttemptRow {
  key: string;
  count: number;
  window_start: number;
  locked_until: number | null;
}

export type Gate = { ok: true } | { ok: false; retryAfter: number | null };

/**
 * Account lockout (SPEC sections 8 and 9): after `threshold` consecutive failures a delay that
 * doubles from `base_s` up to `max_s`; at `hard_limit` the account stays locked until a reset
 * or an admin unlock.
 */
export function reserveAttempt(ctx: TenantCtx, key: string): Gate {
  const l = ctx.settings.lockout;
  const row = one<AttemptRow>(ctx.sql, "SELECT * FROM attempts WHERE key = ?", key);
  const count = row?.count ?? 0;
  if (count >= l.hard_limit) return { ok: false, retryAfter: null };
  if (row?.locked_until && ctx.now < row.locked_until) return { ok: false, retryAfter: Math.ceil((row.locked_until - ctx.now) / 1000) };
  const next = count + 1;
  const lockedUntil = next >= l.threshold ? ctx.now + Math.min(l.max_s, l.base_s * 2 ** (next - l.threshold)) * 1000 : null;
  ctx.sql.exec(
    `INSERT INTO attempts (key, count, window_start, locked_until, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET count = excluded.count, locked_until = excluded.locked_until, updated_at = excluded.updated_at`,
    key, next, ctx.now, lockedUntil, ctx.now,
  );
  return { ok: true };
}

export function failureCount(sql: SqlStorage, key: string): number {
  return one<{ count: number }>(sql, "SELECT count FROM attempts WHERE key = ?", key)?.count ?? 0;
}

export function clearAttempts(ctx: TenantCtx, key: string): boolean {
  return run(ctx.sql, "DELETE FROM attempts WHERE key = ?", key) > 0;
}

/** Fixed-window counter: `limit` hits per `windowS` per key. */
export function rateLimit(ctx: TenantCtx, key: string, limit: number, windowS: number): Gate {
  const row = one<AttemptRow>(ctx.sql, "SELECT * FROM attempts WHERE key = ?", key);
  const windowMs = windowS * 1000;
  if (row && ctx.now - row.window_start < windowMs) {
    if (row.count >= limit) return { ok: false, retryAfter: Math.max(1, Math.ceil((row.window_start + windowMs - ctx.now) / 1000)) };
    ctx.sql.exec("UPDATE attempts SET count = count + 1, updated_at = ? WHERE key = ?", ctx.now, key);
  } else {
    ctx.sql.exec(
      `INSERT INTO attempts (key, count, window_start, updated_at) VALUES (?, 1, ?, ?)
       ON CONFLICT (key) DO UPDATE SET count = 1, window_start = excluded.window_start, updated_at = excluded.updated_at`,
      key, ctx.now, ctx.now,
    );
  }
  return { ok: true };
}

export const accountKey = (userIdOrLogin: string) => `acct:${userIdOrLogin}`;

/** A per-IP counter's key: `{name}:ip:{bucket}`, the bucket being the Worker shield's (IPv6 by /64, invalid → `unknown`). */
export const ipKey = (name: string, ip: string | null) => `${name}:ip:${ipBucket(ip)}`;
