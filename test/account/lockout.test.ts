/**
 * @module Account lockout: attempts are counted in the tenant object
 * before the password is checked, so parallel guesses cannot get past the threshold; the
 * delay doubles up to `max_s`; `hard_limit` locks until an operator unlock or a reset.
 */
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { DUMMY_TOKEN } from "../../src/turnstile.ts";
import { admin, ADMIN, apiKey, call, expectError, PASSWORD, stub } from "../helpers.ts";
import { client, useMockOutbound, rows, tenantWithUser } from "./kit.ts";

useMockOutbound();

const WRONG = "definitely not the password";

describe("lockout", () => {
  it("6.3.1 50 parallel wrong passwords get no more than `threshold` checks; the lockout clears after its delay", async () => {
    const { t, email } = await tenantWithUser({ lockout: { threshold: 5, base_s: 60, max_s: 900, hard_limit: 100 } });
    const req = client();
    const rs = await Promise.all(Array.from({ length: 50 }, () => req("POST", `/v1/${t}/login`, { body: { login: email, password: WRONG } })));
    const statuses = rs.map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).toBe(5);
    expect(statuses.filter((s) => s === 423).length).toBe(45);
    for (const r of rs.filter((r) => r.status === 423)) expect(r.body.error.code).toBe("locked");

    const locked = await req("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } });
    expectError(locked, 423, "locked");
    const retry = Number(locked.headers.get("retry-after"));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);

    clock.advance(60_000);
    expect((await req("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } })).status).toBe(200);
    // A success resets the counter: the next mistake is an ordinary 401.
    expectError(await req("POST", `/v1/${t}/login`, { body: { login: email, password: WRONG } }), 401, "invalid_credentials");
  });

  it("6.3.1 unknown accounts are counted the same way (no enumeration through 423)", async () => {
    const { t } = await tenantWithUser({ lockout: { threshold: 2, base_s: 60, max_s: 900, hard_limit: 100 } });
    const req = client();
    const ghost = "nobody-here@example.com";
    expectError(await req("POST", `/v1/${t}/login`, { body: { login: ghost, password: WRONG } }), 401, "invalid_credentials");
    expectError(await req("POST", `/v1/${t}/login`, { body: { login: ghost, password: WRONG } }), 401, "invalid_credentials");
    expectError(await req("POST", `/v1/${t}/login`, { body: { login: ghost, password: WRONG } }), 423, "locked");
  });

  it("6.3.1 the delay doubles from base_s with each further failure, capped at max_s", async () => {
    const { t, email } = await tenantWithUser({ lockout: { threshold: 2, base_s: 10, max_s: 25, hard_limit: 100 } });
    const req = client();
    const attempt = (password: string) => req("POST", `/v1/${t}/login`, { body: { login: email, password } });
    await attempt(WRONG);
    await attempt(WRONG); // 2nd failure: locked 10 s
    const delays: number[] = [];
    for (let n = 0; n < 3; n++) {
      const r = await attempt(WRONG);
      expectError(r, 423, "locked");
      const d = Number(r.headers.get("retry-after"));
      delays.push(d);
      clock.advance(d * 1000);
      expectError(await attempt(WRONG), 401, "invalid_credentials");
    }
    expect(delays).toEqual([10, 20, 25]);
  });

  it("6.3.1 at hard_limit a login needs Turnstile instead of locking the owner out; a success clears the count", async () => {
    const { t, email } = await tenantWithUser({ lockout: { threshold: 100, base_s: 1, max_s: 1, hard_limit: 3 } });
    const attacker = client();
    for (let n = 0; n < 3; n++) expectError(await attacker("POST", `/v1/${t}/login`, { body: { login: email, password: WRONG } }), 401, "invalid_credentials");
    const owner = client();
    const r = await owner("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } });
    expectError(r, 400, "turnstile_required");
    expect(r.headers.get("retry-after")).toBeNull();
    clock.advance(7 * 86_400_000);
    expectError(await owner("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } }), 400, "turnstile_required");
    // A person passes the challenge and gets in; a wrong guess with a token is still only a 401.
    expectError(await attacker("POST", `/v1/${t}/login`, { body: { login: email, password: WRONG }, headers: { "cf-turnstile-response": DUMMY_TOKEN } }), 401, "invalid_credentials");
    expect((await owner("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD }, headers: { "cf-turnstile-response": DUMMY_TOKEN } })).status).toBe(200);
    expect((await owner("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } })).status).toBe(200);
    expect(await rows(t, "SELECT data FROM audit_log WHERE type = 'login.locked'")).toEqual([{ data: JSON.stringify({ escalated: "turnstile" }) }, { data: JSON.stringify({ escalated: "turnstile" }) }]);
  });

  it("6.3.1 where the Worker cannot ask for Turnstile, hard_limit locks with no Retry-After until an operator unlocks", async () => {
    const { t, email, user } = await tenantWithUser({ lockout: { threshold: 100, base_s: 1, max_s: 1, hard_limit: 3 } });
    const start = () => stub(t).loginStart({ login: { kind: "email", value: email }, meta: { ip: null, userAgent: null }, turnstileVerified: false, turnstileAvailable: false });
    for (let n = 0; n < 3; n++) expect((await start()).ok).toBe(true);
    clock.advance(7 * 86_400_000);
    expect(await start()).toEqual({ ok: false, error: { code: "locked" } });
    const u = await admin("POST", `/tenants/${t}/users/${user.id}/unlock`);
    expect(u.status, JSON.stringify(u.body)).toBe(204);
    expect((await start()).ok).toBe(true);
    expect(await rows(t, "SELECT user_id, actor FROM audit_log WHERE type = 'user.unlocked'")).toEqual([{ user_id: user.id, actor: "admin" }]);
  });
});

describe("POST /v1/admin/tenants/{slug}/users/{id}/unlock", () => {
  it("needs the admin token, a known tenant and a known user", async () => {
    const { t, user } = await tenantWithUser();
    expectError(await call("POST", `/v1/admin/tenants/${t}/users/${user.id}/unlock`), 401, "unauthorized");
    expectError(await call("POST", `/v1/admin/tenants/${t}/users/${user.id}/unlock`, { token: "wrong-admin-token" }), 401, "invalid_token");
    expectError(await call("POST", `/v1/admin/tenants/no-such-tenant-x/users/${user.id}/unlock`, { token: ADMIN }), 404, "tenant_not_found");
    expectError(await admin("POST", `/tenants/${t}/users/00000000-0000-7000-8000-000000000000/unlock`), 404, "not_found");
    expectError(await admin("POST", `/tenants/${t}/users/not-an-id/unlock`), 404, "not_found");
    expect((await admin("POST", `/tenants/${t}/users/${user.id}/unlock`)).status).toBe(204);
  });
});

describe("POST /v1/{tenant}/admin/users/{id}/unlock", () => {
  it("6.3.1 a tenant's manage key can unlock its own users; other scopes cannot", async () => {
    const { t, user } = await tenantWithUser();
    const manage = await apiKey(t, ["manage"]);
    const introspectOnly = await apiKey(t, ["introspect"]);
    expectError(await call("POST", `/v1/${t}/admin/users/${user.id}/unlock`, { token: introspectOnly }), 403, "forbidden");
    expect((await call("POST", `/v1/${t}/admin/users/${user.id}/unlock`, { token: manage })).status).toBe(204);
    const rowsNow = await rows(t, "SELECT actor FROM audit_log WHERE type = 'user.unlocked'");
    expect(rowsNow).toHaveLength(1);
    expect(String(rowsNow[0].actor)).toMatch(/^key:[0-9a-f]{16}$/);
  });
});
