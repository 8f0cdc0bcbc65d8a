/** @module Tenant API keys: shown once, listed without the key, revoked; their use on introspection. */
import { afterEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { admin, apiKey, call, expectError, newTenant, rows, signup } from "../helpers.ts";

afterEach(() => clock.reset());

describe("API keys", () => {
  it("create shows the key once: 201 {id, name, scopes, key}", async () => {
    const t = await newTenant();
    const r = await admin("POST", `/tenants/${t}/api-keys`, { name: "gateway", scopes: ["introspect", "subscribe"] });
    expect(r.status).toBe(201);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(r.body).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{16}$/), name: "gateway", scopes: ["introspect", "subscribe"], revoked_at: null });
    expect(r.body.key).toMatch(new RegExp(`^wk_${r.body.id}\\.[A-Za-z0-9_-]{43}$`));
    // Only a digest is stored.
    const [row] = await rows<{ hash: string }>(t, "SELECT hash FROM api_keys WHERE id = ?", r.body.id);
    expect(row.hash).not.toContain(r.body.key.split(".")[1]);
  });

  it("list hides the key", async () => {
    const t = await newTenant();
    const key = await apiKey(t, ["introspect"]);
    const r = await admin("GET", `/tenants/${t}/api-keys`);
    expect(r.status).toBe(200);
    expect(r.body.api_keys).toHaveLength(1);
    expect(r.body.api_keys[0]).toMatchObject({ name: "test", scopes: ["introspect"], revoked_at: null });
    expect(r.body.api_keys[0]).not.toHaveProperty("key");
    expect(JSON.stringify(r.body)).not.toContain(key.split(".")[1]);
  });

  it("an unknown scope or no scope is 400 invalid_request", async () => {
    const t = await newTenant();
    expectError(await admin("POST", `/tenants/${t}/api-keys`, { name: "k", scopes: ["root"] }), 400, "invalid_request");
    expectError(await admin("POST", `/tenants/${t}/api-keys`, { name: "k", scopes: [] }), 400, "invalid_request");
  });

  it("revoke answers 204, the list shows revoked_at, and a second revoke is 404", async () => {
    const t = await newTenant();
    const key = await apiKey(t);
    const id = key.slice(3, 19);
    const r = await admin("DELETE", `/tenants/${t}/api-keys/${id}`);
    expect(r.status).toBe(204);
    const list = (await admin("GET", `/tenants/${t}/api-keys`)).body.api_keys;
    expect(Date.parse(list[0].revoked_at)).not.toBeNaN();
    expectError(await admin("DELETE", `/tenants/${t}/api-keys/${id}`), 404, "not_found");
    expectError(await admin("DELETE", `/tenants/${t}/api-keys/nothex`), 404, "not_found");
  });

  it("introspection with a revoked key is 401 invalid_token", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const key = await apiKey(t);
    await admin("DELETE", `/tenants/${t}/api-keys/${key.slice(3, 19)}`);
    expectError(await call("POST", `/v1/${t}/introspect`, { token: key, body: { token: s.access_token } }), 401, "invalid_token");
  });

  it("introspection with a key lacking the introspect scope is 403 forbidden", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const key = await apiKey(t, ["subscribe"]);
    expectError(await call("POST", `/v1/${t}/introspect`, { token: key, body: { token: s.access_token } }), 403, "forbidden");
  });

  it("introspection without Authorization is 401 unauthorized", async () => {
    const t = await newTenant();
    const s = await signup(t);
    expectError(await call("POST", `/v1/${t}/introspect`, { body: { token: s.access_token } }), 401, "unauthorized");
  });

  it("introspection with a forged key or another tenant's key is 401 invalid_token", async () => {
    const t = await newTenant();
    const other = await newTenant();
    const s = await signup(t);
    const key = await apiKey(t);
    const forged = `${key.slice(0, -4)}AAAA`;
    expectError(await call("POST", `/v1/${t}/introspect`, { token: forged, body: { token: s.access_token } }), 401, "invalid_token");
    expectError(await call("POST", `/v1/${t}/introspect`, { token: await apiKey(other), body: { token: s.access_token } }), 401, "invalid_token");
    expectError(await call("POST", `/v1/${t}/introspect`, { token: s.access_token, body: { token: s.access_token } }), 401, "invalid_token");
  });

  it("a used key gets last_used_at", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const key = await apiKey(t);
    await call("POST", `/v1/${t}/introspect`, { token: key, body: { token: s.access_token } });
    const list = (await admin("GET", `/tenants/${t}/api-keys`)).body.api_keys;
    expect(Date.parse(list[0].last_used_at)).not.toBeNaN();
  });
});
