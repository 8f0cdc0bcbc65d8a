/**
 * @module Hourly counters for the console's 24-hour charts (sign-ins, failed sign-ins,
 * refresh-token reuse detections, revocations), so a view reads at most 4 × 48 small rows
 * instead of scanning the audit log. Each count is bumped by the write it counts (an audit
 * entry or a revocation-log event), inside that write's transaction, so the charts agree with
 * the log; rows older than 48 hours go, at most once an hour per object, in the same way.
 */
import type { TenantCtx } from "./context.ts";
import { all } from "./sql.ts";

export const HOURLY_KINDS = ["sign_ins", "failures", "reuse", "revocations"] as const;
export type HourlyKind = (typeof HOURLY_KINDS)[number];
const HOUR = 3_600_000;
const KEEP_HOURS = 48;

/** Which audit entry or event each counter counts. */
const COUNTED: Partial<Record<string, HourlyKind>> = {
  "login.success": "sign_ins",
  "login.failure": "failures",
  "mfa.failure": "failures",
  "refresh.reuse": "reuse",
  // Revocation-log events: everything that ends a session or a user's tokens, but not an expiry or a key rotation.
  "event:session.revoked": "revocations",
  "event:user.revoked": "revocations",
  "event:user.disabled": "revocations",
  "event:user.deleted": "revocations",
  "event:tenant.revoked": "revocations",
};

export function countHourly(ctx: TenantCtx, what: string): void {
  const kind = COUNTED[what];
  if (!kind) return;
  const hour = Math.floor(ctx.now / HOUR);
  ctx.sql.exec("INSERT INTO hourly_counts (hour, kind, n) VALUES (?, ?, 1) ON CONFLICT (hour, kind) DO UPDATE SET n = n + 1", hour, kind);
  if (ctx.memo.hourlyPurged !== hour) {
    ctx.sql.exec("DELETE FROM hourly_counts WHERE hour < ?", hour - KEEP_HOURS);
    ctx.memo.hourlyPurged = hour;
  }
}

export interface HourlySeries {
  /** The first hour shown (ms), oldest first; 24 buckets, the last one the current hour. */
  from: string;
  series: Record<HourlyKind, number[]>;
}

export function hourlySeries(sql: SqlStorage, now: number): HourlySeries {
  const last = Math.floor(now / HOUR);
  const first = last - 23;
  const series = Object.fromEntries(HOURLY_KINDS.map((k) => [k, new Array<number>(24).fill(0)])) as Record<HourlyKind, number[]>;
  for (const r of all<{ hour: number; kind: HourlyKind; n: number }>(sql, "SELECT hour, kind, n FROM hourly_counts WHERE hour >= ? AND hour <= ?", first, last)) {
    if (series[r.kind]) series[r.kind][r.hour - first] = r.n;
  }
  return { from: new Date(first * HOUR).toISOString(), series };
}
