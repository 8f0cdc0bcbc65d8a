/** @module RFC 7591 dynamic registration: off by default, public clients only, never first_party, rate-limited, capped. */
import { describe, expect, it } from "vitest";
import { call, count, newTenant } from "../helpers.ts";
import { codeFor, expectOAuthError, redeem } from "./kit.ts";

const open = (more: Record<string, unknown> = {}) => ({ oauth: { dynamic_registration: { enabled: true, ...more } } });
const register = (t: string, body: unknown, ip = "198.51.100.7") => call("POST", `/v1/${t}/oauth/register`, { body, headers: { "cf-connecting-ip": ip } });

describe("dynamic registration", () => {
  it("is off by default", async () => {
    const t = await newTenant();
    expectOAuthError(await register(t, { redirect_uris: ["https://app.example/cb"] }), 403, "access_denied");
    expect(await count(t, "clients")).toBe(0);
  });

  it("registers a public client (201, RFC 7591 answer) that can then sign users in", async () => {
    const t = await newTenant(open());
    const r = await register(t, { client_name: "MCP client", redirect_uris: ["http://127.0.0.1:33418/callback", "https://app.example/cb"] });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ client_name: "MCP client", token_endpoint_auth_method: "none", first_party: false, dynamic: true });
    expect(r.body).not.toHaveProperty("client_secret");
    const { code, verifier } = await codeFor(t, r.body.client_id, { redirectUri: "https://app.example/cb" });
    expect((await redeem(t, r.body, code, verifier, { redirect_uri: "https://app.example/cb" })).status).toBe(200);
  });

  it("refuses first_party, confidential clients unless allowed, and bad URIs, with RFC 7591 errors", async () => {
    const t = await newTenant(open());
    expectOAuthError(await register(t, { redirect_uris: ["https://a.example/cb"], first_party: true }), 400, "invalid_client_metadata");
    expectOAuthError(await register(t, { redirect_uris: ["https://a.example/cb"], token_endpoint_auth_method: "client_secret_basic" }), 400, "invalid_client_metadata");
    expectOAuthError(await register(t, { redirect_uris: ["http://evil.example/cb"] }), 400, "invalid_redirect_uri");
    expectOAuthError(await register(t, { redirect_uris: ["https://a.example/cb"], grant_types: ["client_credentials"] }), 400, "invalid_client_metadata");
    // The outbound rules: Warden would call these (or show them), so no private or internal hosts.
    for (const bad of ["https://10.0.0.8/bcl", "https://169.254.169.254/latest", "https://printer.internal/bcl"]) {
      expectOAuthError(await register(t, { redirect_uris: ["https://a.example/cb"], backchannel_logout_uri: bad }), 400, "invalid_client_metadata");
    }
    expectOAuthError(await register(t, { redirect_uris: ["https://a.example/cb"], logo_uri: "https://192.168.1.2/logo.png" }), 400, "invalid_client_metadata");
    expect(await count(t, "clients")).toBe(0);
    const t2 = await newTenant(open({ allow_confidential: true }));
    const conf = await register(t2, { redirect_uris: ["https://a.example/cb"] });
    expect(conf.status).toBe(201);
    expect(conf.body.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("is rate-limited per IP and capped in number", async () => {
    const t = await newTenant(open({ rate_limit: { limit: 2, window_s: 3600 }, max_clients: 3 }));
    const body = { redirect_uris: ["https://a.example/cb"] };
    expect((await register(t, body, "192.0.2.1")).status).toBe(201);
    expect((await register(t, body, "192.0.2.1")).status).toBe(201);
    const limited = await register(t, body, "192.0.2.1");
    expectOAuthError(limited, 429, "slow_down");
    expect(limited.headers.get("retry-after")).not.toBeNull();
    expect((await register(t, body, "192.0.2.2")).status).toBe(201);
    expectOAuthError(await register(t, body, "192.0.2.3"), 403, "access_denied");
    expect(await count(t, "clients")).toBe(3);
  });

  it("a body that is not JSON, or too large, is refused in RFC 6749's format with its HTTP status, and registers nothing", async () => {
    const t = await newTenant(open());
    const text = await call("POST", `/v1/${t}/oauth/register`, { raw: "redirect_uris=https://a.example/cb", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expectOAuthError(text, 415, "invalid_request");
    expectOAuthError(await register(t, { redirect_uris: ["https://a.example/cb"], client_name: "x".repeat(20_000) }), 413, "invalid_request");
    expectOAuthError(await call("POST", `/v1/${t}/oauth/register`, { raw: "{", headers: { "content-type": "application/json" } }), 400, "invalid_request");
    expect(await count(t, "clients")).toBe(0);
  });
});
