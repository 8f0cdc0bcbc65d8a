/** @module Admin tenant API: create, list (D1), show with stats, deep-merge PATCH, delete; unknown tenants store nothing. */
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { ADMIN, admin, call, d1, eventually, expectError, newTenant, rows, signup, stub, tenantWith, uniq } from "../helpers.ts";

afterEach(() => clock.reset());

describe("POST /v1/admin/tenants", () => {
  it("creates a tenant: 201 with slug, name, status and fully defaulted settings", async () => {
    const slug = uniq("c");
    const r = await admin("POST", "/tenants", { slug, name: "Acme" });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(r.body).toMatchObject({ slug, name: "Acme", status: "active", deleted_at: null });
    expect(Date.parse(r.body.created_at)).not.toBeNaN();
    expect(r.body.settings).toMatchObject({
      access_ttl_s: 3600,
      refresh_ttl_s: 2_592_000,
      refresh_idle_ttl_s: 604_800,
      refresh_reuse_grace_s: 10,
      token_alg: "EdDSA",
      audience: null,
      password: { min_length: 12, hash: "argon2id" },
      signup: { enabled: true, identifiers: ["email", "username"], require_email_verification: false },
      lockout: { threshold: 5, base_s: 60, max_s: 900, hard_limit: 100 },
      retention: { deleted_users_days: 90, audit_days: 30, events_hours: 24, revoked_sessions_days: 7 },
    });
  });

  it("a slug already taken is 409 conflict", async () => {
    const slug = await newTenant();
    expectError(await admin("POST", "/tenants", { slug, name: "again" }), 409, "conflict");
  });

  it.each(["a", "-abc", "Upper", "has_underscore", "x".repeat(64), "with space", "dot.ted"])("a malformed slug %j is 400 invalid_request", async (slug) => {
    const r = await admin("POST", "/tenants", { slug, name: "n" });
    expectError(r, 400, "invalid_request");
    expect(r.body.error.details[0].path).toBe("slug");
  });

  it.each(["admin", "health", "v1"])("the reserved slug %j is 400 invalid_request", async (slug) => {
    expectError(await admin("POST", "/tenants", { slug, name: "n" }), 400, "invalid_request");
  });

  it("invalid settings are 400 invalid_request and store nothing", async () => {
    const slug = uniq("c");
    const r = await admin("POST", "/tenants", { slug, name: "n", settings: { access_ttl_s: 5 } });
    expectError(r, 400, "invalid_request");
    // The error model's detail shape: the field, the zod issue code, the message.
    expect(r.body.error.details[0]).toEqual({ path: "settings.access_ttl_s", code: "too_small", message: expect.any(String) });
    expect(await rows(slug, "SELECT name FROM sqlite_master")).toEqual([]);
  });

  it("6.2.1 password.min_length cannot be set below 8, on create or on PATCH", async () => {
    expectError(await admin("POST", "/tenants", { slug: uniq("c"), name: "n", settings: { password: { min_length: 7 } } }), 400, "invalid_request");
    const t = await newTenant();
    const r = await admin("PATCH", `/tenants/${t}`, { settings: { password: { min_length: 7 } } });
    expectError(r, 400, "invalid_request");
    expect(r.body.error.details[0].path).toBe("settings.password.min_length");
    expect((await admin("GET", `/tenants/${t}`)).body.settings.password.min_length).toBe(12);
  });

  it("6.3.2 a new tenant has no accounts: admin, root and sa cannot sign in, and the user list is empty", async () => {
    const t = await newTenant();
    for (const name of ["admin", "root", "administrator", "admin@example.com"]) {
      expectError(await call("POST", `/v1/${t}/login`, { body: { login: name, password: name } }), 401, "invalid_credentials");
    }
    // "sa" cannot even be a username (3 to 64 characters).
    expectError(await call("POST", `/v1/${t}/login`, { body: { login: "sa", password: "sa" } }), 400, "invalid_request");
    expect((await admin("GET", `/tenants/${t}/users`)).body.users).toEqual([]);
    expect(await rows(t, "SELECT id FROM users")).toEqual([]);
  });

  it("without an admin token is 401 unauthorized", async () => {
    expectError(await call("POST", "/v1/admin/tenants", { body: { slug: uniq("c"), name: "n" } }), 401, "unauthorized");
  });

  it("with a wrong admin token is 401 invalid_token", async () => {
    expectError(await call("GET", "/v1/admin/tenants", { token: `${ADMIN}x` }), 401, "invalid_token");
    expectError(await call("GET", "/v1/admin/tenants", { headers: { authorization: `Basic ${btoa("a:b")}` } }), 401, "unauthorized");
  });
});

