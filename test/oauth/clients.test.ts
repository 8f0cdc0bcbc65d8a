/** @module The OAuth client registry: admin and manage-key routes, metadata rules, secrets shown once and hashed. */
import { describe, expect, it } from "vitest";
import { redirectUriMatches } from "../../objects/tenant/clients.ts";
import { redirectUriProblem } from "../../schema/clients.ts";
import { admin, apiKey, call, expectError, newTenant, rows } from "../helpers.ts";

const web = { client_name: "Web app", redirect_uris: ["https://app.example/cb"] };

describe("client registry", () => {
  it("create answers 201 with RFC 7591 names and the secret once; only its SHA-256 is stored", async () => {
    const t = await newTenant();
    const r = await admin("POST", `/tenants/${t}/clients`, web);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(r.body).toMatchObject({
      client_id: expect.stringMatching(/^wc_[A-Za-z0-9_-]{22}$/),
      client_name: "Web app",
      redirect_uris: ["https://app.example/cb"],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
      id_token_signed_response_alg: "RS256",
      first_party: false,
      client_secret_expires_at: 0,
    });
    expect(r.body.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits
    expect(typeof r.body.client_id_issued_at).toBe("number");
    const [row] = await rows<{ secret_hash: string; metadata: string }>(t, "SELECT secret_hash, metadata FROM clients WHERE client_id = ?", r.body.client_id);
    expect(row.secret_hash).not.toContain(r.body.client_secret);
    expect(row.metadata).not.toContain(r.body.client_secret);
    const shown = await admin("GET", `/tenants/${t}/clients/${r.body.client_id}`);
    expect(shown.status).toBe(200);
    expect(shown.body).not.toHaveProperty("client_secret");
    expect(JSON.stringify(shown.body)).not.toContain("secret_hash");
    // Registering an RS256 client gives the tenant an RS256 ID-token key in its JWKS.
    const jwks = await call("GET", `/v1/${t}/.well-known/jwks.json`);
    expect(jwks.body.keys).toContainEqual(expect.objectContaining({ alg: "RS256", use: "sig", warden_use: "id_token" }));
  });

  it("a public client has no secret", async () => {
    const t = await newTenant();
    const r = await admin("POST", `/tenants/${t}/clients`, { ...web, token_endpoint_auth_method: "none" });
    expect(r.status).toBe(201);
    expect(r.body).not.toHaveProperty("client_secret");
    expect(r.body).not.toHaveProperty("client_secret_expires_at");
  });

  it("bad metadata is 400 invalid_request and stores nothing", async () => {
    const t = await newTenant();
    for (const bad of [
      { redirect_uris: ["http://app.example/cb"] }, // http outside loopback
      { redirect_uris: ["https://app.example/cb#frag"] },
      { redirect_uris: ["javascript:alert(1)"] },
      { redirect_uris: [] }, // authorization_code needs one
      { ...web, token_endpoint_auth_method: "none", grant_types: ["client_credentials"] },
      { ...web, id_token_signed_response_alg: "HS256" },
      { ...web, unknown_field: 1 },
      { ...web, scope: "openid  email" },
      { ...web, backchannel_logout_uri: "https://10.1.2.3/logout" }, // the outbound rules: no private hosts
      { ...web, backchannel_logout_uri: "https://metadata.google.internal/x" },
    ]) {
      expectError(await admin("POST", `/tenants/${t}/clients`, bad), 400, "invalid_request");
    }
    expect((await rows(t, "SELECT * FROM clients")).length).toBe(0);
  });

  it("update merges over the stored metadata; a client turned confidential gets a secret", async () => {
    const t = await newTenant();
    const c = (await admin("POST", `/tenants/${t}/clients`, { ...web, token_endpoint_auth_method: "none" })).body;
    const u = await admin("PATCH", `/tenants/${t}/clients/${c.client_id}`, { client_name: "Renamed", token_endpoint_auth_method: "client_secret_post" });
    expect(u.status, JSON.stringify(u.body)).toBe(200);
    expect(u.body).toMatchObject({ client_name: "Renamed", redirect_uris: web.redirect_uris, token_endpoint_auth_method: "client_secret_post" });
    expect(u.body.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expectError(await admin("PATCH", `/tenants/${t}/clients/${c.client_id}`, { redirect_uris: ["ftp://x"] }), 400, "invalid_request");
    expect((await admin("GET", `/tenants/${t}/clients/${c.client_id}`)).body.client_name).toBe("Renamed");
  });

  it("rotate shows a new secret; delete answers 204 then 404", async () => {
    const t = await newTenant();
    const c = (await admin("POST", `/tenants/${t}/clients`, web)).body;
    const r = await admin("POST", `/tenants/${t}/clients/${c.client_id}/secret`);
    expect(r.status).toBe(200);
    expect(r.body.client_secret).not.toBe(c.client_secret);
    expect((await admin("DELETE", `/tenants/${t}/clients/${c.client_id}`)).status).toBe(204);
    expectError(await admin("GET", `/tenants/${t}/clients/${c.client_id}`), 404, "not_found");
    expectError(await admin("DELETE", `/tenants/${t}/clients/${c.client_id}`), 404, "not_found");
    expectError(await admin("GET", `/tenants/${t}/clients/nope`), 404, "not_found");
  });

  it("manage keys reach the same routes under /v1/{tenant}/admin; other keys do not", async () => {
    const t = await newTenant();
    const manage = await apiKey(t, ["manage"]);
    const r = await call("POST", `/v1/${t}/admin/clients`, { token: manage, body: web });
    expect(r.status).toBe(201);
    const list = await call("GET", `/v1/${t}/admin/clients`, { token: manage });
    expect(list.body.clients.map((x: { client_id: string }) => x.client_id)).toEqual([r.body.client_id]);
    const intro = await apiKey(t, ["introspect"]);
    expectError(await call("GET", `/v1/${t}/admin/clients`, { token: intro }), 403, "forbidden");
    expectError(await call("GET", `/v1/${t}/admin/clients`), 401, "unauthorized");
  });
});

describe("redirect URI rules", () => {
  const prod = { development: false };
  it("https, loopback IP http, and reverse-domain private-use schemes are accepted", () => {
    expect(redirectUriProblem("https://app.example/cb?x=1", prod)).toBeNull();
    expect(redirectUriProblem("http://127.0.0.1/cb", prod)).toBeNull();
    expect(redirectUriProblem("http://[::1]:8080/cb", prod)).toBeNull();
    expect(redirectUriProblem("com.example.app:/oauth2redirect", prod)).toBeNull();
  });
  it("plain http, localhost outside development, bare custom schemes and fragments are refused", () => {
    expect(redirectUriProblem("http://app.example/cb", prod)).not.toBeNull();
    expect(redirectUriProblem("http://localhost:3000/cb", prod)).not.toBeNull();
    expect(redirectUriProblem("http://localhost:3000/cb", { development: true })).toBeNull();
    expect(redirectUriProblem("myapp:/cb", prod)).not.toBeNull();
    expect(redirectUriProblem("https://app.example/cb#x", prod)).not.toBeNull();
    expect(redirectUriProblem("https://user:pw@app.example/cb", prod)).not.toBeNull();
  });
  it("matching is exact, except the port of a loopback IP redirect (RFC 8252 section 7.3)", () => {
    const c = { redirect_uris: ["https://app.example/cb", "http://127.0.0.1/cb"] };
    expect(redirectUriMatches(c, "https://app.example/cb")).toBe(true);
    expect(redirectUriMatches(c, "https://app.example/cb/")).toBe(false);
    expect(redirectUriMatches(c, "https://app.example/cb?x=1")).toBe(false);
    expect(redirectUriMatches(c, "https://APP.example/cb")).toBe(false);
    expect(redirectUriMatches(c, "http://127.0.0.1:53124/cb")).toBe(true);
    expect(redirectUriMatches(c, "http://127.0.0.1:53124/other")).toBe(false);
    expect(redirectUriMatches(c, "http://[::1]:53124/cb")).toBe(false);
    expect(redirectUriMatches(c, "http://localhost:53124/cb")).toBe(false);
  });
});
