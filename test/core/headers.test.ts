/** @module Headers on every response, /health, unknown routes and CORS. */
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { clock } from "../../src/clock.ts";
import { Hono } from "hono";
import { buildApp } from "../../src/app.ts";
import { API_CSP, HSTS, securityHeaders } from "../../src/middleware/security-headers.ts";
import { admin, apiKey, BASE, call, env, expectError, newTenant, PASSWORD, signup, stub, uniq } from "../helpers.ts";

afterEach(() => clock.reset());

function expectSecurityHeaders(r: { headers: Headers }) {
  expect(r.headers.get("x-content-type-options")).toBe("nosniff");
  expect(r.headers.get("referrer-policy")).toBe("no-referrer");
  expect(r.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
}

describe("headers", () => {
  it("every response carries nosniff, no-referrer and the API content policy: successes, errors, 404s, 204s, preflights", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const key = await apiKey(t);
    const responses = [
      await call("GET", "/health"),
      await call("GET", "/nope"),
      await call("GET", `/v1/${t}/.well-known/jwks.json`),
      await call("GET", `/v1/${t}/me`, { token: s.access_token }),
      await call("GET", `/v1/${t}/me`),
      await call("POST", `/v1/${t}/introspect`, { token: key, body: { token: s.access_token } }),
      await call("POST", `/v1/${t}/signup`, { raw: "{", headers: { "content-type": "application/json" } }),
      await call("POST", `/v1/${uniq("nx")}/login`, { body: { login: "a@example.com", password: PASSWORD } }),
      await call("GET", `/v1/${t}/events`),
      await admin("GET", "/tenants"),
      await call("GET", "/v1/admin/tenants"),
      await call("POST", `/v1/${t}/logout`, { token: s.access_token }),
      await call("OPTIONS", `/v1/${t}/login`, { headers: { origin: "https://app.example.com", "access-control-request-method": "POST" } }),
    ];
    for (const r of responses) expectSecurityHeaders(r);
  });

  it("errors are {error: {code, message}} JSON with Cache-Control: no-store and no stack", async () => {
    const r = await call("GET", "/v1/admin/tenants");
    expect(r.headers.get("content-type")).toMatch(/^application\/json/);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(r.body).toEqual({ error: { code: "unauthorized", message: expect.any(String) } });
  });

  it("an unexpected failure is 500 internal: the same JSON shape, no stack, no detail", async () => {
    const t = await newTenant();
    const s = await signup(t);
    await runInDurableObject(stub(t), (o, state) => {
      state.storage.sql.exec("UPDATE settings SET settings = 'not json'");
      o.forget();
    });
    // The failure is logged at error level, once by the object (what it could not read) and once
    // as the request's line: captured here (router and object run in the test's isolate), so a
    // passing run prints neither, and nothing is thrown across RPC for workerd to print.
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    let lines: Record<string, unknown>[];
    try {
      const r = await call("GET", `/v1/${t}/me`, { token: s.access_token });
      expectError(r, 500, "internal");
      expect(r.body).toEqual({ error: { code: "internal", message: "Internal error." } });
      expectSecurityHeaders(r);
      lines = logged.mock.calls.map(([line]) => JSON.parse(String(line)));
    } finally {
      logged.mockRestore();
    }
    expect(lines.map((l) => [l.level, l.msg])).toEqual([["error", "tenant state unreadable"], ["error", "request"]]);
    expect(lines[0].error).toMatch(/SyntaxError/);
    expect(JSON.stringify(lines)).not.toMatch(/\bat .*\.ts:\d+/); // a message, no stack
    expect(lines[1]).toMatchObject({ route: "/v1/:tenant/me", status: 500 });
  });

  it("token responses carry Cache-Control: no-store", async () => {
    const t = await newTenant();
    const s = await call("POST", `/v1/${t}/signup`, { body: { email: `${uniq()}@example.com`, password: PASSWORD } });
    const l = await call("POST", `/v1/${t}/login`, { body: { login: s.body.user.email, password: PASSWORD } });
    const r = await call("POST", `/v1/${t}/refresh`, { body: { refresh_token: l.body.refresh_token } });
    for (const x of [s, l, r]) expect(x.headers.get("cache-control")).toBe("no-store");
  });

  it("GET /health answers exactly its documented body", async () => {
    const r = await call("GET", "/health");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: "healthy", message: "API is running" });
  });

  it.each([["GET", "/nope"], ["GET", "/v1"], ["POST", "/health"], ["GET", "/v1/some-tenant/nope"], ["PUT", "/v1/some-tenant/login"]])("an unknown route %s %s is 404 not_found JSON", async (method, path) => {
    expectError(await call(method, path), 404, "not_found");
  });

  it("an unknown admin route is 404 not_found (with the admin token) or 401 (without)", async () => {
    expectError(await admin("GET", "/nope"), 404, "not_found");
    expectError(await admin("POST", "/tenants/some-tenant/nope"), 404, "not_found");
    expectError(await call("GET", "/v1/admin/nope"), 401, "unauthorized");
  });

  it("responses echo a sane X-Request-Id, or make one", async () => {
    const a = await call("GET", "/health", { headers: { "x-request-id": "req-123" } });
    expect(a.headers.get("x-request-id")).toBe("req-123");
    const b = await call("GET", "/health", { headers: { "x-request-id": "bad id\u0001" } });
    expect(b.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("transport and content policy", () => {
  const app = buildApp();

  it("Strict-Transport-Security is sent outside development, on errors too, and not in development", async () => {
    for (const ENVIRONMENT of ["production", "staging", undefined]) {
      for (const path of ["/health", "/nope"]) {
        const r = await app.request(`${BASE}${path}`, {}, { ...env, ENVIRONMENT });
        expect(r.headers.get("strict-transport-security"), `${ENVIRONMENT} ${path}`).toBe(HSTS);
      }
    }
    const dev = await app.request(`${BASE}/health`, {}, { ...env, ENVIRONMENT: "development" });
    expect(dev.headers.get("strict-transport-security")).toBeNull();
    expect(dev.headers.get("content-security-policy")).toBe(API_CSP);
  });

  it("a response that brings its own Content-Security-Policy keeps it", async () => {
    const page = new Hono().use(securityHeaders()).get("/page", (c) => c.html("<p>hi</p>", 200, { "content-security-policy": "default-src 'self'" }));
    const r = await page.request("http://localhost/page");
    expect(r.headers.get("content-security-policy")).toBe("default-src 'self'");
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");
  });
});

describe("CORS", () => {
  const app = buildApp();
  const request = (path: string, init: RequestInit, allowed: string) => app.request(`${BASE}${path}`, init, { ...env, ALLOWED_ORIGINS: allowed });

  it("a preflight from an allowed origin is answered with that origin", async () => {
    const r = await request("/v1/acme/login", { method: "OPTIONS", headers: { origin: "https://app.example.com", "access-control-request-method": "POST", "access-control-request-headers": "content-type" } }, "https://app.example.com, https://admin.example.com");
    expect(r.status).toBe(204);
    expect(r.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(r.headers.get("access-control-allow-methods")).toContain("POST");
    expect(r.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("content-type");
    expectSecurityHeaders(r);
  });

  it("a preflight from another origin gets no Access-Control-Allow-Origin", async () => {
    const r = await request("/v1/acme/login", { method: "OPTIONS", headers: { origin: "https://evil.example.com", "access-control-request-method": "POST" } }, "https://app.example.com");
    expect(r.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("no ALLOWED_ORIGINS allows no origin", async () => {
    const r = await request("/health", { headers: { origin: "https://app.example.com" } }, "");
    expect(r.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("ALLOWED_ORIGINS * allows any origin", async () => {
    const r = await request("/health", { headers: { origin: "https://anything.example" } }, "*");
    expect(r.headers.get("access-control-allow-origin")).toBe("https://anything.example");
  });

  it("a simple request from an allowed origin gets the origin and the exposed headers", async () => {
    const r = await request("/health", { headers: { origin: "https://app.example.com" } }, "https://app.example.com");
    expect(r.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(r.headers.get("access-control-expose-headers")).toContain("Retry-After");
  });
});
