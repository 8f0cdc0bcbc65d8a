/**
 * @module Email verification (SPEC sections 6 and 8): a token sent to the user's address,
 * `email_verified` once used, and `signup.require_email_verification`, which refuses password
 * sign-in (403) until the address is verified.
 */
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { call, expectError, newTenant, PASSWORD, uniq } from "../helpers.ts";
import { client, DELIVERY, enableTotp, inbox, lastMessage, midStep, useMockOutbound, tenantWithUser } from "./kit.ts";

const out = useMockOutbound();

const verify = (t: string, token: string) => client()("POST", `/v1/${t}/email/verify`, { body: { token } });

describe("verification", () => {
  it("6.5.1 a requested token verifies the address once", async () => {
    const { t, email, access } = await tenantWithUser();
    expect((await call("GET", `/v1/${t}/me`, { token: access })).body.email_verified).toBe(false);
    const r = await call("POST", `/v1/${t}/email/verify/request`, { token: access });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    const { token } = await lastMessage(out, t, "email_verify", email);
    const v = await verify(t, token);
    expect(v.status, JSON.stringify(v.body)).toBe(204);
    expect((await call("GET", `/v1/${t}/me`, { token: access })).body.email_verified).toBe(true);
    expectError(await verify(t, token), 401, "invalid_token");
  });

  it("an already verified address gets 202 and no message", async () => {
    const { t, email, access } = await tenantWithUser();
    await call("POST", `/v1/${t}/email/verify/request`, { token: access });
    await verify(t, (await lastMessage(out, t, "email_verify", email)).token);
    expect((await call("POST", `/v1/${t}/email/verify/request`, { token: access })).status).toBe(202);
    expect((await inbox(out, t)).filter((m) => m.type === "email_verify")).toHaveLength(1);
  });

  it("6.5.5 expires after 30 minutes", async () => {
    const { t, email, access } = await tenantWithUser();
    await call("POST", `/v1/${t}/email/verify/request`, { token: access });
    const { token } = await lastMessage(out, t, "email_verify", email);
    clock.advance(30 * 60_000 + 1_000);
    expectError(await verify(t, token), 401, "invalid_token");
  });

  it("a token for an address the user has since changed is refused", async () => {
    const { t, email, access } = await tenantWithUser();
    await call("POST", `/v1/${t}/email/verify/request`, { token: access });
    const { token } = await lastMessage(out, t, "email_verify", email);
    const p = await call("PATCH", `/v1/${t}/me`, { token: access, body: { current_password: PASSWORD, new_email: `${uniq("moved")}@example.com` } });
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    expectError(await verify(t, token), 401, "invalid_token");
  });

  it("the request needs a live bearer token and an account with an email; per-email limits apply", async () => {
    const t = await newTenant({ ...DELIVERY, rate_limits: { per_email: { limit: 1, window_s: 600 } } });
    expectError(await call("POST", `/v1/${t}/email/verify/request`), 401, "unauthorized");
    const u = await client()("POST", `/v1/${t}/signup`, { body: { username: uniq("name"), password: PASSWORD } });
    expectError(await call("POST", `/v1/${t}/email/verify/request`, { token: u.body.access_token }), 400, "invalid_request");
    const e = await client()("POST", `/v1/${t}/signup`, { body: { email: `${uniq("u")}@example.com`, password: PASSWORD } });
    expect((await call("POST", `/v1/${t}/email/verify/request`, { token: e.body.access_token })).status).toBe(202);
    expectError(await call("POST", `/v1/${t}/email/verify/request`, { token: e.body.access_token }), 429, "rate_limited");
  });

  it("refuses forged and malformed tokens", async () => {
    const { t } = await tenantWithUser();
    expectError(await verify(t, "A".repeat(43)), 401, "invalid_token");
    expectError(await verify(t, "x"), 401, "invalid_token");
    expectError(await client()("POST", `/v1/${t}/email/verify`, { body: { token: 5 } }), 400, "invalid_request");
  });
});

describe("signup.require_email_verification", () => {
  const REQUIRE = { signup: { require_email_verification: true } };

  it("sign-up sends the verification message; password login is 403 until the address is verified", async () => {
    const { t, email } = await tenantWithUser(REQUIRE);
    const { token } = await lastMessage(out, t, "email_verify", email);
    const refused = await client()("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } });
    expectError(refused, 403, "forbidden");
    expect(refused.body.error.message).toMatch(/email address must be verified/);
    expect((await verify(t, token)).status).toBe(204);
    expect((await client()("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } })).status).toBe(200);
  });

  it("a wrong password is still 401 (the 403 comes only after the password is right)", async () => {
    const { t, email } = await tenantWithUser(REQUIRE);
    expectError(await client()("POST", `/v1/${t}/login`, { body: { login: email, password: "wrong wrong wrong" } }), 401, "invalid_credentials");
  });

  it("a magic link is itself verification: it signs in and unlocks password login", async () => {
    const { t, email } = await tenantWithUser(REQUIRE);
    await client()("POST", `/v1/${t}/magic-link`, { body: { email } });
    const r = await client()("POST", `/v1/${t}/magic-link/verify`, { body: { token: (await lastMessage(out, t, "magic_link", email)).token } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect((await client()("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } })).status).toBe(200);
  });

  it("is checked before the second factor", async () => {
    midStep();
    const { t, email, access } = await tenantWithUser(REQUIRE);
    await enableTotp(t, access);
    expectError(await client()("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } }), 403, "forbidden");
  });

  it("users without an email (username only) are not held back", async () => {
    const t = await newTenant({ ...DELIVERY, ...REQUIRE });
    const username = uniq("name");
    expect((await client()("POST", `/v1/${t}/signup`, { body: { username, password: PASSWORD } })).status).toBe(201);
    expect((await client()("POST", `/v1/${t}/login`, { body: { login: username, password: PASSWORD } })).status).toBe(200);
  });
});
