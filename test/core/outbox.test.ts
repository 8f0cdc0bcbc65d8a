/** @module The outbox: D1 index rows delivered after commit, kept and retried by the alarm while D1 is down, delivered exactly once after. */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { liveDelivery, RETRY_BASE_MS, type Delivery } from "../../objects/tenant/outbox.ts";
import { admin, call, count, d1, d1Eventually, env, eventually, newTenant, PASSWORD, rows, signup, stub } from "../helpers.ts";

afterEach(() => clock.reset());

/** Makes the object's D1 deliveries fail (analytics and webhooks still go through). */
function breakD1(t: string): Promise<void> {
  return runInDurableObject(stub(t), (o) => {
    const live = liveDelivery(env);
    const failing: Delivery = { ...live, d1: async () => { throw new Error("D1 is down"); } };
    o.delivery = failing;
  });
}

function restoreD1(t: string): Promise<void> {
  return runInDurableObject(stub(t), (o) => {
    o.delivery = liveDelivery(env);
  });
}

const pendingD1 = (t: string) => rows<{ attempts: number; last_error: string | null }>(t, "SELECT attempts, last_error FROM outbox WHERE kind = 'd1'");

describe("outbox", () => {
  it("the tenants row and the user directory row reach D1 right after the commit", async () => {
    const t = await newTenant();
    const s = await signup(t, { username: "dir_user" });
    const [dir] = await d1Eventually("SELECT * FROM user_directory WHERE tenant = ? AND user_id = ?", t, s.user.id);
    expect(dir).toMatchObject({ tenant: t, user_id: s.user.id, email: s.user.email, username: "dir_user", status: "active" });
    await eventually(async () => (await count(t, "outbox", "kind = 'd1'")) === 0);
  });

  it("with D1 down, deliveries stay in the outbox; when it recovers the alarm delivers them exactly once", async () => {
    const t = await newTenant();
    await breakD1(t);
    const s = await signup(t, { email: "down@example.com" });
    // The post-commit drain failed: the rows wait, with the error and a retry time.
    const pending = await eventually(async () => {
      const p = await pendingD1(t);
      return p.length && p.every((r) => r.attempts === 1) ? p : null;
    });
    expect(pending[0].last_error).toContain("D1 is down");
    expect(await d1("SELECT * FROM user_directory WHERE tenant = ?", t)).toEqual([]);
    // The alarm retries while D1 is still down: nothing is lost.
    clock.advance(RETRY_BASE_MS + 1000);
    await runDurableObjectAlarm(stub(t));
    const retried = await pendingD1(t);
    expect(retried.map((r) => r.attempts)).toContain(2); // the sign-up's rows, tried again (the alarm queues a stats row of its own)
    expect(retried.every((r) => r.attempts >= 1)).toBe(true);
    expect(await d1("SELECT * FROM user_directory WHERE tenant = ?", t)).toEqual([]);
    // D1 is back.
    await restoreD1(t);
    clock.advance(60_000);
    await runDurableObjectAlarm(stub(t));
    expect(await pendingD1(t)).toEqual([]);
    expect(await d1("SELECT user_id, email, status FROM user_directory WHERE tenant = ?", t)).toEqual([{ user_id: s.user.id, email: "down@example.com", status: "active" }]);
    // A further run delivers nothing twice.
    await runInDurableObject(stub(t), (o) => o.onAlarm());
    expect(await d1("SELECT COUNT(*) AS n FROM user_directory WHERE tenant = ?", t)).toEqual([{ n: 1 }]);
  });

  it("while D1 stays down, the alarm backs off and the outbox does not grow run after run", async () => {
    const t = await newTenant();
    await breakD1(t);
    await signup(t);
    await eventually(async () => (await pendingD1(t)).length > 0 && (await pendingD1(t)).every((x) => x.attempts >= 1));
    const depth = (await pendingD1(t)).length;
    const gaps: number[] = [];
    for (let i = 0; i < 8; i++) {
      const at = (await runInDurableObject(stub(t), (_o, state) => state.storage.getAlarm()))!;
      gaps.push(at - clock.now());
      clock.advance(Math.max(0, at - clock.now()) + 1);
      await runDurableObjectAlarm(stub(t));
    }
    expect((await pendingD1(t)).length).toBeLessThanOrEqual(depth + 1);
    // Exponential backoff: the last wait is longer than the first ones.
    expect(Math.max(...gaps.slice(-2))).toBeGreaterThan(20_000);
    await restoreD1(t);
  });

  it("changes queued while D1 is down land in D1 as their latest state", async () => {
    const t = await newTenant();
    await breakD1(t);
    const s = await signup(t, { email: "first@example.com" });
    clock.advance(1000);
    const r = await admin("PATCH", `/tenants/${t}/users/${s.user.id}`, { email: "second@example.com" });
    expect(r.status).toBe(200);
    await eventually(async () => (await pendingD1(t)).every((x) => x.attempts >= 1));
    await restoreD1(t);
    clock.advance(60_000);
    await runDurableObjectAlarm(stub(t));
    expect(await pendingD1(t)).toEqual([]);
    expect(await d1("SELECT email FROM user_directory WHERE tenant = ? AND user_id = ?", t, s.user.id)).toEqual([{ email: "second@example.com" }]);
  });

  it("the tenant's stats show the outbox depth and the age of its oldest row", async () => {
    const t = await newTenant();
    await breakD1(t);
    await signup(t);
    await eventually(async () => (await pendingD1(t)).length > 0 && (await pendingD1(t)).every((x) => x.attempts >= 1));
    clock.advance(30_000);
    const stats = (await admin("GET", `/tenants/${t}`)).body.stats;
    expect(stats.outbox.depth).toBeGreaterThan(0);
    expect(stats.outbox.oldest_age_s).toBeGreaterThanOrEqual(30);
    await restoreD1(t);
  });

  it("with D1 down, the request itself still succeeds: the tenant object is the source of truth", async () => {
    const t = await newTenant();
    await breakD1(t);
    const s = await signup(t);
    expect((await call("POST", `/v1/${t}/login`, { body: { login: s.user.email, password: PASSWORD } })).status).toBe(200);
    await restoreD1(t);
  });

  it("a failed analytics write is retried too", async () => {
    const t = await newTenant();
    const points: unknown[] = [];
    let fail = true;
    await runInDurableObject(stub(t), (o) => {
      const live = liveDelivery(env);
      o.delivery = { ...live, analytics: (p) => { if (fail) throw new Error("AE down"); points.push(p); } };
    });
    await signup(t);
    await eventually(async () => (await count(t, "outbox", "kind = 'analytics' AND attempts >= 1")) > 0);
    fail = false;
    clock.advance(60_000);
    await runDurableObjectAlarm(stub(t));
    expect(await count(t, "outbox", "kind = 'analytics'")).toBe(0);
    expect(points.length).toBeGreaterThan(0);
    await restoreD1(t);
  });
});
