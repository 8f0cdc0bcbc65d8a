/** @module POST /v1/{tenant}/login: identifiers, generic failures, refused users, lockout, and races with a password change. */
import { afterEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { call, expectError, login, loginHalfway, newTenant, PASSWORD, rows, signup, snapshot, tenantWith, uniq } from "../helpers.ts";

afterEach(() => clock.reset());

describe("login", () => {
  // ASVS 7.2.4
  it("by email (any case) answers the token response with amr pwd", async () => {
    const t = await newTenant();
    const s = await signup(t, { email: "Case.Me@Example.com" });
    const r = await login(t, "case.me@EXAMPLE.com");
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(r.body).toMatchObject({ token_type: "Bearer", user: { id: s.user.id } });
    expect(r.body.session_id).not.toBe(s.session_id);
    const [session] = await rows<{ amr: string }>(t, "SELECT amr FROM sessions WHERE id = ?", r.body.session_id);
    expect(JSON.parse(session.amr)).toEqual(["pwd"]);
  });

  it("by username", async () => {
    const t = await newTenant();
    const s = await signup(t, { username: "Login_Name" });
    const r = await login(t, "login_name");
    expect(r.status).toBe(200);
    expect(r.body.user.id).toBe(s.user.id);
  });

  it("a wrong password is 401 invalid_credentials and creates no session", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const before = await snapshot(t);
    expectError(await login(t, s.user.email, "wrong password here"), 401, "invalid_credentials");
    expect(await snapshot(t)).toEqual(before);
  });

  // ASVS 6.3.8
  it("an unknown user gets the same 401 invalid_credentials body as a wrong password", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const wrong = await login(t, s.user.email, "wrong password here");
    const unknown = await login(t, `${uniq()}@example.com`, "wrong password here");
    expectError(unknown, 401, "invalid_credentials");
    expect(unknown.body).toEqual(wrong.body);
    expect((await login(t, "nobody_here", PASSWORD)).body).toEqual(wrong.body);
  });

  it("6.2.8 the password is checked exactly as typed: another case, a cut-off or an added space is refused", async () => {
    const t = await newTenant();
    const s = await signup(t, { password: "Correct Horse Battery Staple" });
    for (const wrong of ["correct horse battery staple", "CORRECT HORSE BATTERY STAPLE", "Correct Horse Battery Stapl", "Correct Horse Battery Staple "]) {
      expectError(await login(t, s.user.email, wrong), 401, "invalid_credentials");
    }
    expect((await login(t, s.user.email, "Correct Horse Battery Staple")).status).toBe(200);
  });

  it("6.2.10 passwords do not expire: a year and a day later the same password signs in", async () => {
    const t = await newTenant();
    const s = await signup(t);
    clock.advance(366 * 86_400_000);
    const r = await login(t, s.user.email);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.user.id).toBe(s.user.id);
  });

  it("a login that is neither an email nor a username is 400 invalid_request", async () => {
    const t = await newTenant();
    expectError(await login(t, "a b"), 400, "invalid_request");
  });

  it("a disabled user is refused", async () => {
    const t = await newTenant();
    const s = await signup(t);
    await rows(t, "UPDATE users SET status = 'disabled' WHERE id = ?", s.user.id);
    expectError(await login(t, s.user.email), 401, "invalid_credentials");
  });

  it("a deleted user is refused", async () => {
    const t = await newTenant();
    const s = await signup(t);
    expect((await call("DELETE", `/v1/${t}/me`, { token: s.access_token, body: { password: PASSWORD } })).status).toBe(204);
    expectError(await login(t, s.user.email), 401, "invalid_credentials");
  });

  it("after `threshold` failures the account is locked: 423 with Retry-After, even with the right password", async () => {
    const t = await tenantWith({ lockout: { threshold: 3, base_s: 60, max_s: 900 } });
    const s = await signup(t);
    for (let i = 0; i < 3; i++) expectError(await login(t, s.user.email, "wrong password here"), 401, "invalid_credentials");
    const locked = await login(t, s.user.email);
    expectError(locked, 423, "locked");
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(locked.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    clock.advance(61_000);
    expect((await login(t, s.user.email)).status).toBe(200);
  });

  it("the lockout delay doubles after each further failure", async () => {
    const t = await tenantWith({ lockout: { threshold: 2, base_s: 10, max_s: 900 } });
    const s = await signup(t);
    await login(t, s.user.email, "wrong password here");
    await login(t, s.user.email, "wrong password here");
    expect(Number((await login(t, s.user.email)).headers.get("retry-after"))).toBe(10);
    clock.advance(11_000);
    expectError(await login(t, s.user.email, "wrong password here"), 401, "invalid_credentials");
    expect(Number((await login(t, s.user.email)).headers.get("retry-after"))).toBe(20);
  });

  it("a success resets the failure count", async () => {
    const t = await tenantWith({ lockout: { threshold: 3 } });
    const s = await signup(t);
    await login(t, s.user.email, "wrong password here");
    await login(t, s.user.email, "wrong password here");
    expect((await login(t, s.user.email)).status).toBe(200);
    await login(t, s.user.email, "wrong password here");
    await login(t, s.user.email, "wrong password here");
    expect((await login(t, s.user.email)).status).toBe(200);
  });

  it("parallel guesses cannot exceed the threshold", async () => {
    const t = await tenantWith({ lockout: { threshold: 5 } });
    const s = await signup(t);
    const results = await Promise.all(Array.from({ length: 20 }, () => login(t, s.user.email, "wrong password here")));
    expect(results.filter((r) => r.status === 401)).toHaveLength(5);
    expect(results.filter((r) => r.status === 423)).toHaveLength(15);
  });

  it("a password change between loginStart and loginFinish makes the login lose", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const halfway = await loginHalfway(t, s.user.email);
    const change = await call("PATCH", `/v1/${t}/me`, { token: s.access_token, body: { current_password: PASSWORD, new_password: "a brand new passphrase" } });
    expect(change.status).toBe(200);
    const before = await snapshot(t);
    expect(await halfway.finish()).toMatchObject({ ok: false, error: { code: "invalid_credentials" } });
    expect(await snapshot(t)).toEqual(before);
  });

  it("a logout-all between loginStart and loginFinish also makes the login lose", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const halfway = await loginHalfway(t, s.user.email);
    expect((await call("POST", `/v1/${t}/logout-all`, { token: s.access_token })).status).toBe(204);
    expect(await halfway.finish()).toMatchObject({ ok: false, error: { code: "invalid_credentials" } });
  });

  it("records the client's IP and user agent on the session", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const r = await call("POST", `/v1/${t}/login`, { body: { login: s.user.email, password: PASSWORD }, headers: { "cf-connecting-ip": "203.0.113.9", "user-agent": "test-agent/1" } });
    const [row] = await rows(t, "SELECT ip, user_agent FROM sessions WHERE id = ?", r.body.session_id);
    expect(row).toEqual({ ip: "203.0.113.9", user_agent: "test-agent/1" });
  });

  it("past the per-IP login rate limit: 429 rate_limited with Retry-After", async () => {
    const t = await tenantWith({ rate_limits: { login: { limit: 2, window_s: 300 } } });
    const s = await signup(t);
    const ip = { "cf-connecting-ip": "203.0.113.60" };
    for (let i = 0; i < 2; i++) expect((await call("POST", `/v1/${t}/login`, { body: { login: s.user.email, password: PASSWORD }, headers: ip })).status).toBe(200);
    const r = await call("POST", `/v1/${t}/login`, { body: { login: s.user.email, password: PASSWORD }, headers: ip });
    expectError(r, 429, "rate_limited");
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
    clock.advance(301_000);
    expect((await call("POST", `/v1/${t}/login`, { body: { login: s.user.email, password: PASSWORD }, headers: ip })).status).toBe(200);
  });
});
