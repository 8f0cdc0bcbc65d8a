/**
 * @module The console's sign-in and session: the cookie's attributes, the idle and absolute
 * timeouts, the session dying with its token (a rotated ADMIN_TOKEN, a revoked key), a manage
 * key seeing its one tenant and none of the operator's pages, and the refusals (no Origin, a
 * foreign Origin, no or a wrong CSRF token) that change nothing.
 */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { buildApp } from "../../src/app.ts";
import { ABSOLUTE_MS, IDLE_MS } from "../../src/routes/console/session.ts";
import { ADMIN, admin, apiKey, BASE, newTenant, rows, signup, uniq } from "../helpers.ts";
import { Console, operator } from "./kit.ts";

afterEach(() => clock.reset());

describe("sign-in", () => {
  it("the admin token becomes a __Host- cookie: HttpOnly, Secure, SameSite=Strict, Path=/, for at most 12 hours", async () => {
    const c = new Console();
    const r = await c.signIn(ADMIN);
    expect(r.status).toBe(303);
    expect(r.location).toBe("/admin/tenants");
    const set = r.headers.getSetCookie().find((s) => s.startsWith("__Host-warden_console="))!;
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/Secure/i);
    expect(set).toMatch(/SameSite=Strict/i);
    expect(set).toMatch(/Path=\//);
    expect(Number(/Max-Age=(\d+)/i.exec(set)![1])).toBeLessThanOrEqual(ABSOLUTE_MS / 1000);
    // The cookie is sealed: the token is not in it.
    expect(c.session()).not.toContain(ADMIN);
    const page = await c.open("/admin/tenants");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(page.headers.get("content-security-policy")).not.toContain("unsafe-inline");
  });

  it("on loopback http the cookie has no __Host- prefix and no Secure, scoped to /admin/", async () => {
    const c = new Console();
    await c.open("http://127.0.0.1/admin/");
    const r = await c.request("POST", "http://127.0.0.1/admin/sign-in", { csrf: c.csrf!, token: ADMIN, tenant: "" }, { origin: "http://127.0.0.1" });
    const set = r.headers.getSetCookie().find((s) => s.startsWith("warden_console="))!;
    expect(set).toBeDefined();
    expect(set).not.toMatch(/Secure/i);
    expect(set).toMatch(/Path=\/admin\//);
  });

  it("a wrong token is refused with the same message for both kinds, and sets no session", async () => {
    const t = await newTenant();
    for (const [token, tenant] of [["wrong", ""], ["wk_0000000000000000.nope", t]]) {
      const c = new Console();
      const r = await c.signIn(token, tenant);
      expect(r.status).toBe(401);
      expect(r.html).toContain("That token is not valid here.");
      expect(c.session()).toBeUndefined();
    }
  });

  it("a key without the manage scope cannot sign in", async () => {
    const t = await newTenant();
    const c = new Console();
    expect((await c.signIn(await apiKey(t, ["subscribe"]), t)).status).toBe(401);
  });

  it("a manage key's sign-in is in its tenant's audit log with the key as actor", async () => {
    const t = await newTenant();
    const key = await apiKey(t, ["manage"]);
    const c = new Console();
    const r = await c.signIn(key, t);
    expect(r.location).toBe(`/admin/t/${t}/users`);
    const id = /^wk_([0-9a-f]{16})\./.exec(key)![1];
    const [row] = await rows<{ actor: string; data: string }>(t, "SELECT actor, data FROM audit_log WHERE type = 'console.signed_in'");
    expect(row.actor).toBe(`key:${id}`);
    expect(JSON.parse(row.data)).toEqual({ via: "api_key" });
  });

  it("signing out clears the cookie", async () => {
    const c = await operator();
    await c.open("/admin/tenants");
    const r = await c.post("/admin/sign-out");
    expect(r.location).toBe("/admin/?ended=signed_out");
    expect(c.session()).toBeUndefined();
    expect((await c.get("/admin/tenants")).location).toBe("/admin/");
  });
});

describe("timeouts", () => {
  it("ends after 30 minutes without a request", async () => {
    const c = await operator();
    clock.advance(IDLE_MS + 1000);
    const r = await c.get("/admin/tenants");
    expect(r.status).toBe(303);
    expect(r.location).toBe("/admin/?ended=idle");
    expect(c.session()).toBeUndefined();
  });

  it("activity keeps it alive, but not past 12 hours after the sign-in", async () => {
    const c = await operator();
    const step = IDLE_MS - 60_000;
    let elapsed = 0;
    while (elapsed + step < ABSOLUTE_MS) {
      clock.advance(step);
      elapsed += step;
      expect((await c.get("/admin/tenants")).status).toBe(200);
    }
    clock.advance(ABSOLUTE_MS - elapsed);
    const r = await c.get("/admin/tenants");
    expect(r.location).toBe("/admin/?ended=expired");
  });

  it("a cookie that does not open (tampered) is no session", async () => {
    const c = await operator();
    const v = c.session()!;
    c.jar.set("__Host-warden_console", v.slice(0, -4) + (v.endsWith("AAAA") ? "BBBB" : "AAAA"));
    expect((await c.get("/admin/tenants")).location).toBe("/admin/?ended=revoked");
  });
});

describe("the session dies with its token", () => {
  it("a rotated ADMIN_TOKEN ends the operator's session", async () => {
    const c = await operator();
    const cookie = `__Host-warden_console=${c.session()}`;
    const app = buildApp();
    const same = await app.request(`${BASE}/admin/tenants`, { headers: { cookie } }, env);
    expect(same.status).toBe(200);
    const rotated = await app.request(`${BASE}/admin/tenants`, { headers: { cookie } }, { ...env, ADMIN_TOKEN: "a-new-admin-token-0123456789abcdef" });
    expect(rotated.status).toBe(303);
    expect(rotated.headers.get("location")).toBe("/admin/?ended=revoked");
  });

  it("a revoked manage key ends its session at the next request", async () => {
    const t = await newTenant();
    const key = await apiKey(t, ["manage"]);
    const c = new Console();
    await c.signIn(key, t);
    expect((await c.get(`/admin/t/${t}/users`)).status).toBe(200);
    const id = /^wk_([0-9a-f]{16})\./.exec(key)![1];
    expect((await admin("DELETE", `/tenants/${t}/api-keys/${id}`)).status).toBe(204);
    const r = await c.get(`/admin/t/${t}/users`);
    expect(r.location).toBe("/admin/?ended=revoked");
  });
});

describe("a manage key sees its tenant only", () => {
  it("not the tenant list, not another tenant, not the operator-only pages", async () => {
    const t = await newTenant();
    const other = await newTenant();
    const c = new Console();
    await c.signIn(await apiKey(t, ["manage"]), t);
    expect((await c.get(`/admin/t/${t}/users`)).status).toBe(200);
    expect((await c.get(`/admin/t/${t}/audit`)).status).toBe(200);
    expect((await c.get("/admin/tenants")).status).toBe(403);
    expect((await c.get(`/admin/t/${other}/users`)).status).toBe(404);
    for (const p of ["keys", "settings"]) expect((await c.get(`/admin/t/${t}/${p}`)).status, p).toBe(403);
    // The overview (live stats) is the admin API's, so the operator's: a key lands on its users.
    expect((await c.get(`/admin/t/${t}`)).location).toBe(`/admin/t/${t}/users`);
    const page = await c.open(`/admin/t/${t}/users`);
    expect(page.html).not.toContain(`/admin/t/${t}/keys`);
    expect(page.html).not.toContain(`/admin/t/${t}/settings`);
    // Its changes on operator-only resources are refused too.
    expect((await c.post(`/admin/t/${t}/delete`, { confirm: t })).status).toBe(403);
    expect((await c.post("/admin/tenants", { slug: uniq("x"), name: "X" })).status).toBe(403);
    expect((await admin("GET", `/tenants/${t}`)).body.status).toBe("active");
  });
});

describe("Origin and CSRF", () => {
  it("a change without Origin, from another origin, or without the right CSRF token is refused and changes nothing", async () => {
    const t = await newTenant();
    const u = await signup(t);
    const c = await operator();
    const path = `/admin/t/${t}/users/${u.user.id}/disable`;
    await c.open(`/admin/t/${t}/users/${u.user.id}`);
    expect((await c.post(path, {}, { origin: null })).status).toBe(403);
    expect((await c.post(path, {}, { origin: "https://evil.example" })).status).toBe(403);
    expect((await c.post(path, {}, { csrf: null })).status).toBe(403);
    expect((await c.post(path, {}, { csrf: "A".repeat(43) })).status).toBe(403);
    // A token from another browser (another CSRF cookie and sign-in) is no good here either.
    const other = await operator();
    await other.open("/admin/tenants");
    expect((await c.post(path, {}, { csrf: other.csrf })).status).toBe(403);
    expect((await admin("GET", `/tenants/${t}/users/${u.user.id}`)).body.user.status).toBe("active");
    // The sign-in form is guarded the same way.
    const fresh = new Console();
    await fresh.open("/admin/");
    expect((await fresh.post("/admin/sign-in", { token: ADMIN }, { origin: "https://evil.example" })).status).toBe(403);
    expect((await fresh.post("/admin/sign-in", { token: ADMIN }, { csrf: null })).status).toBe(403);
    expect(fresh.session()).toBeUndefined();
    // With both, the change goes through.
    expect((await c.post(path)).status).toBe(303);
    expect((await admin("GET", `/tenants/${t}/users/${u.user.id}`)).body.user.status).toBe("disabled");
  });
});
