import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { buildApp } from "../../src/app.ts";
import type { TenantObject } from "../../objects/tenant.ts";
import { EXPIRY_BATCH } from "../../objects/tenant/flows/alarm.ts";
import { ADMIN, BASE, admin, apiKey, call, expectError, newTenant, signup, stub } from "../helpers.ts";

afterEach(() => clock.reset());

const PASSWORD = "seeded correct horse battery";
const seed = (t: string, body: Record<string, unknown>) =>
  admin("POST", `/tenants/${t}/bench/seed`, { prefix: "seeded", offset: 0, password: PASSWORD, hash: "pbkdf2-sha256", ...body });

describe("benchmark seeding (development only)", () => {
  it("inserts users who can log in and live sessions, in one call per batch", async () => {
    const t = await newTenant();
    const r = await seed(t, { users: 20, sessions: 40 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ users: 20, sessions: 40 });
    const stats = (await admin("GET", `/tenants/${t}`)).body.stats;
    expect(stats.users).toBe(20);
    expect(stats.active_sessions).toBe(40);
    const login = await call("POST", `/v1/${t}/login`, { body: { login: "seeded7", password: PASSWORD } });
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    expect(login.body.user.email).toBe("seeded7@seed.invalid");
  });

  it("refuses batches over 5,000 rows, and a batch with a taken identifier writes nothing", async () => {
    const t = await newTenant();
    expectError(await seed(t, { users: 5_000, sessions: 1 }), 400, "invalid_request");
    expect((await seed(t, { users: 2, sessions: 0 })).status).toBe(200);
    expectError(await seed(t, { users: 2, sessions: 5, offset: 1 }), 409, "conflict");
    expect((await admin("GET", `/tenants/${t}`)).body.stats.users).toBe(2);
  });

  it("rpc with a rate paces introspection calls and answers each one's start and latency", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const key = await apiKey(t);
    const r = await admin("POST", `/tenants/${t}/bench/rpc`, { op: "introspect", api_key: key, tokens: [s.access_token], count: 5, concurrency: 1, rate: 50 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ count: 5, failures: 0 });
    const starts = (r.body.samples as [number, number][]).map(([at]) => at).sort((a, b) => a - b);
    expect(starts).toHaveLength(5);
    // Call i starts i / rate seconds in: the fifth 80 ms after the first.
    expect(starts[4] - starts[0]).toBeGreaterThanOrEqual(75);
    // A key that cannot introspect counts as a failure, not as an error of the route.
    const bad = await admin("POST", `/tenants/${t}/bench/rpc`, { op: "introspect", api_key: "wk_nope", tokens: [s.access_token], count: 2, concurrency: 1, rate: 100 });
    expect(bad.body).toMatchObject({ count: 2, failures: 2 });
  });

  it("needs the admin token, and outside development is not there at all", async () => {
    const t = await newTenant();
    const body = JSON.stringify({ users: 1, sessions: 0, offset: 0, prefix: "x", password: PASSWORD });
    expectError(await call("POST", `/v1/admin/tenants/${t}/bench/seed`, { body: JSON.parse(body) }), 401, "unauthorized");
    const app = buildApp();
    for (const path of ["bench/seed", "bench/rpc"]) {
      const res = await app.fetch(
        new Request(`${BASE}/v1/admin/tenants/${t}/${path}`, { method: "POST", headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" }, body }),
        { ...env, ENVIRONMENT: "production" },
      );
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
    }
    // The object refuses too (the env object is shared, so put it back).
    const refused = await runInDurableObject(stub(t), async (o: TenantObject) => {
      const e = (o as unknown as { env: { ENVIRONMENT?: string } }).env;
      const was = e.ENVIRONMENT;
      e.ENVIRONMENT = "staging";
      try {
        return await o.seed({ users: 1, sessions: 0, offset: 0, prefix: "x", passwordHash: "x", algorithm: "pbkdf2-sha256" });
      } finally {
        e.ENVIRONMENT = was;
      }
    });
    expect(refused).toMatchObject({ ok: false, error: { code: "not_found" } });
  });
});

describe("the alarm expiring a backlog of sessions", () => {
  it("ends them in batches, one session.expired event each, leaving other sessions alone", async () => {
    const t = await newTenant();
    expect((await seed(t, { users: 5, sessions: EXPIRY_BATCH * 2 + 30, session_ttl_s: 60 })).status).toBe(200);
    expect((await seed(t, { users: 1, sessions: 3, offset: 100 })).status).toBe(200);
    clock.advance(61_000);
    await runDurableObjectAlarm(stub(t));
    const afterOne = (await admin("GET", `/tenants/${t}`)).body.stats;
    expect(afterOne.event_seq).toBe(EXPIRY_BATCH);
    // A backlog re-arms the alarm shortly after the run, not at the next session's expiry.
    const next = Date.parse(afterOne.next_alarm_at) - clock.now();
    expect(next).toBeLessThanOrEqual(1_000);
    await runDurableObjectAlarm(stub(t));
    await runDurableObjectAlarm(stub(t));
    const stats = (await admin("GET", `/tenants/${t}`)).body.stats;
    expect(stats.active_sessions).toBe(3);
    expect(stats.event_seq).toBe(EXPIRY_BATCH * 2 + 30);
    const kinds = await runInDurableObject(stub(t), (_o: TenantObject, state: DurableObjectState) =>
      state.storage.sql.exec<{ type: string; n: number }>("SELECT type, COUNT(*) AS n FROM events GROUP BY type").toArray());
    expect(kinds).toEqual([{ type: "session.expired", n: EXPIRY_BATCH * 2 + 30 }]);
    const tokens = await runInDurableObject(stub(t), (_o: TenantObject, state: DurableObjectState) =>
      state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM refresh_chains").one().n);
    expect(tokens).toBe(3);
  });
});
