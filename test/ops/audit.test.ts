import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { expectError, newTenant, signup, stub } from "../helpers.ts";
import { expectLogin, operator } from "./helpers.ts";

afterEach(() => clock.reset());

describe("the audit log", () => {
  it("is queried by user, type and time, a page at a time", async () => {
    const t = await newTenant();
    const admin = operator(t);
    const a = await signup(t, { email: "a@example.com" });
    const b = await signup(t, { email: "b@example.com" });
    clock.advance(60_000);
    const since = new Date(clock.now()).toISOString();
    await expectLogin(t, "a@example.com");
    await expectLogin(t, "a@example.com");

    let r = await admin("GET", "/audit");
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.entries.map((e: any) => e.type)).toEqual(["tenant.created", "signup", "signup", "login.success", "login.success"]);
    expect(Object.keys(r.body.entries[1]).sort()).toEqual(["actor", "data", "id", "ip", "session_id", "ts", "type", "user_id"]);
    expect(r.body.next_cursor).toBeNull();

    expect((await admin("GET", `/audit?user=${b.user.id}`)).body.entries.map((e: any) => e.type)).toEqual(["signup"]);
    expect((await admin("GET", "/audit?type=signup")).body.entries.map((e: any) => e.user_id)).toEqual([a.user.id, b.user.id]);
    r = await admin("GET", `/audit?since=${encodeURIComponent(since)}`);
    expect(r.body.entries.map((e: any) => e.type)).toEqual(["login.success", "login.success"]);
    expect(r.body.entries[0]).toMatchObject({ user_id: a.user.id, data: { amr: ["pwd"] } });

    r = await admin("GET", `/audit?user=${a.user.id}&limit=2`);
    expect(r.body.entries.map((e: any) => e.type)).toEqual(["signup", "login.success"]);
    r = await admin("GET", `/audit?user=${a.user.id}&limit=2&cursor=${r.body.next_cursor}`);
    expect(r.body.entries.map((e: any) => e.type)).toEqual(["login.success"]);
    expect(r.body.next_cursor).toBeNull();
  });

  it("pages newest first with order=newest, the cursor walking back", async () => {
    const t = await newTenant();
    const admin = operator(t);
    const a = await signup(t, { email: "a@example.com" });
    await expectLogin(t, "a@example.com");
    await expectLogin(t, "a@example.com");

    let r = await admin("GET", "/audit?order=newest&limit=2");
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.entries.map((e: any) => e.type)).toEqual(["login.success", "login.success"]);
    expect(r.body.entries[0].id).toBeGreaterThan(r.body.entries[1].id);
    r = await admin("GET", `/audit?order=newest&limit=2&cursor=${r.body.next_cursor}`);
    expect(r.body.entries.map((e: any) => e.type)).toEqual(["signup", "tenant.created"]);
    expect(r.body.next_cursor).toBeNull();
    r = await admin("GET", `/audit?order=newest&user=${a.user.id}&limit=1`);
    expect(r.body.entries.map((e: any) => e.type)).toEqual(["login.success"]);
    expect((await admin("GET", "/audit?order=oldest&limit=1")).body.entries[0].type).toBe("tenant.created");
    expectError(await admin("GET", "/audit?order=random"), 400, "invalid_request");
  });

  it("refuses malformed filters", async () => {
    const t = await newTenant();
    const admin = operator(t);
    expectError(await admin("GET", "/audit?since=yesterday"), 400, "invalid_request");
    expectError(await admin("GET", "/audit?cursor=abc"), 400, "invalid_request");
    expectError(await admin("GET", "/audit?limit=5000"), 400, "invalid_request");
    expectError(await admin("GET", "/audit?actor=admin"), 400, "invalid_request");
  });

  it("verifies its hash chain and finds a row edited after the fact", async () => {
    const t = await newTenant();
    const admin = operator(t);
    await signup(t);
    await signup(t);
    await signup(t);
    expect((await admin("GET", "/audit/verify")).body).toEqual({ ok: true, checked: 4, keyed_from: 1, purged: 0 });

    await runInDurableObject(stub(t), (_o, state) => {
      state.storage.sql.exec("UPDATE audit_log SET data = ? WHERE id = 3", JSON.stringify({ by: "someone else" }));
    });
    expect((await admin("GET", "/audit/verify")).body).toEqual({ ok: false, checked: 2, broken_at: 3, reason: "altered", keyed_from: 1, purged: 0 });
  });

  it("finds a row deleted from the middle of the chain", async () => {
    const t = await newTenant();
    await signup(t);
    await signup(t);
    await runInDurableObject(stub(t), (_o, state) => {
      state.storage.sql.exec("DELETE FROM audit_log WHERE id = 2");
    });
    expect((await operator(t)("GET", "/audit/verify")).body).toEqual({ ok: false, checked: 1, broken_at: 3, reason: "altered", keyed_from: 1, purged: 0 });
  });
});
