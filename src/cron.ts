/**
 * @module Cron triggers. Every 15 minutes, the watchdog: each tenant object
 * re-arms an alarm that should be set and refreshes its D1 stats row; tenants whose alarm is
 * overdue in D1 come first, then the rest, stalest stats row first. Daily at 03:00 UTC: each
 * object is asked to reconcile its D1 directory rows, which its alarm then does in bounded
 * batches (flows/alarm.ts), so no call here does work proportional to a tenant's users.
 *
 * Limits: each tenant visited is one Durable Object call, and each page of tenants one D1
 * query, all subrequests of this one invocation. A run visits at most MAX_TENANTS_PER_RUN
 * tenants, well within the 10,000 subrequests of Workers Paid; the watchdog's order puts the
 * tenants left out first in line next time, and the reconcile starts each day where the
 * previous day stopped.
 */
import type { Env } from "./env.ts";
import { logger } from "./log.ts";

const PAGE = 100;
const PARALLEL = 10;
const DAY = 86_400_000;
export const MAX_TENANTS_PER_RUN = 5_000;

interface Row {
  slug: string;
  k?: number;
}

/** Pages of tenants, each page after the last row of the previous one (keyset, never OFFSET). */
type Pager = (after: Row | null) => Promise<Row[]>;

/** Visits each tenant a pager yields, PARALLEL at a time, once per run, while the budget lasts. */
async function drive(pager: Pager, visit: (slug: string) => Promise<unknown>, run: { left: number; seen: Set<string> }): Promise<void> {
  let after: Row | null = null;
  while (run.left > 0) {
    const rows = await pager(after);
    const fresh = rows.map((r) => r.slug).filter((s) => !run.seen.has(s)).slice(0, run.left);
    for (const s of fresh) run.seen.add(s);
    run.left -= fresh.length;
    for (let i = 0; i < fresh.length; i += PARALLEL) {
      await Promise.all(fresh.slice(i, i + PARALLEL).map((s) => visit(s).catch(() => null)));
    }
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1];
  }
}

/** Tenants matching `where`, ordered by the integer column `key`, then slug. */
function byKey(env: Env, key: "next_alarm_at" | "updated_at", where: string, ...args: number[]): Pager {
  return async (after) =>
    (
      await env.DB.prepare(`SELECT slug, ${key} AS k FROM tenants WHERE ${where} AND (${key} > ? OR (${key} = ? AND slug > ?)) ORDER BY ${key}, slug LIMIT ?`)
        .bind(...args, after?.k ?? -1, after?.k ?? -1, after?.slug ?? "", PAGE)
        .all<Row>()
    ).results;
}

/** Tenants with a slug in (lo, hi], in slug order. */
function bySlug(env: Env, lo: string, hi: string | null): Pager {
  return async (after) =>
    (
      await env.DB.prepare(`SELECT slug FROM tenants WHERE slug > ? ${hi === null ? "" : "AND slug <= ?"} ORDER BY slug LIMIT ?`)
        .bind(after?.slug ?? lo, ...(hi === null ? [] : [hi]), PAGE)
        .all<Row>()
    ).results;
}

/** `visit` defaults to the tenant object's cron RPC; tests pass a recorder and a small `max`. */
export interface CronOptions {
  max?: number;
  visit?: (slug: string) => Promise<unknown>;
}

export interface CronRun {
  visited: number;
  /** True when the budget ran out: some tenants may be left for the next run. */
  truncated: boolean;
}

/**
 * Overdue alarms first (D1 `next_alarm_at` in the past), then every tenant whose stats row is
 * older than this run, stalest first: the watchdog rewrites the row, so a tenant left out
 * today is among the first tomorrow.
 */
export async function watchdog(env: Env, now: number, o: CronOptions = {}): Promise<CronRun> {
  const run = { left: o.max ?? MAX_TENANTS_PER_RUN, seen: new Set<string>() };
  const visit = o.visit ?? ((slug: string) => env.TENANT.getByName(slug).watchdog());
  await drive(byKey(env, "next_alarm_at", "next_alarm_at IS NOT NULL AND next_alarm_at <= ?", now), visit, run);
  await drive(byKey(env, "updated_at", "updated_at < ?", now), visit, run);
  return { visited: run.seen.size, truncated: run.left === 0 };
}

/**
 * Every tenant by slug. With more tenants than one run may visit, day `day` starts at the
 * (day × max mod count)-th slug and wraps around, so every tenant is reached within a few days.
 */
export async function reconcile(env: Env, day: number, o: CronOptions = {}): Promise<CronRun> {
  const max = o.max ?? MAX_TENANTS_PER_RUN;
  const run = { left: max, seen: new Set<string>() };
  const visit = o.visit ?? ((slug: string) => env.TENANT.getByName(slug).reconcileDirectory());
  const total = (await env.DB.prepare("SELECT COUNT(*) AS n FROM tenants").first<{ n: number }>())?.n ?? 0;
  const skip = total > max ? (day * max) % total : 0;
  const start = skip ? ((await env.DB.prepare("SELECT slug FROM tenants ORDER BY slug LIMIT 1 OFFSET ?").bind(skip - 1).first<{ slug: string }>())?.slug ?? "") : "";
  await drive(bySlug(env, start, null), visit, run);
  if (start) await drive(bySlug(env, "", start), visit, run);
  return { visited: run.seen.size, truncated: run.left === 0 && run.seen.size < total };
}

export async function scheduled(controller: ScheduledController, env: Env): Promise<void> {
  const log = logger(env.LOG_LEVEL);
  const daily = controller.cron === "0 3 * * *";
  const r = daily ? await reconcile(env, Math.floor(controller.scheduledTime / DAY)) : await watchdog(env, controller.scheduledTime);
  const msg = daily ? "cron.reconcile" : "cron.watchdog";
  if (r.truncated) log.warn(msg, { tenants: r.visited, truncated: true, max: MAX_TENANTS_PER_RUN });
  else log.info(msg, { tenants: r.visited });
}
