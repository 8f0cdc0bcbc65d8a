/**
 * @module A passkey as the second factor (`POST /login/mfa {webauthn}`), as a step-up proof
 * (`POST /reauth {webauthn}`), and as the only credential of an account (passkey sign-up).
 */
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { call, clockSecond, expectError, expectSecondSince, newTenant, PASSWORD, snapshot } from "../helpers.ts";
import { claims, enableTotp, midStep, passwordStep, rows, tenantWithUser, useMockOutbound } from "../account/kit.ts";
import { register, signIn, SoftAuthenticator, userWithPasskey } from "./kit.ts";

useMockOutbound();

const STALE_MS = 6 * 60_000;

describe("a passkey as the second factor", () => {
  async function mfaUser() {
    midStep();
    const u = await userWithPasskey();
    await enableTotp(u.t, u.access);
    return u;
  }
  const mfaOptions = (t: string, mfa_token: string) => call("POST", `/v1/${t}/login/mfa/webauthn/options`, { body: { mfa_token } });

  it("mfa_required lists webauthn; the assertion finishes the login with amr pwd+pop and the session is the passkey's", async () => {
    const { t, email, auth, passkey } = await mfaUser();
    const mfaToken = await passwordStep(t, email);
    const again = await call("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } });
    expect(again.body.error.methods).toEqual(["totp", "recovery_code", "webauthn"]);
    const o = await mfaOptions(t, mfaToken);
    expect(o.status, JSON.stringify(o.body)).toBe(200);
    expect(o.body.allowCredentials.map((c: { id: string }) => c.id)).toEqual([auth.credentials[0].id]);
    expect(o.body.userVerification).toBe("discouraged");
    const r = await call("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, webauthn: await auth.get(o.body) } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(claims(r.body.access_token).amr).toEqual(["pwd", "pop", "mfa"]);
    expect((await rows<{ passkey_id: string }>(t, "SELECT passkey_id FROM sessions WHERE id = ?", r.body.session_id))[0].passkey_id).toBe(passkey.id);
    // The MFA token is spent.
    expectError(await call("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, code: "000000" } }), 401, "invalid_token");
  });

  it("a bad assertion leaves the MFA token usable, is not counted toward the lockout, and cannot reuse a challenge", async () => {
    const { t, email, auth } = await mfaUser();
    const mfaToken = await passwordStep(t, email);
    const o = (await mfaOptions(t, mfaToken)).body;
    const before = await snapshot(t);
    expectError(await call("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, webauthn: await auth.get(o, { badSignature: true }) } }), 401, "invalid_credentials");
    expect(await snapshot(t)).toEqual(before);
    expect(await rows(t, "SELECT * FROM attempts WHERE key LIKE 'acct:%'")).toEqual([]);
    // That challenge is spent; a new one works with the same MFA token.
    expectError(await call("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, webauthn: await auth.get(o) } }), 401, "invalid_credentials");
    const o2 = (await mfaOptions(t, mfaToken)).body;
    expect((await call("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, webauthn: await auth.get(o2) } })).status).toBe(200);
  });

  it("a challenge of another MFA token, or another user's passkey, does not finish it", async () => {
    const a = await mfaUser();
    const tokenA1 = await passwordStep(a.t, a.email);
    const tokenA2 = await passwordStep(a.t, a.email);
    const o = (await mfaOptions(a.t, tokenA1)).body;
    expectError(await call("POST", `/v1/${a.t}/login/mfa`, { body: { mfa_token: tokenA2, webauthn: await a.auth.get(o) } }), 401, "invalid_credentials");
    const other = await call("POST", `/v1/${a.t}/signup`, { body: { email: "mallory@example.com", password: PASSWORD } });
    const mallory = new SoftAuthenticator();
    expect((await register(a.t, other.body.access_token, mallory)).status).toBe(201);
    const o2 = (await mfaOptions(a.t, tokenA2)).body;
    expectError(await call("POST", `/v1/${a.t}/login/mfa`, { body: { mfa_token: tokenA2, webauthn: await mallory.get({ ...o2, allowCredentials: undefined }) } }), 401, "invalid_credentials");
  });

  it("options need a live MFA token and a passkey; the body takes exactly one proof", async () => {
    midStep();
    const { t, email, access } = await tenantWithUser();
    await enableTotp(t, access);
    const mfaToken = await passwordStep(t, email);
    expectError(await mfaOptions(t, "x".repeat(43)), 401, "invalid_token");
    expectError(await mfaOptions(t, mfaToken), 400, "invalid_request");
    expectError(await call("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken } }), 400, "invalid_request");
    expectError(await call("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, code: "123456", webauthn: {} } }), 400, "invalid_request");
  });
});

describe("POST /reauth {webauthn}", () => {
  it("steps an old session up with a passkey: a fresh auth_time and pop in amr", async () => {
    const { t, access, auth } = await userWithPasskey();
    clock.advance(STALE_MS);
    const stale = await call("POST", `/v1/${t}/passkeys/register/options`, { token: access });
    expectError(stale, 401, "reauth_required");
    expect(stale.body.error.methods).toEqual(["password", "webauthn"]);
    const o = await call("POST", `/v1/${t}/reauth/webauthn/options`, { token: access });
    expect(o.status, JSON.stringify(o.body)).toBe(200);
    const from = clockSecond();
    const r = await call("POST", `/v1/${t}/reauth`, { token: access, body: { webauthn: await auth.get(o.body) } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const c = claims(r.body.access_token);
    expectSecondSince(c.auth_time, from);
    expect(c.amr).toEqual(["pwd", "pop", "mfa"]);
    expect((await call("POST", `/v1/${t}/passkeys/register/options`, { token: r.body.access_token })).status).toBe(200);
  });

  it("a challenge of another session, or a bad signature, does not step up", async () => {
    const { t, email, access, auth } = await userWithPasskey();
    const other = await call("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } });
    clock.advance(STALE_MS);
    const o = (await call("POST", `/v1/${t}/reauth/webauthn/options`, { token: other.body.access_token })).body;
    expectError(await call("POST", `/v1/${t}/reauth`, { token: access, body: { webauthn: await auth.get(o) } }), 401, "invalid_credentials");
    const mine = (await call("POST", `/v1/${t}/reauth/webauthn/options`, { token: access })).body;
    expectError(await call("POST", `/v1/${t}/reauth`, { token: access, body: { webauthn: await auth.get(mine, { badSignature: true }) } }), 401, "invalid_credentials");
    expectError(await call("POST", `/v1/${t}/passkeys/register/options`, { token: access }), 401, "reauth_required");
  });
});

describe("passkey-only sign-up", () => {
  async function signupWithPasskey(t: string, body: Record<string, unknown>, auth = new SoftAuthenticator()) {
    const o = await call("POST", `/v1/${t}/signup/passkey/options`, { body });
    expect(o.status, JSON.stringify(o.body)).toBe(200);
    return { o: o.body, r: await call("POST", `/v1/${t}/signup/passkey`, { body: { response: await auth.create(o.body) } }), auth };
  }

  it("201 with a token response; the account has a passkey and no password, and signs in usernameless", async () => {
    const t = await newTenant();
    const { o, r, auth } = await signupWithPasskey(t, { email: "Only@Example.com" });
    expect(o.authenticatorSelection).toMatchObject({ residentKey: "required", requireResidentKey: true });
    expect(o.user.name).toBe("Only@Example.com");
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.user).toMatchObject({ email: "Only@Example.com", email_verified: false });
    expect(claims(r.body.access_token).amr).toEqual(["pop", "mfa"]);
    expect(await rows(t, "SELECT * FROM credentials")).toEqual([]);
    expect(await rows(t, "SELECT 1 FROM passkeys WHERE user_id = ?", r.body.user.id)).toHaveLength(1);
    const [u] = await rows<{ webauthn_handle: string }>(t, "SELECT webauthn_handle FROM users");
    expect(u.webauthn_handle).toBe(o.user.id);
    expectError(await call("POST", `/v1/${t}/login`, { body: { login: "only@example.com", password: PASSWORD } }), 401, "invalid_credentials");
    const s = await signIn(t, auth);
    expect(s.status).toBe(200);
    expect(s.body.user.id).toBe(r.body.user.id);
    // Its step-up is the passkey, not a magic link.
    clock.advance(STALE_MS);
    expect((await call("DELETE", `/v1/${t}/me`, { token: s.body.access_token })).body.error.methods).toEqual(["webauthn"]);
  });

  it("refuses a taken identifier, a reused challenge, and a disabled sign-up", async () => {
    const t = await newTenant();
    await call("POST", `/v1/${t}/signup`, { body: { email: "taken@example.com", password: PASSWORD } });
    expectError(await call("POST", `/v1/${t}/signup/passkey/options`, { body: { email: "taken@example.com" } }), 409, "conflict");
    expectError(await call("POST", `/v1/${t}/signup/passkey/options`, { body: {} }), 400, "invalid_request");
    const { o, r } = await signupWithPasskey(t, { username: "neo" });
    expect(r.status).toBe(201);
    const again = await call("POST", `/v1/${t}/signup/passkey`, { body: { response: await new SoftAuthenticator().create(o) } });
    expectError(again, 401, "invalid_credentials");
    expect(await rows(t, "SELECT 1 FROM users")).toHaveLength(2);
    const closed = await newTenant({ signup: { enabled: false } });
    expectError(await call("POST", `/v1/${closed}/signup/passkey/options`, { body: { email: "a@example.com" } }), 403, "forbidden");
  });

  it("two sign-ups racing for one username: the second is refused at the end", async () => {
    const t = await newTenant();
    const a = await call("POST", `/v1/${t}/signup/passkey/options`, { body: { username: "trinity" } });
    const b = await call("POST", `/v1/${t}/signup/passkey/options`, { body: { username: "trinity" } });
    expect((await call("POST", `/v1/${t}/signup/passkey`, { body: { response: await new SoftAuthenticator().create(a.body) } })).status).toBe(201);
    expectError(await call("POST", `/v1/${t}/signup/passkey`, { body: { response: await new SoftAuthenticator().create(b.body) } }), 409, "conflict");
  });
});
