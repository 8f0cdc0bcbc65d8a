/**
 * @module Email verification: a token sent to the user's address,
 * `email_verified` once used together with a session of that account, and
 * `signup.require_email_verification`, which refuses password sign-in (403) until the address
 * is verified. Also email changes (`PATCH /me new_email`), pending until the new address's link is used.
 */
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { admin, apiKey, call, d1Eventually, expectError, introspect, newTenant, PASSWORD, uniq } from "../helpers.ts";
import { client, DELIVERY, enableTotp, inbox, lastMessage, midStep, rows, useMockOutbound, tenantWithUser } from "./kit.ts";

const out = useMockOutbound();

/** Uses a verification token, with the bearer token of a session (`session`) or without one. */
const verify = (t: string, token: string, session?: string) => client()("POST", `/v1/${t}/email/verify`, { body: { token }, ...(session ? { token: session } : {}) });

describe("verification", () => {
  it("6.5.1 a requested token verifies the address once", async () => {
    const { t, email, access } = await tenantWithUser();
    expect((await call("GET", `/v1/${t}/me`, { token: access })).body.email_verified).toBe(false);
    const r = await call("POST", `/v1/${t}/email/verify/request`, { token: access });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    const { token } = await lastMessage(out, t, "email_verify", email);
    const v = await verify(t, token, access);
    expect(v.status, JSON.stringify(v.body)).toBe(204);
    expect((await call("GET", `/v1/${t}/me`, { token: access })).body.email_verified).toBe(true);
    expectError(await verify(t, token, access), 401, "invalid_token");
  });

  it("an already verified address gets 202 and no message", async () => {
    const { t, email, access } = await tenantWithUser();
    await call("POST", `/v1/${t}/email/verify/request`, { token: access });
    expect((await verify(t, (await lastMessage(out, t, "email_verify", email)).token, access)).status).toBe(204);
    expect((await call("POST", `/v1/${t}/email/verify/request`, { token: access })).status).toBe(202);
    expect((await inbox(out, t)).filter((m) => m.type === "email_verify")).toHaveLength(1);
  });

  // ASVS 6.4.1
  it("6.5.5 expires after 30 minutes", async () => {
    const { t, email, access } = await tenantWithUser();
    await call("POST", `/v1/${t}/email/verify/request`, { token: access });
    const { token } = await lastMessage(out, t, "email_verify", email);
    clock.advance(30 * 60_000 + 1_000);
    expectError(await verify(t, token, access), 401, "invalid_token");
  });

  it("a token for an address the user has since changed is refused", async () => {
    const { t, email, access } = await tenantWithUser();
    await call("POST", `/v1/${t}/email/verify/request`, { token: access });
    const { token } = await lastMessage(out, t, "email_verify", email);
    const moved = `${uniq("moved")}@example.com`;
    const p = await call("PATCH", `/v1/${t}/me`, { token: access, body: { current_password: PASSWORD, new_email: moved } });
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    const session = p.body.access_token;
    expect((await verify(t, (await lastMessage(out, t, "email_change", moved)).token, session)).status).toBe(204);
    expectError(await verify(t, token, session), 401, "invalid_token");
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
    const { t, email, access } = await tenantWithUser(REQUIRE);
    const { token } = await lastMessage(out, t, "email_verify", email);
    const refused = await client()("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } });
    expectError(refused, 403, "forbidden");
    expect(refused.body.error.message).toMatch(/email address must be verified/);
    expect((await verify(t, token, access)).status).toBe(204);
    expect((await client()("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } })).status).toBe(200);
  });

  it("a wrong password is still 401 (the 403 comes only after the password is right)", async () => {
    const { t, email } = await tenantWithUser(REQUIRE);
    expectError(await client()("POST", `/v1/${t}/login`, { body: { login: email, password: "wrong wrong wrong" } }), 401, "invalid_credentials");
  });

  it("a magic link is itself verification, and a claim: the password set before it no longer unlocks", async () => {
    const { t, email } = await tenantWithUser(REQUIRE);
    await client()("POST", `/v1/${t}/magic-link`, { body: { email } });
    const r = await client()("POST", `/v1/${t}/magic-link/verify`, { body: { token: (await lastMessage(out, t, "magic_link", email)).token } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.user.email_verified).toBe(true);
    expectError(await client()("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } }), 401, "invalid_credentials");
    const p = await call("PATCH", `/v1/${t}/me`, { token: r.body.access_token, body: { new_password: "the owner's new passphrase" } });
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    expect((await client()("POST", `/v1/${t}/login`, { body: { login: email, password: "the owner's new passphrase" } })).status).toBe(200);
  });

  // ASVS 6.3.4
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

describe("a verification link completes only with a session of its account", () => {
  it("the owner of an address cannot be tricked into verifying an account someone else made with it", async () => {
    // The attacker signs up with the victim's address; the verification message reaches the victim.
    const { t, email } = await tenantWithUser({ signup: { require_email_verification: true } });
    const { token } = await lastMessage(out, t, "email_verify", email);
    const refused = await verify(t, token);
    expectError(refused, 401, "unauthorized");
    expect(refused.body.error.message).toMatch(/Sign in to the account this address belongs to/);
    // Signed in to an account of their own, still not.
    const own = await client()("POST", `/v1/${t}/signup`, { body: { email: `${uniq("own")}@example.com`, password: PASSWORD } });
    expectError(await verify(t, token, own.body.access_token), 401, "unauthorized");
    // Nothing changed: the attacker's password still does not unlock the account.
    expectError(await client()("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } }), 403, "forbidden");
    expect(await rows(t, "SELECT email_verified FROM users WHERE email_norm = ?", email)).toEqual([{ email_verified: 0 }]);
  });

  it("a refusal does not spend the token: the account's own session then verifies with it", async () => {
    const { t, email, access } = await tenantWithUser();
    await call("POST", `/v1/${t}/email/verify/request`, { token: access });
    const { token } = await lastMessage(out, t, "email_verify", email);
    expectError(await verify(t, token), 401, "unauthorized");
    expect((await verify(t, token, access)).status).toBe(204);
  });

  it("a dead or forged session is invalid_token, as on every bearer route", async () => {
    const { t, email, access } = await tenantWithUser();
    await call("POST", `/v1/${t}/email/verify/request`, { token: access });
    const { token } = await lastMessage(out, t, "email_verify", email);
    expectError(await verify(t, token, "not.a.jwt"), 401, "invalid_token");
    expect((await call("POST", `/v1/${t}/logout`, { token: access })).status).toBe(204);
    expectError(await verify(t, token, access), 401, "invalid_token");
  });
});

describe("an email change (PATCH /me new_email)", () => {
  const change = async (t: string, access: string, new_email: string) => {
    const p = await call("PATCH", `/v1/${t}/me`, { token: access, body: { current_password: PASSWORD, new_email } });
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    return p.body;
  };
  const login = (t: string, login: string) => client()("POST", `/v1/${t}/login`, { body: { login, password: PASSWORD } });

  it("stays pending until the link sent to the new address is used; then the new address is the login", async () => {
    const { t, email, user } = await tenantWithUser();
    const next = `${uniq("next")}@Example.com`;
    const p = await change(t, (await login(t, email)).body.access_token, next);
    expect(p.user).toMatchObject({ email, pending_email: next });
    // The old address is still the login and the contact; the message went to the new one only.
    expect((await login(t, email)).status).toBe(200);
    expectError(await login(t, next), 401, "invalid_credentials");
    const m = await lastMessage(out, t, "email_change", next);
    expect(Object.keys(m).sort()).toEqual(["email", "expires_at", "tenant", "token", "type"]);
    expect((await inbox(out, t)).filter((x) => x.type === "email_change" && x.email === email)).toEqual([]);
    expect((await verify(t, m.token, p.access_token)).status).toBe(204);
    const me = await call("GET", `/v1/${t}/me`, { token: p.access_token });
    expect(me.body).toMatchObject({ email: next, email_verified: true, pending_email: null });
    expect((await login(t, next.toLowerCase())).status).toBe(200);
    expectError(await login(t, email), 401, "invalid_credentials");
    await d1Eventually("SELECT 1 FROM user_directory WHERE tenant = ? AND user_id = ? AND email = ?", t, user.id, next.toLowerCase());
    expect(await rows(t, "SELECT type FROM audit_log WHERE type = 'email.changed' AND user_id = ?", user.id)).toHaveLength(1);
  });

  it("someone who puts the victim's address on their account does not get the victim's magic link", async () => {
    const { t, access, user } = await tenantWithUser();
    const victim = `${uniq("victim")}@example.com`;
    const p = await change(t, access, victim);
    // The change link reaches the victim, who has no session of the attacker's account.
    expectError(await verify(t, (await lastMessage(out, t, "email_change", victim)).token), 401, "unauthorized");
    // The victim's magic link makes a new account of their own instead of landing in the attacker's.
    await client()("POST", `/v1/${t}/magic-link`, { body: { email: victim } });
    const r = await client()("POST", `/v1/${t}/magic-link/verify`, { body: { token: (await lastMessage(out, t, "magic_link", victim)).token } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.user.id).not.toBe(user.id);
    const key = await apiKey(t);
    expect((await introspect(t, key, p.access_token)).active).toBe(true);
  });

  it("a second change replaces the pending one: the first link is dead", async () => {
    const { t, access } = await tenantWithUser();
    const [a, b] = [`${uniq("a")}@example.com`, `${uniq("b")}@example.com`];
    const first = await change(t, access, a);
    const second = await change(t, first.access_token, b);
    expect(second.user.pending_email).toBe(b);
    expectError(await verify(t, (await lastMessage(out, t, "email_change", a)).token, second.access_token), 401, "invalid_token");
    expect((await verify(t, (await lastMessage(out, t, "email_change", b)).token, second.access_token)).status).toBe(204);
    expect((await call("GET", `/v1/${t}/me`, { token: second.access_token })).body).toMatchObject({ email: b, pending_email: null });
  });

  it("the pending address is not reserved; if another account takes it first, verifying is a conflict that changes nothing", async () => {
    const { t, email, access } = await tenantWithUser();
    const wanted = `${uniq("wanted")}@example.com`;
    const p = await change(t, access, wanted);
    expect((await client()("POST", `/v1/${t}/signup`, { body: { email: wanted, password: PASSWORD } })).status).toBe(201);
    const { token } = await lastMessage(out, t, "email_change", wanted);
    expectError(await verify(t, token, p.access_token), 409, "conflict");
    expectError(await verify(t, token, p.access_token), 409, "conflict");
    expect((await call("GET", `/v1/${t}/me`, { token: p.access_token })).body).toMatchObject({ email, pending_email: wanted });
  });

  it("an operator changes the address at once, and the pending change goes", async () => {
    const { t, access, user } = await tenantWithUser();
    const pending = `${uniq("pending")}@example.com`;
    await change(t, access, pending);
    const set = `${uniq("set")}@example.com`;
    const r = await admin("PATCH", `/tenants/${t}/users/${user.id}`, { email: set });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.user).toMatchObject({ email: set, pending_email: null, email_verified: false });
    expect((await login(t, set)).status).toBe(200);
  });

  it("messages to the new address count against its per-email budget", async () => {
    const { t, access } = await tenantWithUser({ rate_limits: { per_email: { limit: 1, window_s: 600 } } });
    const next = `${uniq("next")}@example.com`;
    const first = await change(t, access, next);
    expectError(await call("PATCH", `/v1/${t}/me`, { token: first.access_token, body: { current_password: PASSWORD, new_email: next } }), 429, "rate_limited");
  });
});
