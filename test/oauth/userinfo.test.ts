/** @module /oauth/userinfo (claims by scope, bearer errors) and per-client CORS on the OAuth endpoints. */
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../src/app-env.ts";
import { clientCors } from "../../src/middleware/client-cors.ts";
import { call, newTenant } from "../helpers.ts";
import { codeFor, newClient, redeem } from "./kit.ts";

async function tokenFor(t: string, scope: string[]) {
  const client = await newClient(t);
  const { code, verifier, user } = await codeFor(t, client.client_id, { scope });
  const r = await redeem(t, client, code, verifier);
  return { at: r.body.access_token as string, user };
}

describe("userinfo", () => {
  it("GET and POST answer the claims the scopes release", async () => {
    const t = await newTenant();
    const { at, user } = await tokenFor(t, ["openid", "email"]);
    for (const method of ["GET", "POST"]) {
      const r = await call(method, `/v1/${t}/oauth/userinfo`, { token: at });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toEqual({ sub: user.user.id, email: user.user.email, email_verified: false });
    }
    const { at: profile } = await tokenFor(t, ["openid", "profile"]);
    const p = await call("GET", `/v1/${t}/oauth/userinfo`, { token: profile });
    expect(p.body).not.toHaveProperty("email");
    expect(typeof p.body.updated_at).toBe("number");
  });

  it("no token, a bad token, a Warden token or one without openid: RFC 6750 errors", async () => {
    const t = await newTenant();
    const none = await call("GET", `/v1/${t}/oauth/userinfo`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
    const bad = await call("GET", `/v1/${t}/oauth/userinfo`, { token: "abc.def.ghi" });
    expect(bad.status).toBe(401);
    expect(bad.body.error).toBe("invalid_token");
    const { at, user } = await tokenFor(t, ["email"]);
    const noOpenid = await call("GET", `/v1/${t}/oauth/userinfo`, { token: at });
    expect(noOpenid.status).toBe(403);
    expect(noOpenid.body.error).toBe("insufficient_scope");
    expect((await call("GET", `/v1/${t}/oauth/userinfo`, { token: user.access_token })).status).toBe(401);
    // After logout the client's token is dead too.
    const live = await tokenFor(t, ["openid"]);
    await call("POST", `/v1/${t}/logout`, { token: live.user.access_token });
    expect((await call("GET", `/v1/${t}/oauth/userinfo`, { token: live.at })).status).toBe(401);
  });
});

describe("per-client CORS", () => {
  // Driven with app.request and a stand-in tenant, with ALLOWED_ORIGINS closed.
  const app = new Hono<AppEnv>();
  app.use("*", async (c, next) => {
    c.set("tenant", { corsAllowed: async ({ origin }: { origin: string }) => origin === "https://spa.example" } as never);
    await next();
  });
  app.use("*", clientCors());
  app.post("/v1/t/oauth/token", (c) => {
    c.set("corsOrigins", ["https://spa.example"]);
    return c.json({ ok: true });
  });
  const env = { ALLOWED_ORIGINS: "" } as never;

  it("a preflight from a public client's origin is allowed, another is not", async () => {
    const ok = await app.request("/v1/t/oauth/token", { method: "OPTIONS", headers: { origin: "https://spa.example", "access-control-request-method": "POST" } }, env);
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://spa.example");
    const no = await app.request("/v1/t/oauth/token", { method: "OPTIONS", headers: { origin: "https://evil.example" } }, env);
    expect(no.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("an answer is readable only from the origins of its client", async () => {
    const ok = await app.request("/v1/t/oauth/token", { method: "POST", headers: { origin: "https://spa.example" } }, env);
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://spa.example");
    const no = await app.request("/v1/t/oauth/token", { method: "POST", headers: { origin: "https://evil.example" } }, env);
    expect(no.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("the token endpoint names a public client's redirect origins", async () => {
    const t = await newTenant();
    const client = await newClient(t, { token_endpoint_auth_method: "none", redirect_uris: ["https://spa.example/cb"] });
    const { code, verifier } = await codeFor(t, client.client_id);
    const r = await redeem(t, client, code, verifier);
    expect(r.status).toBe(200);
    // ALLOWED_ORIGINS is "*" in the test environment, so this only checks the header is set at all.
    const pre = await call("OPTIONS", `/v1/${t}/oauth/token`, { headers: { origin: "https://spa.example", "access-control-request-method": "POST" } });
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://spa.example");
  });
});
