/** @module The tenant's one alarm: expiry, purges and trims in bounded batches, with a moved clock; eviction mid-flow. */
import { EXPIRY_BATCH } from "../../objects/tenant/flows/alarm.ts";
import { abortAllDurableObjects, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import type { Result } from "../../src/errors.ts";
import type { TokenResponse } from "../../objects/tenant/runtime.ts";
import { admin, apiKey, call, count, d1, d1Eventually, expectError, introspect, login, loginHalfway, newTenant, PASSWORD, refresh, rows, signup, stub, tenantWith, verifyChain } from "../helpers.ts";

afterEach(() => clock.reset());

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const alarmAt = (t: string) => runInDurableObject(stub(t), (_o, state) => state.storage.getAlarm());

describe("alarm", () => {
  it("is armed once there is work due", async () => {
    const t = await newTenant();
    await signup(t);
    expect(await alarmAt(t)).not.toBeNull();
  });

  it("expires sessions past their idle expiry and writes session.expired events", async () => {
    const t = await tenantWith({ refresh_idle_ttl_s: 300 });
    const a = await signup(t);
    const b = await signup(t);
    const key = await apiKey(t);
    clock.advance(200_000);
    const kept = await refresh(t, b.refresh_token); // b is refreshed, so its idle window moves
    clock.advance(150_000);
    expect(await runDurableObjectAlarm(stub(t))).toBe(true);
    const sessions = await rows<{ id: string; revoke_reason: string | null }>(t, "SELECT id, revoke_reason FROM sessions ORDER BY created_at");
    expect(sessions).toEqual([
      { id: a.session_id, revoke_reason: "expired" },
      { id: b.session_id, revoke_reason: null },
    ]);
    const events = await rows<{ type: string; payload: string }>(t, "SELECT type, payload FROM events");
    expect(events.map((e) => ({ type: e.type, ...JSON.parse(e.payload) }))).toEqual([expect.objectContaining({ type: "session.expired", sid: a.session_id, sub: a.user.id, reason: "expired" })]);
    expect((await introspect(t, key, a.refresh_token)).active).toBe(false);
    expect((await refresh(t, kept.body.refresh_token)).status).toBe(200);
    // The alarm is set again for what is still due.
    expect(await alarmAt(t)).not.toBeNull();
  });

  it("a session refreshed since it was due is carried to its new idle expiry by the alarm, and ended there", async () => {
    const t = await tenantWith({ refresh_idle_ttl_s: 300 });
    const start = clock.now();
    const s = await signup(t);
    clock.advance(200_000);
    const r = await refresh(t, s.refresh_token); // idle expiry moves from start + 300 s to start + 500 s
    expect(r.status).toBe(200);
    clock.advance(150_000);
    await runDurableObjectAlarm(stub(t));
    const [row] = await rows<{ revoke_reason: string | null; due_at: number; idle_expires_at: number }>(t, "SELECT revoke_reason, due_at, idle_expires_at FROM sessions");
    expect(row.revoke_reason).toBeNull();
    expect(row.idle_expires_at).toBeGreaterThanOrEqual(start + 500_000);
    expect(row.due_at).toBe(row.idle_expires_at);
    expect(await count(t, "events")).toBe(0);
    expect(await alarmAt(t)).toBeLessThanOrEqual(row.due_at);
    clock.advance(151_000);
    await runDurableObjectAlarm(stub(t));
    expect(await rows(t, "SELECT revoke_reason FROM sessions")).toEqual([{ revoke_reason: "expired" }]);
    expect(await rows(t, "SELECT type FROM events")).toEqual([{ type: "session.expired" }]);
    expectError(await refresh(t, r.body.refresh_token), 401, "invalid_token");
  });

  it("expires sessions at their absolute expiry", async () => {
    const t = await tenantWith({ refresh_ttl_s: 600, refresh_idle_ttl_s: 600 });
    const s = await signup(t);
    clock.advance(601_000);
    await runDurableObjectAlarm(stub(t));
    expect(await rows(t, "SELECT revoke_reason FROM sessions")).toEqual([{ revoke_reason: "expired" }]);
    expect(await rows(t, "SELECT type FROM events")).toEqual([{ type: "session.expired" }]);
    expect((await refresh(t, s.refresh_token)).status).toBe(401);
  });

  it("running twice is harmless (alarms are at-least-once)", async () => {
    const t = await tenantWith({ refresh_idle_ttl_s: 300 });
    await signup(t);
    clock.advance(301_000);
    await runDurableObjectAlarm(stub(t));
    await runInDurableObject(stub(t), (o) => o.onAlarm());
    expect(await count(t, "events")).toBe(1);
  });

  it("expires sessions in bounded batches (at most 500 a run) and re-arms itself soon for the rest", async () => {
    const t = await tenantWith({ refresh_idle_ttl_s: 300 });
    const s = await signup(t);
    await runInDurableObject(stub(t), (_o, state) => {
      const now = clock.now();
      for (let i = 0; i < 620; i++) {
        state.storage.sql.exec(
          "INSERT INTO sessions (id, user_id, created_at, last_refreshed_at, expires_at, idle_expires_at, due_at, amr) VALUES (?, ?, ?, ?, ?, ?, ?, '[\"pwd\"]')",
          `bulk${String(i).padStart(18, "0")}`, s.user.id, now, now, now + 1000, now + 1000, now + 1000,
        );
      }
    });
    clock.advance(301_000);
    await runDurableObjectAlarm(stub(t));
    expect(EXPIRY_BATCH).toBeLessThanOrEqual(500);
    expect(await count(t, "sessions", "revoke_reason = 'expired'")).toBe(EXPIRY_BATCH);
    const next = await alarmAt(t);
    expect(next).not.toBeNull();
    expect(next! - clock.now()).toBeLessThan(5_000);
    for (let run = 0; run < Math.ceil(621 / EXPIRY_BATCH); run++) await runDurableObjectAlarm(stub(t));
    expect(await count(t, "sessions", "revoke_reason = 'expired'")).toBe(621);
    expect(await count(t, "events", "type = 'session.expired'")).toBe(621);
  });

  it("purges revoked sessions after retention.revoked_sessions_days", async () => {
    const t = await tenantWith({ retention: { revoked_sessions_days: 1 } });
    const s = await signup(t);
    const other = await login(t, s.user.email);
    await call("POST", `/v1/${t}/logout`, { token: s.access_token });
    await runDurableObjectAlarm(stub(t));
    expect(await count(t, "sessions", "id = ?", s.session_id)).toBe(1);
    clock.advance(DAY + 60_000);
    await runDurableObjectAlarm(stub(t));
    expect(await count(t, "sessions", "id = ?", s.session_id)).toBe(0);
    expect(await count(t, "refresh_chains", "chain_id = ?", s.session_id)).toBe(0);
    expect(await count(t, "sessions", "id = ?", other.body.session_id)).toBe(1);
  });

  it("trims events after retention.events_hours but keeps the newest, so seq never restarts", async () => {
    const t = await tenantWith({ retention: { events_hours: 1 } });
    const users = [await signup(t), await signup(t), await signup(t)];
    for (const u of users) await call("POST", `/v1/${t}/logout`, { token: u.access_token });
    const seqs = (await rows<{ seq: number }>(t, "SELECT seq FROM events ORDER BY seq")).map((r) => r.seq);
    expect(seqs).toHaveLength(3);
    clock.advance(2 * HOUR);
    await runDurableObjectAlarm(stub(t));
    expect((await rows<{ seq: number }>(t, "SELECT seq FROM events")).map((r) => r.seq)).toEqual([seqs[2]]);
    const later = await signup(t);
    await call("POST", `/v1/${t}/logout`, { token: later.access_token });
    expect((await rows<{ seq: number }>(t, "SELECT seq FROM events ORDER BY seq")).map((r) => r.seq)).toEqual([seqs[2], seqs[2] + 1]);
  });

  it("trims the audit log after retention.audit_days and the chain still verifies", async () => {
    const t = await tenantWith({ retention: { audit_days: 1 } });
    await signup(t);
    clock.advance(DAY + 60_000);
    await signup(t);
    await runDurableObjectAlarm(stub(t));
    const types = (await rows<{ type: string }>(t, "SELECT type FROM audit_log ORDER BY id")).map((r) => r.type);
    expect(types).toEqual(["signup"]);
    expect(await verifyChain(t)).toEqual({ ok: true, checked: 1, keyed_from: 1, purged: 2 });
  });

  it("keeps a counter past the hard limit, drops stale IP counters, and does not spin on what it keeps", async () => {
    const t = await tenantWith({ lockout: { threshold: 1000, hard_limit: 2 } });
    const s = await signup(t);
    for (let i = 0; i < 3; i++) await call("POST", `/v1/${t}/login`, { body: { login: s.user.email, password: "wrong password here" } });
    // Past the hard limit a login by that email needs Turnstile (this Worker has a secret).
    expect((await call("POST", `/v1/${t}/login`, { body: { login: s.user.email, password: PASSWORD } })).status).toBe(400);
    clock.advance(2 * DAY);
    await runDurableObjectAlarm(stub(t));
    expect((await rows<{ key: string }>(t, "SELECT key FROM attempts")).map((r) => r.key)).toEqual([`login:email:${s.user.email}`]);
    // Nothing left that the alarm can purge soon: it must not re-arm itself every 50 ms.
    const next = await alarmAt(t);
    expect(next === null || next - clock.now() > 60_000).toBe(true);
    expect((await call("POST", `/v1/${t}/login`, { body: { login: s.user.email, password: PASSWORD } })).status).toBe(400);
  });

  it("drops expired one-time tokens and stale attempt counters", async () => {
    const t = await newTenant();
    const s = await signup(t);
    await call("POST", `/v1/${t}/login`, { body: { login: s.user.email, password: "wrong password here" } });
    expect(await count(t, "attempts")).toBeGreaterThan(0);
    clock.advance(2 * DAY);
    await runDurableObjectAlarm(stub(t));
    expect(await count(t, "attempts")).toBe(0);
  });
});

describe("tenant purge", () => {
  it("a deleted tenant is purged by its alarm after the grace period: storage and D1 rows gone, slug free again", async () => {
    const t = await newTenant();
    await signup(t);
    expect((await admin("DELETE", `/tenants/${t}`)).status).toBe(200);
    await d1Eventually("SELECT 1 AS x FROM user_directory WHERE tenant = ?", t);
    clock.advance(DAY);
    await runDurableObjectAlarm(stub(t));
    expect(await count(t, "settings")).toBe(1); // still in its grace period
    clock.advance(7 * DAY);
    await runDurableObjectAlarm(stub(t));
    expect(await rows(t, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' AND name != 'sqlite_sequence'")).toEqual([]);
    expect(await d1("SELECT slug FROM tenants WHERE slug = ?", t)).toEqual([]);
    expect(await d1("SELECT user_id FROM user_directory WHERE tenant = ?", t)).toEqual([]);
    expectError(await admin("GET", `/tenants/${t}`), 404, "tenant_not_found");
    clock.reset();
    expect((await admin("POST", "/tenants", { slug: t, name: "reborn", settings: { password: { hash: "pbkdf2-sha256" } } })).status).toBe(201);
    const s = await signup(t);
    expect((await call("GET", `/v1/${t}/me`, { token: s.access_token })).status).toBe(200);
  });
});

describe("eviction mid-flow loses nothing", () => {
  it("an abort right after a commit loses neither the change nor its D1 delivery", async () => {
    const t = await newTenant();
    const s = await signup(t);
    await abortAllDurableObjects();
    clock.advance(60_000);
    await runDurableObjectAlarm(stub(t));
    expect(await d1("SELECT user_id FROM user_directory WHERE tenant = ?", t)).toEqual([{ user_id: s.user.id }]);
    expect((await refresh(t, s.refresh_token)).status).toBe(200);
  });

  it("evicted between signup and login", async () => {
    const t = await newTenant();
    const s = await signup(t);
    await evictDurableObject(stub(t));
    const l = await call("POST", `/v1/${t}/login`, { body: { login: s.user.email, password: PASSWORD } });
    expect(l.status).toBe(200);
    expect((await call("GET", `/v1/${t}/me`, { token: s.access_token })).status).toBe(200);
    expect((await refresh(t, s.refresh_token)).status).toBe(200);
  });

  it("evicted between loginStart and loginFinish", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const halfway = await loginHalfway(t, s.user.email);
    await evictDurableObject(halfway.o);
    // The RPC type of a token response does not survive serialisation typing (metadata: unknown).
    const finish = (await halfway.finish()) as unknown as Result<TokenResponse>;
    expect(finish.ok).toBe(true);
    if (!finish.ok) return;
    expect((await call("GET", `/v1/${t}/me`, { token: finish.value.access_token })).status).toBe(200);
    expect((await refresh(t, finish.value.refresh_token)).status).toBe(200);
    expect(await count(t, "attempts", "key = ?", halfway.attemptKey)).toBe(0);
  });

  it("evicted between a rotation and the next refresh: reuse detection still holds", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const r = await refresh(t, s.refresh_token);
    await evictDurableObject(stub(t));
    clock.advance(11_000);
    expect((await refresh(t, s.refresh_token)).status).toBe(401);
    expect((await refresh(t, r.body.refresh_token)).status).toBe(401);
  });

  it("evicted after logout-all: the revocation holds", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const key = await apiKey(t);
    await call("POST", `/v1/${t}/logout-all`, { token: s.access_token });
    await evictDurableObject(stub(t));
    expect((await introspect(t, key, s.access_token)).active).toBe(false);
    expect((await refresh(t, s.refresh_token)).status).toBe(401);
    expect((await call("POST", `/v1/${t}/login`, { body: { login: s.user.email, password: PASSWORD } })).status).toBe(200);
  });

  it("an alarm after eviction still finds its work", async () => {
    const t = await tenantWith({ refresh_idle_ttl_s: 300 });
    await signup(t);
    await evictDurableObject(stub(t));
    clock.advance(301_000);
    await runDurableObjectAlarm(stub(t));
    expect(await rows(t, "SELECT type FROM events")).toEqual([{ type: "session.expired" }]);
  });
});