describe("GET /v1/admin/tenants", () => {
  it("lists tenants from D1 in slug order with cursor paging", async () => {
    const prefix = uniq("pg");
    const slugs = [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`];
    for (const s of slugs) await newTenant({}, s);
    const seen: string[] = [];
    let cursor: string | null = prefix;
    for (let page = 0; page < 5 && cursor; page++) {
      const r = await admin("GET", `/tenants?limit=2&cursor=${encodeURIComponent(cursor)}`);
      expect(r.status).toBe(200);
      expect(r.body.tenants.length).toBeLessThanOrEqual(2);
      for (const t of r.body.tenants) if (t.slug.startsWith(prefix)) seen.push(t.slug);
      if (r.body.tenants.some((t: { slug: string }) => !t.slug.startsWith(prefix))) break;
      cursor = r.body.next_cursor;
    }
    expect(seen).toEqual(slugs);
    const one = (await admin("GET", `/tenants?limit=1&cursor=${prefix}`)).body;
    expect(one.tenants[0]).toMatchObject({ slug: slugs[0], status: "active", user_count: 0 });
    expect(one.next_cursor).toBe(slugs[0]);
  });

  it("a bad limit or an unknown query parameter is 400 invalid_request", async () => {
    expectError(await admin("GET", "/tenants?limit=0"), 400, "invalid_request");
    expectError(await admin("GET", "/tenants?limit=abc"), 400, "invalid_request");
    expectError(await admin("GET", "/tenants?bogus=1"), 400, "invalid_request");
  });
});

describe("GET /v1/admin/tenants/{slug}", () => {
  it("shows settings and live stats from the object", async () => {
    const slug = await newTenant();
    await signup(slug);
    await signup(slug);
    const r = await admin("GET", `/tenants/${slug}`);
    expect(r.status).toBe(200);
    expect(r.body.slug).toBe(slug);
    expect(r.body.stats).toMatchObject({ users: 2, active_sessions: 2, schema_version: expect.any(Number), event_seq: 0, subscribers: { service: 0, user: 0 } });
    expect(r.body.stats.storage_bytes).toBeGreaterThan(0);
    expect(r.body.stats.outbox.depth).toEqual(expect.any(Number));
    expect(r.body.stats.outbox).toHaveProperty("oldest_age_s");
    expect(r.body.stats.next_alarm_at === null || !Number.isNaN(Date.parse(r.body.stats.next_alarm_at))).toBe(true);
  });

  it("an unknown tenant is 404 tenant_not_found", async () => {
    expectError(await admin("GET", `/tenants/${uniq("nx")}`), 404, "tenant_not_found");
  });

  it("shows the settings in force: a setting the stored row predates is shown with its default", async () => {
    const slug = await newTenant();
    // A row written before `branding` existed: the tenant runs with its defaults.
    await rows(slug, "UPDATE settings SET settings = json_remove(settings, '$.branding') WHERE id = 1");
    const r = await admin("GET", `/tenants/${slug}`);
    expect(r.status).toBe(200);
    expect(r.body.settings.branding).toEqual({ display_name: null, logo_url: null, primary_color: "#2f5bea" });
  });
});

describe("PATCH /v1/admin/tenants/{slug}", () => {
  it("a partial settings object changes only what it names", async () => {
    const slug = await tenantWith({ lockout: { threshold: 7 }, retention: { audit_days: 9 } });
    const before = (await admin("GET", `/tenants/${slug}`)).body.settings;
    const r = await admin("PATCH", `/tenants/${slug}`, { settings: { password: { min_length: 16 }, lockout: { base_s: 30 } } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.settings).toEqual({
      ...before,
      password: { ...before.password, min_length: 16 },
      lockout: { ...before.lockout, base_s: 30 },
    });
    expect(r.body.settings.password.hash).toBe("pbkdf2-sha256");
    expect(r.body.settings.lockout.threshold).toBe(7);
    expect((await admin("GET", `/tenants/${slug}`)).body.settings).toEqual(r.body.settings);
  });

  it("renames without touching the settings", async () => {
    const slug = await newTenant();
    const before = (await admin("GET", `/tenants/${slug}`)).body;
    const r = await admin("PATCH", `/tenants/${slug}`, { name: "Renamed" });
    expect(r.body).toMatchObject({ name: "Renamed", settings: before.settings });
  });

  it("invalid settings are 400 invalid_request with details, and nothing changes", async () => {
    const slug = await newTenant();
    const before = (await admin("GET", `/tenants/${slug}`)).body.settings;
    const r = await admin("PATCH", `/tenants/${slug}`, { settings: { password: { min_length: 4 } } });
    expectError(r, 400, "invalid_request");
    expect(r.body.error.details).toEqual([expect.objectContaining({ path: "settings.password.min_length" })]);
    expect((await admin("GET", `/tenants/${slug}`)).body.settings).toEqual(before);
  });

  it("an unknown settings key is 400 invalid_request", async () => {
    const slug = await newTenant();
    const r = await admin("PATCH", `/tenants/${slug}`, { settings: { lockout: { threshhold: 3 } } });
    expectError(r, 400, "invalid_request");
    expect(JSON.stringify(r.body.error.details)).toContain("threshhold");
    expectError(await admin("PATCH", `/tenants/${slug}`, { settings: { nope: 1 } }), 400, "invalid_request");
  });

  it("an empty patch is 400 invalid_request", async () => {
    const slug = await newTenant();
    expectError(await admin("PATCH", `/tenants/${slug}`, {}), 400, "invalid_request");
  });

  it("a new min_length applies to the very next sign-up", async () => {
    const slug = await newTenant();
    await admin("PATCH", `/tenants/${slug}`, { settings: { password: { min_length: 20 } } });
    expectError(await call("POST", `/v1/${slug}/signup`, { body: { email: `${uniq()}@example.com`, password: "correct horse batt" } }), 400, "password_policy");
  });
});

describe("DELETE /v1/admin/tenants/{slug}", () => {
  it("soft deletes: every tenant route then answers 404 tenant_not_found", async () => {
    const slug = await newTenant();
    const s = await signup(slug);
    const r = await admin("DELETE", `/tenants/${slug}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ slug, status: "deleted" });
    expectError(await call("POST", `/v1/${slug}/login`, { body: { login: s.user.email, password: "x" } }), 404, "tenant_not_found");
    expectError(await call("GET", `/v1/${slug}/me`, { token: s.access_token }), 404, "tenant_not_found");
    expectError(await call("POST", `/v1/${slug}/refresh`, { body: { refresh_token: s.refresh_token } }), 404, "tenant_not_found");
    expectError(await call("GET", `/v1/${slug}/.well-known/jwks.json`), 404, "tenant_not_found");
    expectError(await admin("PATCH", `/tenants/${slug}`, { name: "x" }), 404, "tenant_not_found");
    expectError(await admin("POST", `/tenants/${slug}/api-keys`, { name: "k", scopes: ["introspect"] }), 404, "tenant_not_found");
    // The operator can still see it, and the slug stays taken until the purge.
    expect((await admin("GET", `/tenants/${slug}`)).body.status).toBe("deleted");
    expectError(await admin("POST", "/tenants", { slug, name: "again" }), 409, "conflict");
    const [row] = await eventually(() => d1<{ status: string; deleted_at: number | null }>("SELECT status, deleted_at FROM tenants WHERE slug = ? AND status = 'deleted'", slug).then((r) => (r.length ? r : null)));
    expect(row.deleted_at).not.toBeNull();
  });
});

