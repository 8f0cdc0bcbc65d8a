/**
 * @module Cron triggers (SPEC section 10). Every 15 minutes: page through the tenants in D1
 * and let each object's watchdog re-arm an overdue alarm and refresh its stats row. Daily at
 * 03:00 UTC: reconcile the D1 user directory with each object.
 */
import type { Env } from "./env.ts";
import { logger } from "./log.ts";

const PAGE = 100;
const PARALLEL = 10;

/** Pages through D1's tenants (not purged), calling `fn` for a few at a time; returns how many. */
export async function forEachTenant(env: Env, fn: (slug: string) => Promise<unknown>): Promise<number> {
  let cursor = "";
  let n = 0;
  for (;;) {
    const rows = (await env.DB.prepare("SELECT slug FROM tenants WHERE slug > ? ORDER BY slug LIMIT ?").bind(cursor, PAGE).all<{ slug: string }>()).results;
    for (let i = 0; i < rows.length; i += PARALLEL) {
      await Promise.all(rows.slice(i, i + PARALLEL).map((r) => fn(r.slug).catch(() => null)));
    }
    n += rows.length;
    if (rows.length < PAGE) return n;
    cursor = rows[rows.length - 1].slug;
  }
}

export async function watchdog(env: Env): Promise<number> {
  return forEachTenant(env, (slug) => env.TENANT.getByName(slug).watchdog());
}

export async function reconcile(env: Env): Promise<number> {
  return forEachTenant(env, (slug) => env.TENANT.getByName(slug).reconcileDirectory());
}

export async function scheduled(controller: ScheduledController, env: Env): Promise<void> {
  const log = logger(env.LOG_LEVEL);
  const daily = controller.cron === "0 3 * * *";
  const n = daily ? await reconcile(env) : await watchdog(env);
  log.info(daily ? "cron.reconcile" : "cron.watchdog", { tenants: n });
}
