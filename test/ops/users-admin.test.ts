import { describe, expect, it } from "vitest";
import { apiKey, call, expectError, introspect, newTenant, signup, uniq } from "../helpers.ts";
import { expectLogin, lastEvent, login, operator } from "./helpers.ts";

describe("user administration", () => {
  it("searches by email or username prefix, pages by id, and hides deleted users", async () => {
    const t = await newTenant();
    const admin = operator(t);
    const a = await signup(t, { email: "alice@example.com" });
    const b = await signup(t, { email: "bob@example.com", username: "alfred" });
    const c = await signup(t, { email: "carol@example.com" });
    let r = await admin("GET", "/users?query=AL");
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.users.map((u: any) => u.id)).toEqual([a.user.id, b.user.id]);
    expect(r.body.next_cursor).toBeNull();
    expect(JSON.stringify(r.body)).not.toMatch(/secret|hash/);

    r = await admin("GET", "/users?limit=2");
    expect(r.body.users.map((u: any) => u.id)).toEqual([a.user.id, b.user.id]);
    expect(r.body.next_cursor).toBe(b.user.id);
    r = await admin("GET", `/users?limit=2&cursor=${r.body.next_cursor}`);
    expect(r.body.users.map((u: any) => u.id)).toEqual([c.user.id]);
    expect(r.body.next_cursor).toBeNull();

    expect((await admin("DELETE", `/users/${c.user.id}`)).status).toBe(204);
    r = await admin("GET", "/users");
    expect(r.body.users.map((u: any) => u.id)).toEqual([a.user.id, b.user.id]);
    expect((await admin("GET", "/users?query=carol")).body.users).toEqual([]);
  });

  it("rejects bad query parameters", async () => {
    const t = await newTenant();
    const admin = operator(t);
    expectError(await admin("GET", "/users?limit=0"), 400, "invalid_request");
    expectError(await admin("GET", "/users?limit=1001"), 400, "invalid_request");
    expectError(await admin("GET", "/users?colour=blue"), 400, "invalid_request");
    expectError(await call("GET", `/v1/admin/tenants/${uniq("nope")}/users`, { token: "test-admin-token-0123456789abcdef" }), 404, "tenant_not_found");
  });

  it("shows a user with sessions, MFA state and roles, never secrets", async () => {
    const t = await newTenant();
    const admin = operator(t);
    const s = await signup(t, { email: "dora@example.com" });
    await expectLogin(t, "dora@example.com");
    await call("POST", `/v1/${t}/logout`, { token: s.access_token });
    const r = await admin("GET", `/users/${s.user.id}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.user.email).toBe("dora@example.com");
    expect(r.body.mfa).toEqual({ totp: false, recovery_codes_remaining: 0 });
    expect(r.body.roles).toEqual([]);
    expect(r.body.sessions).toHaveLength(2);
    const ended = r.body.sessions.find((x: any) => x.id === s.session_id);
    expect(ended.revoked_at).not.toBeNull();
    expect(ended.revoke_reason).toBe("logout");
    expect(Object.keys(ended).sort()).toEqual(["amr", "created_at", "expires_at", "grants", "id", "ip", "last_refreshed_at", "online", "revoke_reason", "revoked_at", "user_agent"]);
    expect(JSON.stringify(r.body)).not.toMatch(/secret|hash|refresh_token/);

    expectError(await admin("GET", "/users/0190aaaa-0000-7000-8000-000000000000"), 404, "not_found");
    expectError(await admin("GET", "/users/not-a-uuid"), 404, "not_found");
  });

  // ASVS 7.4.2
  it("disabling ends every token at once and blocks login; enabling lets the user sign in again", async () => {
    const t = await newTenant();
    const admin = operator(t);
    const key = await apiKey(t, ["introspect"]);
    const s = await signup(t, { email: "erin@example.com" });
    let r = await admin("PATCH", `/users/${s.user.id}`, { status: "disabled" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.user.status).toBe("disabled");
    expect((await introspect(t, key, s.access_token)).active).toBe(false);
    expectError(await call("POST", `/v1/${t}/refresh`, { body: { refresh_token: s.refresh_token } }), 401, "invalid_token");
    expect(await lastEvent(t)).toMatchObject({ type: "user.disabled", payload: { sub: s.user.id, ver: 2 } });
    expectError(await login(t, "erin@example.com"), 401, "invalid_credentials");

    r = await admin("PATCH", `/users/${s.user.id}`, { status: "active" });
    expect(r.body.user.status).toBe("active");
    const again = await expectLogin(t, "erin@example.com");
    expect((await introspect(t, key, again.access_token)).active).toBe(true);
  });

  it("changing the email rotates the secret, unverifies it, and refuses a taken one", async () => {
    const t = await newTenant();
    const admin = operator(t);
    const key = await apiKey(t, ["introspect"]);
    const s = await signup(t, { email: "finn@example.com" });
    await signup(t, { email: "taken@example.com" });
    expectError(await admin("PATCH", `/users/${s.user.id}`, { email: "Taken@Example.com" }), 409, "conflict");
    expect((await introspect(t, key, s.access_token)).active).toBe(true);

    let r = await admin("PATCH", `/users/${s.user.id}`, { email: "Finn.New@Example.com", metadata: { plan: "pro" } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.user).toMatchObject({ email: "Finn.New@Example.com", email_verified: false, metadata: { plan: "pro" } });
    expect((await introspect(t, key, s.access_token)).active).toBe(false);
    expect(await lastEvent(t)).toMatchObject({ type: "user.revoked", payload: { reason: "credential_change" } });
    await expectLogin(t, "finn.new@example.com");

    // Metadata and verification alone rotate nothing.
    const live = await expectLogin(t, "finn.new@example.com");
    r = await admin("PATCH", `/users/${s.user.id}`, { email_verified: true });
    expect(r.body.user.email_verified).toBe(true);
    expect((await introspect(t, key, live.access_token)).active).toBe(true);

    expectError(await admin("PATCH", `/users/${s.user.id}`, {}), 400, "invalid_request");
    expectError(await admin("PATCH", `/users/${s.user.id}`, { status: "deleted" }), 400, "invalid_request");
    expectError(await admin("PATCH", `/users/${s.user.id}`, { email: "not an email" }), 400, "invalid_request");
    expectError(await admin("PATCH", `/users/${s.user.id}`, { nickname: "x" }), 400, "invalid_request");
  });

  // ASVS 7.4.5
  it("revoke ends every session but keeps the account", async () => {
    const t = await newTenant();
    const admin = operator(t);
    const key = await apiKey(t, ["introspect"]);
    const s = await signup(t, { email: "gus@example.com" });
    expect((await admin("POST", `/users/${s.user.id}/revoke`)).status).toBe(204);
    expect((await introspect(t, key, s.access_token)).active).toBe(false);
    expect(await lastEvent(t)).toMatchObject({ type: "user.revoked", payload: { reason: "admin_revoked" } });
    await expectLogin(t, "gus@example.com");
  });

  // ASVS 7.4.2
  it("delete is a soft delete, like DELETE /me", async () => {
    const t = await newTenant();
    const admin = operator(t);
    const key = await apiKey(t, ["introspect"]);
    const s = await signup(t, { email: "hana@example.com" });
    expect((await admin("DELETE", `/users/${s.user.id}`)).status).toBe(204);
    expect((await introspect(t, key, s.access_token)).active).toBe(false);
    expect(await lastEvent(t)).toMatchObject({ type: "user.deleted" });
    expectError(await login(t, "hana@example.com"), 401, "invalid_credentials");
    expect((await admin("GET", `/users/${s.user.id}`)).body.user.status).toBe("deleted");
    expectError(await admin("DELETE", `/users/${s.user.id}`), 404, "not_found");
    expectError(await admin("PATCH", `/users/${s.user.id}`, { status: "active" }), 404, "not_found");
    // The email is free again.
    await signup(t, { email: "hana@example.com" });
  });

  // ASVS 6.4.1, 6.4.6, 7.4.5
  it("a forced password reset ends every session and removes the password", async () => {
    const t = await newTenant();
    const admin = operator(t);
    const key = await apiKey(t, ["introspect"]);
    const s = await signup(t, { email: "ivy@example.com" });
    expect((await admin("POST", `/users/${s.user.id}/password-reset`)).status).toBe(204);
    expect((await introspect(t, key, s.access_token)).active).toBe(false);
    expectError(await login(t, "ivy@example.com"), 401, "invalid_credentials");
    const audit = await admin("GET", `/audit?user=${s.user.id}&type=password.reset_requested`);
    expect(audit.body.entries).toMatchObject([{ actor: "admin", data: { forced: true } }]);
  });
});

describe("the same routes for a tenant's manage keys", () => {
  it("work under /v1/{tenant}/admin and are audited with the key as actor", async () => {
    const t = await newTenant();
    const key = await apiKey(t, ["manage"]);
    const ops = operator(t, key);
    const s = await signup(t, { email: "jo@example.com" });
    expect((await ops("GET", "/users?query=jo")).body.users.map((u: any) => u.id)).toEqual([s.user.id]);
    expect((await ops("GET", `/users/${s.user.id}`)).body.user.id).toBe(s.user.id);
    expect((await ops("PATCH", `/users/${s.user.id}`, { status: "disabled" })).status).toBe(200);
    const audit = await ops("GET", `/audit?type=user.disabled`);
    expect(audit.body.entries[0].actor).toMatch(/^key:[0-9a-f]{16}$/);
    expect((await ops("POST", "/roles", { name: "viewer", scopes: ["read"] })).status).toBe(201);
    expect((await ops("GET", "/audit/verify")).body.ok).toBe(true);
  });

  it("refuse a missing, malformed, unknown, revoked or foreign key, and a key without manage", async () => {
    const t = await newTenant();
    const other = await newTenant();
    const s = await signup(t);
    const path = `/v1/${t}/admin/users/${s.user.id}`;
    expectError(await call("GET", path), 401, "unauthorized");
    expectError(await call("GET", path, { headers: { authorization: "Basic abc" } }), 401, "invalid_token");
    expectError(await call("GET", path, { token: "wk_0123456789abcdef.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }), 401, "invalid_token");
    expectError(await call("GET", path, { token: "test-admin-token-0123456789abcdef" }), 401, "invalid_token");
    expectError(await call("GET", path, { token: await apiKey(other, ["manage"]) }), 401, "invalid_token");
    expectError(await call("GET", path, { token: await apiKey(t, ["introspect", "subscribe"]) }), 403, "forbidden");
    const revoked = await apiKey(t, ["manage"]);
    const list = await call("GET", `/v1/admin/tenants/${t}/api-keys`, { token: "test-admin-token-0123456789abcdef" });
    const id = list.body.api_keys.find((k: any) => revoked.startsWith(`wk_${k.id}.`)).id;
    await call("DELETE", `/v1/admin/tenants/${t}/api-keys/${id}`, { token: "test-admin-token-0123456789abcdef" });
    expectError(await call("GET", path, { token: revoked }), 401, "invalid_token");
    // A refused caller changes nothing.
    expectError(await call("PATCH", path, { token: await apiKey(t, ["introspect"]), body: { status: "disabled" } }), 403, "forbidden");
    expect((await operator(t)("GET", `/users/${s.user.id}`)).body.user.status).toBe("active");
  });

  it("do not reach import, export or another tenant", async () => {
    const t = await newTenant();
    const other = await newTenant();
    const key = await apiKey(t, ["manage"]);
    const o = await signup(other);
    expectError(await call("GET", `/v1/${t}/admin/users/export`, { token: key }), 404, "not_found");
    expectError(await call("POST", `/v1/${t}/admin/users/import`, { token: key, raw: "{}", headers: { "content-type": "application/x-ndjson" } }), 404, "not_found");
    expectError(await call("GET", `/v1/${other}/admin/users/${o.user.id}`, { token: key }), 401, "invalid_token");
    expectError(await call("GET", `/v1/${t}/admin/users/${o.user.id}`, { token: key }), 404, "not_found");
    expectError(await call("GET", `/v1/admin/tenants/${t}/users`, { token: key }), 401, "invalid_token");
  });
});
