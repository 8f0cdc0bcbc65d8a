/**
 * @module Step-up (ASVS 5.0 V7.5.1, V7.5.2, V6.2.3, V6.4): a stolen access token, from a session
 * older than the 5-minute window, cannot change the account's factors, email or sessions;
 * `POST /reauth` with a password, a TOTP or recovery code, or (email-only accounts) a magic link
 * gives a fresh `auth_time`, which a refresh never renews.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { call, clockSecond, expectError, expectSecondSince, login, newTenant, PASSWORD, refresh, snapshot, uniq } from "../helpers.ts";
import { claims, client, DELIVERY, enableTotp, lastMessage, midStep, rows, tenantWithUser, totp, useMockOutbound } from "./kit.ts";

const out = useMockOutbound();
beforeEach(() => midStep());

/** Past the step-up window (5 minutes), in whole TOTP steps so codes stay mid-step. */
const STALE_MS = 6 * 60_000;

const reauth = (t: string, token: string, body: Record<string, unknown>) => call("POST", `/v1/${t}/reauth`, { token, body });

function expectReauthRequired(r: Awaited<ReturnType<typeof call>>, methods: string[]): void {
  expectError(r, 401, "reauth_required");
  expect(r.body.error.message).toMatch(/POST \/reauth/);
  expect(r.body.error.methods).toEqual(methods);
}

/** A user whose signup session is past the window; `access` is what a thief copied. */
async function staleUser(settings: Record<string, unknown> = {}) {
  const u = await tenantWithUser(settings);
  clock.advance(STALE_MS);
  return u;
}

