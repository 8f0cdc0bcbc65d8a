/**
 * @module TOTP MFA over HTTP: enrollment, confirmation, login with a code or a recovery code,
 * replay and drift, the MFA token's lifetime and binding, lockout, disabling.
 * (The RFC 4226 and RFC 6238 vectors are in test/crypto/totp.test.ts.)
 */
import { beforeEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { base32Decode } from "../../src/crypto/base32.ts";
import { call, expectError, PASSWORD } from "../helpers.ts";
import { claims, client, enableTotp, lastMessage, midStep, useMockOutbound, passwordStep, rows, tenantWithUser, totp, verifyOwnEmail } from "./kit.ts";

const out = useMockOutbound();
beforeEach(() => midStep());

describe("enrollment", () => {
  it("6.5.3 returns a fresh 20-byte base32 secret and an otpauth URI issued by the tenant name; the secret is sealed at rest", async () => {
    const { t, email, access } = await tenantWithUser();
    const r = await call("POST", `/v1/${t}/mfa/totp`, { token: access });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(base32Decode(r.body.secret)).toHaveLength(20);
    expect(r.body.otpauth_uri.startsWith(`otpauth://totp/${encodeURIComponent(`Tenant ${t}`)}:${encodeURIComponent(email)}?`)).toBe(true);
    const uri = new URL(r.body.otpauth_uri);
    expect(uri.searchParams.get("issuer")).toBe(`Tenant ${t}`);
    expect(uri.searchParams.get("secret")).toBe(r.body.secret);
    const [row] = await rows<{ secret: string; confirmed_at: number | null }>(t, "SELECT secret, confirmed_at FROM mfa_totp");
    expect(row.confirmed_at).toBeNull();
    expect(row.secret.startsWith("v1.")).toBe(true);
    expect(row.secret).not.toContain(r.body.secret);
    const again = await call("POST", `/v1/${t}/mfa/totp`, { token: access });
    expect(again.body.secret).not.toBe(r.body.secret);
  });

  it("a pending enrollment does not change login; confirming with a current code enables it and returns ten recovery codes", async () => {
    const { t, email, access } = await tenantWithUser();
    const e = await call("POST", `/v1/${t}/mfa/totp`, { token: access });
    expect((await client()("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } })).status).toBe(200);
    const c = await call("POST", `/v1/${t}/mfa/totp/confirm`, { token: access, body: { code: totp(e.body.secret) } });
    expect(c.status, JSON.stringify(c.body)).toBe(200);
    expect(c.body.enabled).toBe(true);
    expect(c.body.recovery_codes).toHaveLength(10);
    expect((await call("GET", `/v1/${t}/me`, { token: access })).body.mfa_enabled).toBe(true);
    await passwordStep(t, email);
  });

  it("confirming with a wrong code is 400 and leaves TOTP off; without an enrollment it is 404", async () => {
    const { t, email, access } = await tenantWithUser();
    expectError(await call("POST", `/v1/${t}/mfa/totp/confirm`, { token: access, body: { code: "123456" } }), 404, "not_found");
    const e = await call("POST", `/v1/${t}/mfa/totp`, { token: access });
    const wrong = String((Number(totp(e.body.secret)) + 1) % 1_000_000).padStart(6, "0");
    expectError(await call("POST", `/v1/${t}/mfa/totp/confirm`, { token: access, body: { code: wrong } }), 400, "invalid_request");
    expectError(await call("POST", `/v1/${t}/mfa/totp/confirm`, { token: access, body: { code: "12345x" } }), 400, "invalid_request");
    expect((await client()("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } })).status).toBe(200);
  });

  it("enrolling while TOTP is enabled is 409; the routes need a bearer token", async () => {
    const { t, access } = await tenantWithUser();
    await enableTotp(t, access);
    expectError(await call("POST", `/v1/${t}/mfa/totp`, { token: access }), 409, "conflict");
    expectError(await call("POST", `/v1/${t}/mfa/totp`), 401, "unauthorized");
    expectError(await call("POST", `/v1/${t}/mfa/recovery-codes`, { token: "nope" }), 401, "invalid_token");
    expectError(await call("POST", `/v1/${t}/mfa/totp/confirm`, { token: access, body: { code: "123456", extra: 1 } }), 400, "invalid_request");
  });
});

describe("login with a second factor", () => {
  it("6.5.1 7.2.4 a current code completes the login: a new session whose amr is [pwd, otp]", async () => {
    const { t, email, access } = await tenantWithUser();
    const { secret } = await enableTotp(t, access);
    clock.advance(30_000); // the confirmation used this step
    const mfaToken = await passwordStep(t, email);
    const r = await client()("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, code: totp(secret) } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(claims(r.body.access_token).amr).toEqual(["pwd", "otp"]);
    expect(r.body.session_id).not.toBe(claims(access).sid);
    const sessions = await call("GET", `/v1/${t}/sessions`, { token: r.body.access_token });
    expect(sessions.body.sessions.find((s: any) => s.current).amr).toEqual(["pwd", "otp"]);
  });

  it("6.5.1 a used time step is refused when replayed over HTTP, even on a fresh MFA token", async () => {
    const { t, email, access } = await tenantWithUser();
    const { secret } = await enableTotp(t, access);
    clock.advance(30_000);
    const code = totp(secret);
    expect((await client()("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: await passwordStep(t, email), code } })).status).toBe(200);
    const replay = await client()("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: await passwordStep(t, email), code } });
    expectError(replay, 401, "invalid_credentials");
    // The confirmation's own step is spent as well.
    clock.advance(-30_000);
    expectError(await client()("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: await passwordStep(t, email), code: totp(secret) } }), 401, "invalid_credentials");
  });

  it("6.5.1 the same code sent in parallel on two MFA tokens is accepted exactly once", async () => {
    const { t, email, access } = await tenantWithUser();
    const { secret } = await enableTotp(t, access);
    clock.advance(30_000);
    const [a, b] = [await passwordStep(t, email), await passwordStep(t, email)];
    const code = totp(secret);
    const rs = await Promise.all([a, b].map((m) => client()("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: m, code } })));
    expect(rs.map((r) => r.status).sort()).toEqual([200, 401]);
  });

  it("6.5.5 drift: codes one step either side are accepted (default totp_drift_steps 1), two steps away refused", async () => {
    const { t, email, access } = await tenantWithUser();
    const { secret } = await enableTotp(t, access);
    clock.advance(90_000); // well past the confirmation's step, so step −1 is still fresh
    const mfaToken = await passwordStep(t, email);
    const post = (code: string) => client()("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, code } });
    expectError(await post(totp(secret, -2)), 401, "invalid_credentials");
    expectError(await post(totp(secret, +2)), 401, "invalid_credentials");
    expect((await post(totp(secret, -1))).status).toBe(200);
    expect((await client()("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: await passwordStep(t, email), code: totp(secret, +1) } })).status).toBe(200);
  });

  it("6.5.5 with totp_drift_steps 0 only the current step is accepted", async () => {
    const { t, email, access } = await tenantWithUser({ mfa: { totp_drift_steps: 0 } });
    const { secret } = await enableTotp(t, access);
    clock.advance(90_000);
    const mfaToken = await passwordStep(t, email);
    const post = (code: string) => client()("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, code } });
    expectError(await post(totp(secret, -1)), 401, "invalid_credentials");
    expectError(await post(totp(secret, +1)), 401, "invalid_credentials");
    expect((await post(totp(secret))).status).toBe(200);
  });

  // ASVS 6.4.4
  it("6.5.1 a recovery code signs in once (amr [pwd, otp]); reusing it is refused", async () => {
    const { t, email, access } = await tenantWithUser();
    const { codes } = await enableTotp(t, access);
    const r = await client()("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: await passwordStep(t, email), code: codes[0].toUpperCase() } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(claims(r.body.access_token).amr).toEqual(["pwd", "otp"]);
    expectError(await client()("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: await passwordStep(t, email), code: codes[0] } }), 401, "invalid_credentials");
    const spaced = codes[1].replace(/-/g, " ");
    expect((await client()("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: await passwordStep(t, email), code: spaced } })).status).toBe(200);
  });

  // ASVS 6.5.4
  it("6.5.2 6.5.3 recovery codes carry 120 random bits and are stored only as SHA-256", async () => {
    const { t, access } = await tenantWithUser();
    const { codes } = await enableTotp(t, access);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){5}$/);
    const stored = await rows<{ hash: string }>(t, "SELECT hash FROM recovery_codes");
    expect(stored).toHaveLength(10);
    const dump = JSON.stringify(stored);
    for (const c of codes) expect(dump).not.toContain(c.replace(/-/g, "").slice(0, 8));
  });

  // ASVS 6.5.6
  it("6.5.1 regenerating recovery codes replaces every earlier code", async () => {
    const { t, email, access } = await tenantWithUser();
    const { codes } = await enableTotp(t, access);
    const r = await call("POST", `/v1/${t}/mfa/recovery-codes`, { token: access });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.codes).toHaveLength(10);
    expect(r.body.codes).not.toContain(codes[0]);
    const mfaToken = await passwordStep(t, email);
    expectError(await client()("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, code: codes[2] } }), 401, "invalid_credentials");
    expect((await client()("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, code: r.body.codes[2] } })).status).toBe(200);
    expect((await rows(t, "SELECT 1 FROM recovery_codes")).length).toBe(10);
  });

  it("recovery codes need an enabled TOTP (409)", async () => {
    const { t, access } = await tenantWithUser();
    expectError(await call("POST", `/v1/${t}/mfa/recovery-codes`, { token: access }), 409, "conflict");
  });

  it("the challenge lists recovery_code only while unused codes remain", async () => {
    const { t, email, access } = await tenantWithUser();
    const { codes } = await enableTotp(t, access);
    const r = await client()("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } });
    expect(r.body.error.methods).toEqual(["totp", "recovery_code"]);
    for (const code of codes) expect((await client()("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: await passwordStep(t, email), code } })).status).toBe(200);
    const after = await client()("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } });
    expect(after.body.error.methods).toEqual(["totp"]);
  });
});

describe("the MFA token", () => {
  it("6.5.1 6.6.2 is single use: after a successful second step it is refused", async () => {
    const { t, email, access } = await tenantWithUser();
    const { secret, codes } = await enableTotp(t, access);
    clock.advance(30_000);
    const mfaToken = await passwordStep(t, email);
    expect((await client()("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, code: totp(secret) } })).status).toBe(200);
    expectError(await client()("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, code: codes[0] } }), 401, "invalid_token");
  });

  it("6.5.5 expires after 5 minutes", async () => {
    const { t, email, access } = await tenantWithUser();
    const { codes } = await enableTotp(t, access);
    const mfaToken = await passwordStep(t, email);
    clock.advance(5 * 60_000 + 1_000);
    expectError(await client()("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, code: codes[0] } }), 401, "invalid_token");
  });

  it("still works just before 5 minutes, and survives a wrong code", async () => {
    const { t, email, access } = await tenantWithUser();
    const { codes } = await enableTotp(t, access);
    const mfaToken = await passwordStep(t, email);
    clock.advance(5 * 60_000 - 5_000);
    expectError(await client()("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, code: "000000" } }), 401, "invalid_credentials");
    expect((await client()("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, code: codes[0] } })).status).toBe(200);
  });

  it("6.6.2 is bound to the user's secret version: logout-all in between kills it", async () => {
    const { t, email, access } = await tenantWithUser();
    const { codes } = await enableTotp(t, access);
    const mfaToken = await passwordStep(t, email);
    expect((await call("POST", `/v1/${t}/logout-all`, { token: access })).status).toBe(204);
    expectError(await client()("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, code: codes[0] } }), 401, "invalid_token");
  });

  it("refuses forged, malformed and oversized tokens", async () => {
    const { t } = await tenantWithUser();
    expectError(await client()("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: "A".repeat(43), code: "123456" } }), 401, "invalid_token");
    expectError(await client()("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: "short", code: "123456" } }), 401, "invalid_token");
    expectError(await client()("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: "A".repeat(200), code: "123456" } }), 400, "invalid_request");
    expectError(await client()("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: "A".repeat(43) } }), 400, "invalid_request");
  });
});

describe("lockout and abuse", () => {
  it("6.3.1 wrong codes count toward the account lockout; once locked even a right code is 423", async () => {
    const { t, email, access } = await tenantWithUser({ lockout: { threshold: 3, base_s: 60, max_s: 900, hard_limit: 100 } });
    const { codes } = await enableTotp(t, access);
    const mfaToken = await passwordStep(t, email);
    const req = client();
    for (let n = 0; n < 3; n++) expectError(await req("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, code: "000000" } }), 401, "invalid_credentials");
    const locked = await req("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, code: codes[0] } });
    expectError(locked, 423, "locked");
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    // The password step is locked too: the counter is the account's.
    expectError(await req("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } }), 423, "locked");
    clock.advance(61_000);
    expect((await req("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: await passwordStep(t, email), code: codes[0] } })).status).toBe(200);
  });

  it("6.3.1 50 parallel guesses on one MFA token: no more than the threshold are checked", async () => {
    const { t, email, access } = await tenantWithUser({ lockout: { threshold: 5, base_s: 60, max_s: 900, hard_limit: 100 } });
    await enableTotp(t, access);
    const mfaToken = await passwordStep(t, email);
    const req = client();
    const rs = await Promise.all(Array.from({ length: 50 }, (_, n) => req("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, code: String(n).padStart(6, "0") } })));
    const statuses = rs.map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 423).length).toBeGreaterThanOrEqual(45);
  });
});

describe("disabling", () => {
  // ASVS 6.5.6
  it("7.5.1 needs the password: a wrong one is 401 and changes nothing; the right one turns MFA off", async () => {
    const { t, email, access } = await tenantWithUser();
    await enableTotp(t, access);
    expectError(await call("DELETE", `/v1/${t}/mfa/totp`, { token: access, body: { password: "not the password at all" } }), 401, "invalid_credentials");
    await passwordStep(t, email);
    const r = await call("DELETE", `/v1/${t}/mfa/totp`, { token: access, body: { password: PASSWORD } });
    expect(r.status, JSON.stringify(r.body)).toBe(204);
    expect((await client()("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } })).status).toBe(200);
    expect(await rows(t, "SELECT 1 FROM recovery_codes")).toHaveLength(0);
    expectError(await call("DELETE", `/v1/${t}/mfa/totp`, { token: access, body: { password: PASSWORD } }), 404, "not_found");
    expectError(await call("DELETE", `/v1/${t}/mfa/totp`, { token: access, body: { password: 12 } }), 400, "invalid_request");
    // In a recent session the password is optional; a stale one is test/account/stepup.test.ts.
    expectError(await call("DELETE", `/v1/${t}/mfa/totp`, { token: access }), 404, "not_found");
  });
});

describe("other first factors", () => {
  // ASVS 6.3.4
  it("6.3.3 a magic link does not bypass MFA: it ends in mfa_required, then amr is [email, otp]", async () => {
    const { t, email, access } = await tenantWithUser();
    // Verified: on an unverified account the link would be a claim, which removes the factor (claim.test.ts).
    await verifyOwnEmail(out, t, email, access);
    const { codes } = await enableTotp(t, access);
    expect((await client()("POST", `/v1/${t}/magic-link`, { body: { email } })).status).toBe(202);
    const m = await lastMessage(out, t, "magic_link", email);
    const v = await client()("POST", `/v1/${t}/magic-link/verify`, { body: { token: m.token } });
    expectError(v, 401, "mfa_required");
    const r = await client()("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: v.body.error.mfa_token, code: codes[0] } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(claims(r.body.access_token).amr).toEqual(["email", "otp"]);
  });
});
