import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { TENANT_PURGE_GRACE_MS } from "../../objects/tenant/flows/admin.ts";
import { admin, apiKey, call, expectError, newTenant, signup, stub } from "../helpers.ts";
import { flush, operator } from "./helpers.ts";

afterEach(() => clock.reset());

const d1Rows = async (t: string) => ({
  tenants: (await env.DB.prepare("SELECT COUNT(*) AS n FROM tenants WHERE slug = ?").bind(t).first<{ n: number }>())!.n,
  directory: (await env.DB.prepare("SELECT COUNT(*) AS n FROM user_directory WHERE tenant = ?").bind(t).first<{ n: number }>())!.n,
});

describe("deleting a tenant", () => {
  it("refuses its requests at once and purges its storage and D1 rows after the grace period; the slug can be taken again", async () => {
    const t = await newTenant();
    const key = await apiKey(t, ["manage"]);
    const u = await signup(t, { email: "x@example.com" });
    await flush(t);
    expect(await d1Rows(t)).toEqual({ tenants: 1, directory: 1 });

    const del = await admin("DELETE", `/tenants/${t}`);
    expect(del.status, JSON.stringify(del.body)).toBe(200);
    expectError(await call("POST", `/v1/${t}/login`, { body: { login: "x@example.com", password: "correct horse battery staple" } }), 404, "tenant_not_found");
    expectError(await call("GET", `/v1/${t}/me`, { token: u.access_token }), 404, "tenant_not_found");
    expectError(await operator(t)("GET", "/users"), 404, "tenant_not_found");
    expectError(await operator(t, key)("GET", "/users"), 404, "tenant_not_found");
    expectError(await admin("GET", `/tenants/${t}/users/export`), 404, "tenant_not_found");
    // Still inspectable, and its D1 row says deleted.
    expect((await admin("GET", `/tenants/${t}`)).body.status).toBe("deleted");

    // Before the grace period the alarm purges nothing.
    await runDurableObjectAlarm(stub(t));
    expect((await d1Rows(t)).tenants).toBe(1);

    clock.advance(TENANT_PURGE_GRACE_MS + 1_000);
    expect(await runDurableObjectAlarm(stub(t))).toBe(true);

    expect(await d1Rows(t)).toEqual({ tenants: 0, directory: 0 });
    const left = await runInDurableObject(stub(t), async (_o, state) => ({
      tables: state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf%' ESCAPE '\\' AND name != 'sqlite_sequence'").toArray(),
      alarm: await state.storage.getAlarm(),
    }));
    expect(left).toEqual({ tables: [], alarm: null });
    expectError(await admin("GET", `/tenants/${t}`), 404, "tenant_not_found");

    // The slug is free: a new tenant starts empty.
    await newTenant({}, t);
    expect((await operator(t)("GET", "/users")).body.users).toEqual([]);
    await signup(t, { email: "x@example.com" });
  });
});