describe("a stolen access token of a session older than 5 minutes", () => {
  it("7.5.1 cannot enroll TOTP, confirm it, or take the recovery codes", async () => {
    const { t, access } = await staleUser();
    const before = await snapshot(t);
    expectReauthRequired(await call("POST", `/v1/${t}/mfa/totp`, { token: access }), ["password"]);
    expectReauthRequired(await call("POST", `/v1/${t}/mfa/totp/confirm`, { token: access, body: { code: "123456" } }), ["password"]);
    expect(await rows(t, "SELECT 1 FROM mfa_totp")).toEqual([]);
    expect(await snapshot(t)).toEqual(before);
  });

  it("7.5.1 cannot confirm an enrollment the owner started, regenerate recovery codes, or disable TOTP", async () => {
    const { t, access } = await tenantWithUser();
    const pending = await call("POST", `/v1/${t}/mfa/totp`, { token: access });
    clock.advance(STALE_MS);
    expectReauthRequired(await call("POST", `/v1/${t}/mfa/totp/confirm`, { token: access, body: { code: totp(pending.body.secret) } }), ["password"]);
    expect((await rows(t, "SELECT confirmed_at FROM mfa_totp"))[0].confirmed_at).toBeNull();

    const owner = await tenantWithUser();
    const { codes } = await enableTotp(owner.t, owner.access);
    clock.advance(STALE_MS);
    expectReauthRequired(await call("POST", `/v1/${owner.t}/mfa/recovery-codes`, { token: owner.access }), ["totp", "recovery_code"]);
    expectReauthRequired(await call("DELETE", `/v1/${owner.t}/mfa/totp`, { token: owner.access }), ["totp", "recovery_code"]);
    // A two-factor account's password alone is not a full re-authentication.
    expectReauthRequired(await call("DELETE", `/v1/${owner.t}/mfa/totp`, { token: owner.access, body: { password: PASSWORD } }), ["totp", "recovery_code"]);
    expect(await rows(owner.t, "SELECT 1 FROM mfa_totp WHERE confirmed_at IS NOT NULL")).toHaveLength(1);
    expect(await rows(owner.t, "SELECT 1 FROM recovery_codes WHERE used_at IS NULL")).toHaveLength(codes.length);
  });

  it("7.5.2 cannot end another session; ending its own stays free", async () => {
    const { t, email, access } = await staleUser();
    const other = await login(t, email);
    expectReauthRequired(await call("DELETE", `/v1/${t}/sessions/${other.body.session_id}`, { token: access }), ["password"]);
    expect((await call("GET", `/v1/${t}/me`, { token: other.body.access_token })).status).toBe(200);
    expect((await call("DELETE", `/v1/${t}/sessions/${claims(access).sid}`, { token: access })).status).toBe(204);
  });

  // ASVS 7.5.3
  it("7.5.1 cannot change the email or delete the account without the password", async () => {
    const { t, email, access } = await staleUser();
    const before = await snapshot(t);
    expectReauthRequired(await call("PATCH", `/v1/${t}/me`, { token: access, body: { new_email: `${uniq("evil")}@example.com` } }), ["password"]);
    expectReauthRequired(await call("DELETE", `/v1/${t}/me`, { token: access }), ["password"]);
    expectReauthRequired(await call("DELETE", `/v1/${t}/me`, { token: access, body: {} }), ["password"]);
    expect(await snapshot(t)).toEqual(before);
    expect((await call("GET", `/v1/${t}/me`, { token: access })).body.email).toBe(email);
  });

  it("an inline current password still works for an account without a second factor", async () => {
    const { t, access } = await staleUser();
    const r = await call("PATCH", `/v1/${t}/me`, { token: access, body: { current_password: PASSWORD, metadata: { a: 1 } } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectError(await call("PATCH", `/v1/${t}/me`, { token: access, body: { current_password: "a wrong guess here", metadata: {} } }), 401, "invalid_credentials");
  });
});

describe("POST /reauth", () => {
  it("7.5.1 with the password: the same session, a fresh auth_time and amr, and the factor changes go through", async () => {
    const { t, email, access, refresh: oldRefresh } = await staleUser();
    const signedIn = claims(access).auth_time;
    const from = clockSecond();
    const r = await reauth(t, access, { password: PASSWORD });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(r.body).toMatchObject({ token_type: "Bearer", session_id: claims(access).sid });
    const fresh = claims(r.body.access_token);
    expectSecondSince(fresh.auth_time, from);
    expect(fresh.auth_time - signedIn).toBeGreaterThanOrEqual(STALE_MS / 1000 - 1);
    expect(fresh.amr).toEqual(["pwd"]);
    // The token issued before the step-up stays old; the refresh token before it is gone.
    expectReauthRequired(await call("POST", `/v1/${t}/mfa/totp`, { token: access }), ["password"]);
    expectError(await refresh(t, oldRefresh), 401, "invalid_token");
    const { codes } = await enableTotp(t, r.body.access_token);
    expect(codes).toHaveLength(10);
    const other = await login(t, email);
    expectError(other, 401, "mfa_required");
    const sessions = await rows<{ auth_time: number; amr: string }>(t, "SELECT auth_time, amr FROM sessions WHERE id = ?", fresh.sid);
    expect(sessions).toHaveLength(1);
    expect(Math.floor(sessions[0].auth_time / 1000)).toBe(fresh.auth_time);
    expect(sessions[0].amr).toBe('["pwd"]');
    const audit = await rows<{ data: string }>(t, "SELECT data FROM audit_log WHERE type = 'reauth'");
    expect(audit.map((a) => JSON.parse(a.data))).toEqual([{ method: "password" }]);
  });

  it("7.5.1 a refresh carries auth_time over and never renews it", async () => {
    const { t, access, refresh: rt } = await tenantWithUser();
    const signedIn = claims(access).auth_time;
    clock.advance(STALE_MS);
    const r = await refresh(t, rt);
    expect(r.status).toBe(200);
    expect(claims(r.body.access_token).auth_time).toBe(signedIn);
    expect(claims(r.body.access_token).iat).toBeGreaterThan(signedIn);
    expectReauthRequired(await call("POST", `/v1/${t}/mfa/totp`, { token: r.body.access_token }), ["password"]);
    // After a step-up, refreshes carry the new auth_time.
    const up = await reauth(t, r.body.access_token, { password: PASSWORD });
    const again = await refresh(t, up.body.refresh_token);
    expect(claims(again.body.access_token).auth_time).toBe(claims(up.body.access_token).auth_time);
  });

  it("6.3.1 a wrong password counts toward the account lockout, like a login, and is audited", async () => {
    const { t, email, access } = await staleUser({ lockout: { threshold: 3, base_s: 60, max_s: 900, hard_limit: 100 } });
    for (let n = 0; n < 3; n++) expectError(await reauth(t, access, { password: `wrong guess ${n}` }), 401, "invalid_credentials");
    expectError(await reauth(t, access, { password: PASSWORD }), 423, "locked");
    expectError(await login(t, email), 423, "locked");
    const failures = await rows<{ data: string }>(t, "SELECT data FROM audit_log WHERE type = 'login.failure'");
    expect(failures.map((f) => JSON.parse(f.data))).toEqual(Array(3).fill({ via: "reauth" }));
    clock.advance(61_000);
    expect((await reauth(t, access, { password: PASSWORD })).status).toBe(200);
    expect(await rows(t, "SELECT 1 FROM attempts WHERE key LIKE 'acct:%'")).toEqual([]);
  });

  // ASVS 6.3.4
  it("a two-factor account steps up with a TOTP or recovery code, not the password; wrong codes count toward the lockout", async () => {
    const { t, access } = await tenantWithUser({ lockout: { threshold: 3, base_s: 60, max_s: 900, hard_limit: 100 } });
    const { secret, codes } = await enableTotp(t, access);
    clock.advance(STALE_MS);
    const byPassword = await reauth(t, access, { password: PASSWORD });
    expectError(byPassword, 400, "invalid_request");
    expect(byPassword.body.error.methods).toEqual(["totp", "recovery_code"]);
    const byCode = await reauth(t, access, { code: totp(secret) });
    expect(byCode.status, JSON.stringify(byCode.body)).toBe(200);
    expect(claims(byCode.body.access_token).amr).toEqual(["pwd", "otp"]);
    // The step is spent: the same code again is refused.
    expectError(await reauth(t, byCode.body.access_token, { code: totp(secret) }), 401, "invalid_credentials");
    const byRecovery = await reauth(t, access, { code: codes[0] });
    expect(byRecovery.status).toBe(200);
    expect(await rows(t, "SELECT 1 FROM recovery_codes WHERE used_at IS NOT NULL")).toHaveLength(1);
    const r = await call("DELETE", `/v1/${t}/mfa/totp`, { token: byRecovery.body.access_token });
    expect(r.status, JSON.stringify(r.body)).toBe(204);

    const other = await tenantWithUser({ lockout: { threshold: 3, base_s: 60, max_s: 900, hard_limit: 100 } });
    const second = await enableTotp(other.t, other.access);
    clock.advance(STALE_MS);
    for (let n = 0; n < 3; n++) expectError(await reauth(other.t, other.access, { code: "000000" }), 401, "invalid_credentials");
    expectError(await reauth(other.t, other.access, { code: second.codes[0] }), 423, "locked");
  });

  it("refuses a body with no proof or two, and needs a live bearer token", async () => {
    const { t, access } = await staleUser();
    expectError(await reauth(t, access, {}), 400, "invalid_request");
    expectError(await reauth(t, access, { password: PASSWORD, code: "123456" }), 400, "invalid_request");
    expectError(await reauth(t, access, { password: PASSWORD, webauthn: {} }), 400, "invalid_request");
    expectError(await call("POST", `/v1/${t}/reauth`, { body: { password: PASSWORD } }), 401, "unauthorized");
    await call("POST", `/v1/${t}/logout`, { token: access });
    expectError(await reauth(t, access, { password: PASSWORD }), 401, "invalid_token");
  });
});

describe("an account without a password", () => {
  /** A magic-link sign-up (no password), past the window. */
  async function emailOnly() {
    const t = await newTenant(DELIVERY);
    const email = `${uniq("m")}@example.com`;
    const req = client();
    expect((await req("POST", `/v1/${t}/magic-link`, { body: { email } })).status).toBe(202);
    const v = await req("POST", `/v1/${t}/magic-link/verify`, { body: { token: (await lastMessage(out, t, "magic_link", email)).token } });
    expect(v.status, JSON.stringify(v.body)).toBe(200);
    clock.advance(STALE_MS);
    return { t, email, access: v.body.access_token as string };
  }

  // ASVS 6.6.2
  it("7.5.1 steps up by a magic link sent to its address, bound to the session, single use", async () => {
    const { t, email, access } = await emailOnly();
    expectReauthRequired(await call("POST", `/v1/${t}/mfa/totp`, { token: access }), ["magic_link"]);
    expectError(await reauth(t, access, { password: PASSWORD }), 401, "invalid_credentials");
    expect((await call("POST", `/v1/${t}/reauth/magic-link`, { token: access })).status).toBe(202);
    const m = await lastMessage(out, t, "reauth", email);
    // The link is the owner's and this session's: another session of the same user cannot use it.
    const elsewhere = await client()("POST", `/v1/${t}/magic-link`, { body: { email } });
    expect(elsewhere.status).toBe(202);
    const second = await client()("POST", `/v1/${t}/magic-link/verify`, { body: { token: (await lastMessage(out, t, "magic_link", email)).token } });
    expectError(await reauth(t, second.body.access_token, { magic_link_token: m.token }), 401, "invalid_credentials");
    expect((await call("POST", `/v1/${t}/reauth/magic-link`, { token: access })).status).toBe(202);
    const link = await lastMessage(out, t, "reauth", email);
    const r = await reauth(t, access, { magic_link_token: link.token });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(claims(r.body.access_token).amr).toEqual(["email"]);
    expectError(await reauth(t, access, { magic_link_token: link.token }), 401, "invalid_credentials");
    expect((await call("POST", `/v1/${t}/mfa/totp`, { token: r.body.access_token })).status).toBe(200);
    // Recent, it may set a first password without a current one (it has none).
    const pw = await call("PATCH", `/v1/${t}/me`, { token: r.body.access_token, body: { new_password: "a first good passphrase" } });
    expect(pw.status, JSON.stringify(pw.body)).toBe(200);
    expect((await login(t, email, "a first good passphrase")).status).toBe(200);
  });

  it("an account with a password cannot ask for a step-up link", async () => {
    const { t, access } = await staleUser();
    const r = await call("POST", `/v1/${t}/reauth/magic-link`, { token: access });
    expectError(r, 400, "invalid_request");
    expect(r.body.error.methods).toEqual(["password"]);
  });
});

describe("a password change", () => {
  it("6.2.3 needs the current password even in a recent session", async () => {
    const { t, access } = await tenantWithUser();
    const before = await snapshot(t);
    const r = await call("PATCH", `/v1/${t}/me`, { token: access, body: { new_password: "another good passphrase" } });
    expectError(r, 400, "invalid_request");
    expect(r.body.error.message).toMatch(/current_password/);
    expect(await snapshot(t)).toEqual(before);
    // Other changes in a recent session need nothing more.
    expect((await call("PATCH", `/v1/${t}/me`, { token: access, body: { metadata: { x: 1 } } })).status).toBe(200);
  });
});
