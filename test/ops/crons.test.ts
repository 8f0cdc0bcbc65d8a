import { createScheduledController, env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index.ts";
import { reconcile, watchdog } from "../../src/cron.ts";
import type { TenantObject } from "../../objects/tenant.ts";
import { RECONCILE_BATCH } from "../../objects/tenant/flows/alarm.ts";
import { ADMIN, call, newTenant, signup, stub } from "../helpers.ts";
import { flush, operator } from "./helpers.ts";

const WATCHDOG = "*/15 * * * *";
const DAILY = "0 3 * * *";

const runCron = (cron: string) => worker.scheduled(createScheduledController({ cron, scheduledTime: Date.now() }), env);

/** Loses the tenant's alarm, as if a deploy or an outage had dropped it. */
const loseAlarm = (t: string) =>
  runInDurableObject(stub(t), async (o: TenantObject, state) => {
    await state.storage.deleteAlarm();
    o.noteAlarm(null);
  });

const alarmOf = (t: string) => runInDurableObject(stub(t), (_o, state) => state.storage.getAlarm());

const tenantRow = (t: string) => env.DB.prepare("SELECT * FROM tenants WHERE slug = ?").bind(t).first<{ next_alarm_at: number | null; updated_at: number; user_count: number }>();

const reconcilePending = (t: string) => runInDurableObject(stub(t), (_o, state) => state.storage.kv.get("reconcile.cursor") !== undefined);

/** Runs the tenant's alarm until its pending reconcile is done. */
async function finishReconcile(t: string): Promise<void> {
  for (let runs = 1; runs <= 50; runs++) {
    if (!(await reconcilePending(t))) return;
    await runDurableObjectAlarm(stub(t));
  }
  throw new Error("the reconcile does not finish");
}

async function directoryOf(t: string) {
  return (await env.DB.prepare("SELECT user_id, email, username, status FROM user_directory WHERE tenant = ? ORDER BY user_id").bind(t).all()).results;
}

describe("the watchdog cron", () => {
  it("re-arms a lost alarm and refreshes the tenant's D1 row", async () => {
    const t = await newTenant();
    await signup(t);
    await flush(t);
    await loseAlarm(t);
    await env.DB.prepare("UPDATE tenants SET next_alarm_at = 1, updated_at = 1, user_count = 0 WHERE slug = ?").bind(t).run();

    await runCron(WATCHDOG);

    const alarm = await alarmOf(t);
    expect(alarm).not.toBeNull();
    const row = (await tenantRow(t))!;
    // The row reports the next job; delivering the row itself may set the alarm a little earlier.
    expect(row.next_alarm_at).toBeGreaterThanOrEqual(alarm!);
    expect(row.user_count).toBe(1);
    expect(row.updated_at).toBeGreaterThan(1);
  });

  it("visits overdue tenants first, each once, and at most `max` a run", async () => {
    const [a, b, c] = [await newTenant(), await newTenant(), await newTenant()];
    await env.DB.prepare("UPDATE tenants SET next_alarm_at = 0 WHERE slug = ?").bind(b).run();
    const now = Date.now();
    const seen: string[] = [];
    const visit = async (slug: string) => void seen.push(slug);

    expect(await watchdog(env, now, { max: 1, visit })).toEqual({ visited: 1, truncated: true });
    expect(seen).toEqual([b]);

    seen.length = 0;
    const total = (await env.DB.prepare("SELECT COUNT(*) AS n FROM tenants").first<{ n: number }>())!.n;
    const r = await watchdog(env, now, { max: total + 10, visit });
    expect(r).toEqual({ visited: total, truncated: false });
    expect(seen[0]).toBe(b);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining([a, b, c]));
  });
});

describe("the daily reconcile cron", () => {
  it("rewrites a drifted directory from the users table, a page per alarm run", async () => {
    const t = await newTenant();
    const n = 2 * RECONCILE_BATCH + 50;
    const lines = Array.from({ length: n }, (_, k) => JSON.stringify({ email: `r${k}@example.com` })).join("\n");
    expect((await call("POST", `/v1/admin/tenants/${t}/users/import`, { token: ADMIN, raw: lines, headers: { "content-type": "application/x-ndjson" } })).body.imported).toBe(n);
    const gone = await signup(t, { email: "gone@example.com" });
    const off = await signup(t, { email: "off@example.com" });
    await operator(t)("DELETE", `/users/${gone.user.id}`);
    await operator(t)("PATCH", `/users/${off.user.id}`, { status: "disabled" });
    await flush(t);
    const truth = await directoryOf(t);
    expect(truth).toHaveLength(n + 2);

    // Drift: rows lost, a stale row, rows for users the object never had (first, middle, last).
    const ids = truth.map((r: any) => r.user_id as string);
    await env.DB.batch([
      env.DB.prepare("DELETE FROM user_directory WHERE tenant = ? AND user_id IN (?, ?, ?)").bind(t, ids[0], ids[250], ids[n + 1]),
      env.DB.prepare("UPDATE user_directory SET email = 'wrong@example.com', status = 'disabled', updated_at = 0 WHERE tenant = ? AND user_id = ?").bind(t, ids[7]),
      ...["00000000-0000-7000-8000-000000000000", `${ids[300].slice(0, -1)}x`, "ffffffff-ffff-7fff-bfff-ffffffffffff"].map((id) =>
        env.DB.prepare("INSERT INTO user_directory (tenant, user_id, email, status, updated_at) VALUES (?, ?, 'ghost@example.com', 'active', 0)").bind(t, id),
      ),
    ]);

    // The cron only asks; the tenant's alarm pages through its users (it may already be running).
    await runCron(DAILY);
    await finishReconcile(t);
    expect(await directoryOf(t)).toEqual(truth);
    // The deleted user keeps the email the outbox wrote (the object has freed it already).
    expect(truth.find((r: any) => r.user_id === gone.user.id)).toMatchObject({ email: "gone@example.com", status: "deleted" });
  });

  it("visits at most `max` tenants a day and reaches every one over the following days", async () => {
    const mine = [await newTenant(), await newTenant(), await newTenant()];
    const total = (await env.DB.prepare("SELECT COUNT(*) AS n FROM tenants").first<{ n: number }>())!.n;
    const max = 2;
    const reached = new Set<string>();
    for (let day = 100; day < 100 + Math.ceil(total / max); day++) {
      const seen: string[] = [];
      const r = await reconcile(env, day, { max, visit: async (slug) => void seen.push(slug) });
      expect(r.visited).toBe(Math.min(max, total));
      expect(new Set(seen).size).toBe(seen.length);
      for (const s of seen) reached.add(s);
    }
    expect(reached.size).toBe(total);
    for (const t of mine) expect(reached.has(t)).toBe(true);
  });
});
