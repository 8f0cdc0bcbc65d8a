/** @module POST /v1/{tenant}/signup: the token response, identifiers, password policy, hashing per tenant. */
import { afterEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { admin, call, d1Eventually, expectError, login, newTenant, PASSWORD, rows, snapshot, tenantWith, uniq } from "../helpers.ts";

afterEach(() => clock.reset());

const signupCall = (t: string, body: Record<string, unknown>) => call("POST", `/v1/${t}/signup`, { body });

describe("signup", () => {
  it("answers 201 with the token response and the public user", async () => {
    const t = await newTenant();
    const email = `${uniq("Ann")}@Example.com`;
    const r = await signupCall(t, { email, username: "Ann.Smith", password: PASSWORD, metadata: { plan: "pro" } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(Object.keys(r.body).sort()).toEqual(["access_token", "expires_in", "refresh_token", "session_id", "token_type", "user"]);
    expect(r.body).toMatchObject({ token_type: "Bearer", expires_in: 3600, session_id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) });
    expect(r.body.refresh_token.startsWith(`${r.body.session_id}.`)).toBe(true);
    expect(r.body.user).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/),
      email,
      username: "Ann.Smith",
      email_verified: false,
      pending_email: null,
      status: "active",
      metadata: { plan: "pro" },
      mfa_enabled: false,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
  });

  it("the user's directory row reaches D1", async () => {
    const t = await newTenant();
    const r = await signupCall(t, { email: "Dir@Example.com", username: "dir_user", password: PASSWORD });
    const [row] = await d1Eventually("SELECT * FROM user_directory WHERE tenant = ? AND user_id = ?", t, r.body.user.id);
    expect(row).toMatchObject({ tenant: t, user_id: r.body.user.id, email: "dir@example.com", username: "dir_user", status: "active" });
  });

  it("a taken email is 409 conflict, whatever its case or Unicode form", async () => {
    const t = await newTenant();
    await signupCall(t, { email: "alice@example.com", password: PASSWORD });
    const before = await snapshot(t);
    expectError(await signupCall(t, { email: "ALICE@example.com", password: PASSWORD }), 409, "conflict");
    expectError(await signupCall(t, { email: "\uff41lice@example.com", password: PASSWORD }), 409, "conflict"); // fullwidth a
    expect(await snapshot(t)).toEqual(before);
  });

  it("a taken username is 409 conflict, whatever its case or Unicode form", async () => {
    const t = await newTenant();
    await signupCall(t, { username: "bob_1", password: PASSWORD });
    expectError(await signupCall(t, { username: "BOB_1", password: PASSWORD }), 409, "conflict");
    expectError(await signupCall(t, { username: "\uff42\uff4f\uff42_1", password: PASSWORD }), 409, "conflict");
    expect(await rows(t, "SELECT username_norm FROM users")).toEqual([{ username_norm: "bob_1" }]);
  });

  // ASVS 6.2.4
  it.each([
    ["too short", "short pw", "too_short"],
    ["too common", "password1234", "too_common"],
    ["too long", "x".repeat(257), "too_long"],
  ])("a %s password is 400 password_policy", async (_what, password, reason) => {
    const t = await newTenant();
    const r = await signupCall(t, { email: `${uniq()}@example.com`, password });
    expectError(r, 400, "password_policy");
    expect(r.body.error.details).toEqual([expect.objectContaining({ reason })]);
    expect((await snapshot(t)).users).toBe(0);
  });

  // ASVS 6.2.1
  it("a tenant with min_length 16 refuses a 12-character password", async () => {
    const t = await tenantWith({ password: { min_length: 16 } });
    const r = await signupCall(t, { email: `${uniq()}@example.com`, password: "twelve chars" });
    expectError(r, 400, "password_policy");
    expect(r.body.error.details).toEqual([expect.objectContaining({ reason: "too_short", min_length: 16 })]);
    expect((await snapshot(t)).users).toBe(0);
  });

  it("a tenant with min_length 8 accepts a 10-character password", async () => {
    const t = await tenantWith({ password: { min_length: 8 } });
    expect((await signupCall(t, { email: `${uniq()}@example.com`, password: "ten chars!" })).status).toBe(201);
  });

  it("password length counts code points after NFKC", async () => {
    const t = await tenantWith({ password: { min_length: 12 } });
    // 11 emoji + 1 letter = 12 code points (23 UTF-16 units)
    expect((await signupCall(t, { email: `${uniq()}@example.com`, password: "\u{1F600}".repeat(11) + "a" })).status).toBe(201);
    expectError(await signupCall(t, { email: `${uniq()}@example.com`, password: "\u{1F600}".repeat(10) + "a" }), 400, "password_policy");
  });

  it("6.2.9 a 64-character password, and one of 256, signs up and signs in", async () => {
    const t = await newTenant();
    for (const password of ["horse battery ".repeat(5).slice(0, 64), "staple ".repeat(37).slice(0, 256)]) {
      const s = await signupCall(t, { email: `${uniq()}@example.com`, password });
      expect(s.status, JSON.stringify(s.body)).toBe(201);
      expect((await login(t, s.body.user.email, password)).status).toBe(200);
    }
  });

  it("6.2.5 passwords of any composition: digits only, symbols only, other scripts, emoji, spaces", async () => {
    const t = await newTenant();
    for (const password of ["849301726458", "%!@#&*()_+=-?", "пароль для входа", "\u{1F511}\u{1F510}\u{1F5DD}\u{1F512}\u{1F513}\u{1F50F}\u{1F6AA}\u{1F3E0}\u{1F3E1}\u{1F3E2}\u{1F3E3}\u{1F3E4}", "            x"]) {
      const s = await signupCall(t, { email: `${uniq()}@example.com`, password });
      expect(s.status, `${password}: ${JSON.stringify(s.body)}`).toBe(201);
      expect((await login(t, s.body.user.email, password)).status).toBe(200);
    }
  });

  it("is 403 forbidden when the tenant disabled sign-up", async () => {
    const t = await tenantWith({ signup: { enabled: false } });
    expectError(await signupCall(t, { email: `${uniq()}@example.com`, password: PASSWORD }), 403, "forbidden");
    expect((await snapshot(t)).users).toBe(0);
  });

  it("honours signup.identifiers: a username-only tenant refuses an email", async () => {
    const t = await tenantWith({ signup: { identifiers: ["username"] } });
    expectError(await signupCall(t, { email: `${uniq()}@example.com`, password: PASSWORD }), 400, "invalid_request");
    expectError(await signupCall(t, { email: `${uniq()}@example.com`, username: "name_ok", password: PASSWORD }), 400, "invalid_request");
    expect((await signupCall(t, { username: "name_ok", password: PASSWORD })).status).toBe(201);
  });

  it("honours signup.identifiers: an email-only tenant refuses a username", async () => {
    const t = await tenantWith({ signup: { identifiers: ["email"] } });
    expectError(await signupCall(t, { username: "someone", password: PASSWORD }), 400, "invalid_request");
    expect((await signupCall(t, { email: `${uniq()}@example.com`, password: PASSWORD })).status).toBe(201);
  });

  it("needs an email or a username", async () => {
    const t = await newTenant();
    expectError(await signupCall(t, { password: PASSWORD }), 400, "invalid_request");
  });

  it.each([["not-an-email"], ["two@@example.com"], ["nodot@example"], [`${"a".repeat(250)}@example.com`]])("an invalid email %j is 400 invalid_request", async (email) => {
    const t = await newTenant();
    const r = await signupCall(t, { email, password: PASSWORD });
    expectError(r, 400, "invalid_request");
    expect(r.body.error.details[0].path).toBe("email");
  });

  it.each([["ab"], ["has space"], ["semi;colon"], ["x".repeat(65)]])("an invalid username %j is 400 invalid_request", async (username) => {
    const t = await newTenant();
    expectError(await signupCall(t, { username, password: PASSWORD }), 400, "invalid_request");
  });

  it("metadata over 8 KiB is 400 invalid_request", async () => {
    const t = await newTenant();
    const r = await signupCall(t, { email: `${uniq()}@example.com`, password: PASSWORD, metadata: { blob: "x".repeat(8200) } });
    expectError(r, 400, "invalid_request");
    expect(r.body.error.details[0].path).toBe("metadata");
    expect((await snapshot(t)).users).toBe(0);
  });

  it("metadata that is not an object is 400 invalid_request", async () => {
    const t = await newTenant();
    expectError(await signupCall(t, { email: `${uniq()}@example.com`, password: PASSWORD, metadata: [1, 2] }), 400, "invalid_request");
  });

  it("a tenant created without settings hashes with argon2id: the stored hash is argon2id and logs in", async () => {
    const t = uniq("a2");
    expect((await admin("POST", "/tenants", { slug: t, name: "defaults" })).status).toBe(201);
    const email = `${uniq()}@example.com`;
    expect((await signupCall(t, { email, password: PASSWORD })).status).toBe(201);
    const [cred] = await rows<{ hash: string; algorithm: string }>(t, "SELECT hash, algorithm FROM credentials");
    expect(cred.algorithm).toBe("argon2id");
    expect(cred.hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect((await login(t, email)).status).toBe(200);
  });

  it("a pbkdf2 tenant stores a pbkdf2-sha256 hash", async () => {
    const t = await newTenant();
    await signupCall(t, { email: `${uniq()}@example.com`, password: PASSWORD });
    const [cred] = await rows<{ hash: string; algorithm: string }>(t, "SELECT hash, algorithm FROM credentials");
    expect(cred.algorithm).toBe("pbkdf2-sha256");
    expect(cred.hash).toMatch(/^\$pbkdf2-sha256\$i=100000,l=32\$/);
  });

  it("a tenant switched from pbkdf2 to argon2id rehashes at the next login", async () => {
    const t = await newTenant();
    const email = `${uniq()}@example.com`;
    await signupCall(t, { email, password: PASSWORD });
    await admin("PATCH", `/tenants/${t}`, { settings: { password: { hash: "argon2id" } } });
    expect((await login(t, email)).status).toBe(200);
    const [cred] = await rows<{ hash: string; algorithm: string }>(t, "SELECT hash, algorithm FROM credentials");
    expect(cred.algorithm).toBe("argon2id");
    expect(cred.hash).toMatch(/^\$argon2id\$/);
    const [entry] = await rows<{ data: string }>(t, "SELECT data FROM audit_log WHERE type = 'login.success'");
    expect(JSON.parse(entry.data).rehashed).toBe(true);
    // The new hash verifies, and is not rehashed again.
    expect((await login(t, email)).status).toBe(200);
    expect(await rows(t, "SELECT json_extract(data, '$.rehashed') AS r FROM audit_log WHERE type = 'login.success' ORDER BY id")).toEqual([{ r: 1 }, { r: 0 }]);
  });

  it("a sign-up right after the tenant switched algorithms stores the new algorithm", async () => {
    const t = await newTenant();
    await signupCall(t, { email: `${uniq()}@example.com`, password: PASSWORD }); // the router learns pbkdf2
    await admin("PATCH", `/tenants/${t}`, { settings: { password: { hash: "argon2id" } } });
    await signupCall(t, { email: `${uniq()}@example.com`, password: PASSWORD });
    expect(await rows(t, "SELECT algorithm FROM credentials c JOIN users u ON u.id = c.user_id ORDER BY u.created_at, u.id")).toEqual([{ algorithm: "pbkdf2-sha256" }, { algorithm: "argon2id" }]);
  });

  it("past the per-IP sign-up rate limit: 429 rate_limited with Retry-After, and no user", async () => {
    const t = await tenantWith({ rate_limits: { signup: { limit: 2, window_s: 600 } } });
    const ip = { "cf-connecting-ip": "203.0.113.50" };
    for (let i = 0; i < 2; i++) expect((await call("POST", `/v1/${t}/signup`, { body: { email: `${uniq()}@example.com`, password: PASSWORD }, headers: ip })).status).toBe(201);
    const r = await call("POST", `/v1/${t}/signup`, { body: { email: `${uniq()}@example.com`, password: PASSWORD }, headers: ip });
    expectError(r, 429, "rate_limited");
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(r.headers.get("retry-after"))).toBeLessThanOrEqual(600);
    expect((await snapshot(t)).users).toBe(2);
    // Another address is not affected.
    expect((await call("POST", `/v1/${t}/signup`, { body: { email: `${uniq()}@example.com`, password: PASSWORD }, headers: { "cf-connecting-ip": "203.0.113.51" } })).status).toBe(201);
  });
});
