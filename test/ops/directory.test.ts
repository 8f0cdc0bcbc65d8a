import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { admin, call, expectError, newTenant, PASSWORD, signup, uniq } from "../helpers.ts";
import { flush, operator } from "./helpers.ts";

const lookup = async (email: string) => {
  const r = await admin("GET", `/users?email=${encodeURIComponent(email)}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.users;
};

describe("the cross-tenant directory", () => {
  it("follows sign-ups, email changes (admin and self-service), disabling and deletion", async () => {
    const email = `${uniq("dir")}@example.com`;
    const [a, b] = [await newTenant(), await newTenant()];
    const ua = await signup(a, { email });
    const ub = await signup(b, { email });
    await Promise.all([flush(a), flush(b)]);
    expect(await lookup(email.toUpperCase())).toEqual(
      [
        { tenant: a, user_id: ua.user.id, status: "active" },
        { tenant: b, user_id: ub.user.id, status: "active" },
      ].sort((x, y) => x.tenant.localeCompare(y.tenant)),
    );

    // Renamed by an operator in a (at once); asked for by the user in b, which stays pending
    // until the new address is verified (the verified change is in test/account/email-verify).
    const renamed = `${uniq("new")}@example.com`;
    expect((await operator(a)("PATCH", `/users/${ua.user.id}`, { email: renamed })).status).toBe(200);
    const self = `${uniq("self")}@example.com`;
    expect((await call("PATCH", `/v1/${b}/me`, { token: ub.access_token, body: { current_password: PASSWORD, new_email: self } })).status).toBe(200);
    await Promise.all([flush(a), flush(b)]);
    expect(await lookup(email)).toEqual([{ tenant: b, user_id: ub.user.id, status: "active" }]);
    expect(await lookup(renamed)).toEqual([{ tenant: a, user_id: ua.user.id, status: "active" }]);
    expect(await lookup(self)).toEqual([]);

    await operator(a)("PATCH", `/users/${ua.user.id}`, { status: "disabled" });
    await operator(b)("DELETE", `/users/${ub.user.id}`);
    await Promise.all([flush(a), flush(b)]);
    expect(await lookup(renamed)).toEqual([{ tenant: a, user_id: ua.user.id, status: "disabled" }]);
    // A soft-deleted user is still found, marked deleted, until it is purged.
    expect(await lookup(email)).toEqual([{ tenant: b, user_id: ub.user.id, status: "deleted" }]);
    const row = await env.DB.prepare("SELECT username FROM user_directory WHERE tenant = ? AND user_id = ?").bind(b, ub.user.id).first();
    expect(row).not.toBeNull();
  });

  it("refuses a missing or invalid email, and needs the admin token", async () => {
    expectError(await admin("GET", "/users"), 400, "invalid_request");
    expectError(await admin("GET", "/users?email=not-an-email"), 400, "invalid_request");
    expectError(await admin("GET", "/users?email=a@example.com&tenant=x"), 400, "invalid_request");
    expectError(await call("GET", "/v1/admin/users?email=a@example.com"), 401, "unauthorized");
    expectError(await call("GET", "/v1/admin/users?email=a@example.com", { token: "wrong" }), 401, "invalid_token");
  });
});