describe("unknown tenant", () => {
  const routes: [string, string, unknown?][] = [
    ["POST", "/signup", { email: "a@example.com", password: "correct horse battery staple" }],
    ["POST", "/login", { login: "a@example.com", password: "correct horse battery staple" }],
    ["POST", "/refresh", { refresh_token: `${"a".repeat(22)}.${"b".repeat(43)}` }],
    ["POST", "/logout"],
    ["POST", "/logout-all"],
    ["GET", "/me"],
    ["PATCH", "/me", { current_password: "x", metadata: {} }],
    ["DELETE", "/me", { password: "x" }],
    ["GET", "/sessions"],
    ["DELETE", `/sessions/${"a".repeat(22)}`],
    ["POST", "/revoke", { token: "x" }],
    ["POST", "/introspect", { token: "x" }],
    ["GET", "/.well-known/jwks.json"],
    ["GET", "/events"],
  ];

  it.each(routes)("%s %s answers 404 tenant_not_found and stores nothing", async (method, path, body) => {
    const slug = uniq("nx");
    const r = await call(method, `/v1/${slug}${path}`, { body, token: "wk_0123456789abcdef.x" });
    expectError(r, 404, "tenant_not_found");
    const stored = await runInDurableObject(stub(slug), async (_o, state) => ({
      tables: state.storage.sql.exec("SELECT name FROM sqlite_master").toArray(),
      kv: [...(await state.storage.list()).keys()],
      alarm: await state.storage.getAlarm(),
    }));
    expect(stored).toEqual({ tables: [], kv: [], alarm: null });
  });

  it("admin routes for an unknown tenant answer 404 tenant_not_found", async () => {
    const slug = uniq("nx");
    expectError(await admin("PATCH", `/tenants/${slug}`, { name: "x" }), 404, "tenant_not_found");
    expectError(await admin("DELETE", `/tenants/${slug}`), 404, "tenant_not_found");
    expectError(await admin("GET", `/tenants/${slug}/api-keys`), 404, "tenant_not_found");
    expectError(await admin("POST", `/tenants/${slug}/signing-keys/rotate`), 404, "tenant_not_found");
    expect(await rows(slug, "SELECT name FROM sqlite_master")).toEqual([]);
  });

  it("a slug that cannot exist is refused without addressing any object", async () => {
    expectError(await call("GET", "/v1/Not_A_Slug/me"), 404, "tenant_not_found");
    expectError(await call("GET", "/v1/x/.well-known/jwks.json"), 404, "tenant_not_found");
  });
});

describe("D1 index", () => {
  it("the tenants row appears right after create", async () => {
    const slug = await newTenant();
    const [row] = await eventually(() => d1("SELECT * FROM tenants WHERE slug = ?", slug).then((r) => (r.length ? r : null)));
    expect(row).toMatchObject({ slug, name: `Tenant ${slug}`, status: "active", deleted_at: null, user_count: 0 });
  });
});
