import { describe, expect, it } from "vitest";
import { apiKey, call, expectError, introspect, newTenant, signup } from "../helpers.ts";
import { expectLogin, lastEvent, operator } from "./helpers.ts";

const claims = (jwt: string) => JSON.parse(atob(jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));

async function refresh(t: string, token: string): Promise<any> {
  const r = await call("POST", `/v1/${t}/refresh`, { body: { refresh_token: token } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

describe("roles", () => {
  it("are created, listed and deleted, with their names and scopes checked", async () => {
    const t = await newTenant();
    const admin = operator(t);
    let r = await admin("POST", "/roles", { name: "editor", description: "Edits documents", scopes: ["docs:write", "docs:read", "docs:write"] });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ name: "editor", description: "Edits documents", scopes: ["docs:write", "docs:read"] });
    expect(typeof r.body.created_at).toBe("string");
    await admin("POST", "/roles", { name: "viewer", scopes: ["docs:read"] });
    r = await admin("GET", "/roles");
    expect(r.body.roles.map((x: any) => [x.name, x.description, x.scopes])).toEqual([
      ["editor", "Edits documents", ["docs:write", "docs:read"]],
      ["viewer", null, ["docs:read"]],
    ]);
    expectError(await admin("POST", "/roles", { name: "viewer", scopes: [] }), 409, "conflict");
    expectError(await admin("POST", "/roles", { name: "Viewer", scopes: [] }), 400, "invalid_request");
    expectError(await admin("POST", "/roles", { name: "-x", scopes: [] }), 400, "invalid_request");
    expectError(await admin("POST", "/roles", { name: "x", scopes: ["two words"] }), 400, "invalid_request");
    expectError(await admin("POST", "/roles", { name: "x", scopes: ["é"] }), 400, "invalid_request");
    expectError(await admin("POST", "/roles", { name: "x" }), 400, "invalid_request");
    expectError(await admin("POST", "/roles", { name: "x", scopes: [], colour: "red" }), 400, "invalid_request");
    expect((await admin("DELETE", "/roles/viewer")).status).toBe(204);
    expectError(await admin("DELETE", "/roles/viewer"), 404, "not_found");
    expectError(await admin("DELETE", "/roles/NOT%20A%20ROLE"), 404, "not_found");
    expect((await admin("GET", "/roles")).body.roles.map((x: any) => x.name)).toEqual(["editor"]);
  });

  it("reach access tokens as `roles` and the union of their scopes at the next refresh", async () => {
    const t = await newTenant();
    const admin = operator(t);
    const key = await apiKey(t, ["introspect"]);
    await admin("POST", "/roles", { name: "editor", scopes: ["docs:write", "docs:read"] });
    await admin("POST", "/roles", { name: "viewer", scopes: ["docs:read", "profile"] });
    const s = await signup(t);
    expect(claims(s.access_token)).toMatchObject({ roles: [], scope: "" });

    expect((await admin("PUT", `/users/${s.user.id}/roles/editor`)).status).toBe(204);
    expect((await admin("PUT", `/users/${s.user.id}/roles/viewer`)).status).toBe(204);
    expect((await admin("PUT", `/users/${s.user.id}/roles/viewer`)).status).toBe(204); // idempotent
    // The old token keeps its claims and stays valid until it expires or is refreshed;
    // introspection answers the user's roles as they are now.
    expect(claims(s.access_token)).toMatchObject({ roles: [], scope: "" });
    expect(await introspect(t, key, s.access_token)).toMatchObject({ active: true, roles: ["editor", "viewer"], scope: "docs:read docs:write profile" });
    const next = await refresh(t, s.refresh_token);
    expect(claims(next.access_token)).toMatchObject({ roles: ["editor", "viewer"], scope: "docs:read docs:write profile" });
    expect(await introspect(t, key, next.access_token)).toMatchObject({ active: true, roles: ["editor", "viewer"], scope: "docs:read docs:write profile" });
    expect((await admin("GET", `/users/${s.user.id}`)).body.roles).toEqual(["editor", "viewer"]);

    expect((await admin("DELETE", `/users/${s.user.id}/roles/editor`)).status).toBe(204);
    expectError(await admin("DELETE", `/users/${s.user.id}/roles/editor`), 404, "not_found");
    const after = await refresh(t, next.refresh_token);
    expect(claims(after.access_token)).toMatchObject({ roles: ["viewer"], scope: "docs:read profile" });

    // Deleting a role takes it from every member.
    expect((await admin("DELETE", "/roles/viewer")).status).toBe(204);
    expect(claims((await refresh(t, after.refresh_token)).access_token)).toMatchObject({ roles: [], scope: "" });
  });

  it("with ?revoke=true apply at once: the user's tokens are revoked", async () => {
    const t = await newTenant();
    const admin = operator(t);
    const key = await apiKey(t, ["introspect"]);
    await admin("POST", "/roles", { name: "admin", scopes: ["*"] });
    const s = await signup(t, { email: "root@example.com" });
    expect((await admin("PUT", `/users/${s.user.id}/roles/admin?revoke=true`)).status).toBe(204);
    expect((await introspect(t, key, s.access_token)).active).toBe(false);
    expectError(await call("POST", `/v1/${t}/refresh`, { body: { refresh_token: s.refresh_token } }), 401, "invalid_token");
    expect(await lastEvent(t)).toMatchObject({ type: "user.revoked", payload: { sub: s.user.id, reason: "roles_changed" } });
    const l = await expectLogin(t, "root@example.com");
    expect(claims(l.access_token)).toMatchObject({ roles: ["admin"], scope: "*" });

    expect((await admin("DELETE", `/users/${s.user.id}/roles/admin?revoke=true`)).status).toBe(204);
    expect((await introspect(t, key, l.access_token)).active).toBe(false);
    expectError(await admin("PUT", `/users/${s.user.id}/roles/admin?revoke=yes`), 400, "invalid_request");
  });

  it("refuse unknown users and roles without changing anything", async () => {
    const t = await newTenant();
    const admin = operator(t);
    await admin("POST", "/roles", { name: "viewer", scopes: ["read"] });
    const s = await signup(t);
    expectError(await admin("PUT", `/users/${s.user.id}/roles/ghost`), 404, "not_found");
    expectError(await admin("PUT", "/users/0190aaaa-0000-7000-8000-000000000000/roles/viewer"), 404, "not_found");
    expectError(await admin("PUT", "/users/nope/roles/viewer"), 404, "not_found");
    await admin("DELETE", `/users/${s.user.id}`);
    expectError(await admin("PUT", `/users/${s.user.id}/roles/viewer`, undefined), 404, "not_found");
    const audit = await admin("GET", "/audit?type=role.granted");
    expect(audit.body.entries).toEqual([]);
  });
});
