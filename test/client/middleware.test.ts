/** `wardenAuth`: the Hono middleware for resource servers, driven with `app.request`. */
import { SELF } from "cloudflare:test";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { wardenAuth, type VerifyResult, type WardenVariables } from "../../src/client/index.ts";
import { apiKey, call, newTenant, signup } from "../helpers.ts";
import { harness } from "./harness.ts";

function appWith(verify: (token: string) => Promise<VerifyResult>) {
  const app = new Hono<{ Variables: WardenVariables }>();
  app.use("/api/*", wardenAuth({ verify }));
  app.get("/api/me", (c) => c.json({ sub: c.get("warden").sub }));
  return app;
}

describe("wardenAuth", () => {
  const claims = { sub: "u1", sid: "s1", ver: 1 } as never;
  const app = appWith(async (t) => (t === "good" ? { active: true, claims, via: "local" } : { active: false, reason: t === "old" ? "expired" : "revoked" }));

  it("no Authorization → 401 unauthorized with a Bearer challenge", async () => {
    const r = await app.request("http://localhost/api/me");
    expect(r.status).toBe(401);
    expect(await r.json()).toEqual({ error: { code: "unauthorized", message: expect.any(String) } });
    expect(r.headers.get("www-authenticate")).toBe('Bearer realm="warden"');
    expect(r.headers.get("cache-control")).toBe("no-store");
  });

  it("a malformed header or an inactive token → 401 invalid_token (RFC 6750 section 3)", async () => {
    for (const [auth, msg] of [["Basic abc", "invalid"], ["Bearer old", "expired"], ["Bearer revoked", "revoked"]]) {
      const r = await app.request("http://localhost/api/me", { headers: { authorization: auth } });
      expect(r.status).toBe(401);
      const body: any = await r.json();
      expect(body.error.code).toBe("invalid_token");
      expect(body.error.message).toContain(msg);
      expect(r.headers.get("www-authenticate")).toMatch(/^Bearer realm="warden", error="invalid_token"/);
    }
  });

  it("an active token → the handler runs with c.get('warden')", async () => {
    const r = await app.request("http://localhost/api/me", { headers: { authorization: "Bearer good" } });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ sub: "u1" });
  });

  it("revocation state unknown (unavailable) → 503 with Retry-After, never 401 invalid_token", async () => {
    const down = appWith(async () => ({ active: false, reason: "unavailable" }));
    const r = await down.request("http://localhost/api/me", { headers: { authorization: "Bearer any" } });
    expect(r.status).toBe(503);
    expect(r.headers.get("retry-after")).toBe("5");
    expect(r.headers.get("www-authenticate")).toBeNull();
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(((await r.json()) as any).error.code).toBe("unavailable");
  });

  it("with the real verifier and Warden unreachable: 503 for a well-signed token, still 401 for a forged one", async () => {
    const t = await newTenant();
    const u = await signup(t);
    // The subscriber never connects and introspection cannot be reached: the token's state is unknown.
    const h = harness(t, await apiKey(t), { fetch: async (input: string, init?: RequestInit) => (new URL(input).pathname.endsWith("/introspect") ? Promise.reject(new Error("down")) : SELF.fetch(input, init)) }, { down: true });
    const real = new Hono<{ Variables: WardenVariables }>();
    real.use("/api/*", wardenAuth(h.v, { retryAfterS: 2 }));
    real.get("/api/me", (c) => c.json({ sub: c.get("warden").sub }));
    const r = await real.request("http://localhost/api/me", { headers: { authorization: `Bearer ${u.access_token}` } });
    expect(r.status).toBe(503);
    expect(r.headers.get("retry-after")).toBe("2");
    const [head, body] = u.access_token.split(".");
    const forged = await real.request("http://localhost/api/me", { headers: { authorization: `Bearer ${head}.${body}.AAAA` } });
    expect(forged.status).toBe(401);
    h.v.close();
  });

  it("with the real verifier: 200, then 401 right after logout", async () => {
    const t = await newTenant();
    const { v } = harness(t, await apiKey(t));
    await v.ready;
    const real = appWith(v.verify);
    const u = await signup(t);
    const get = () => real.request("http://localhost/api/me", { headers: { authorization: `Bearer ${u.access_token}` } });
    expect((await get()).status).toBe(200);
    await call("POST", `/v1/${t}/logout`, { token: u.access_token });
    const r = await get();
    expect(r.status).toBe(401);
    expect(((await r.json()) as any).error.message).toContain("revoked");
    v.close();
  });
});
