/**
 * @module A tenant that requires a second factor (`mfa.required`, ASVS 6.3.3): every way in that
 * proves one factor ends in `mfa_required`, or, for an account without a factor, in
 * `mfa_enrollment_required`, whose token adds a TOTP (`POST /login/mfa/totp`) and signs in with
 * a code of it (`POST /login/mfa`). A user-verified passkey is two factors and signs in alone.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { base32Decode } from "../../src/crypto/base32.ts";
import { admin, call, count, expectError, newTenant, PASSWORD, signup, uniq } from "../helpers.ts";
import { authorizeUrl, Browser, field, newClient, pkce, REDIRECT } from "../pages/kit.ts";
import { register, signIn, SoftAuthenticator } from "../passkeys/kit.ts";
import { claims, client, DELIVERY, enableTotp, lastMessage, midStep, rows, tenantWithUser, totp, useMockOutbound, verifyOwnEmail } from "./kit.ts";

const out = useMockOutbound();
beforeEach(() => midStep());

const REQUIRED = { mfa: { required: true } };
const wrongCode = (secret: string) => String((Number(totp(secret)) + 1) % 1_000_000).padStart(6, "0");

/** A user who signed up before the tenant turned `mfa.required` on (a sign-up after it has no session yet). */
async function requiredTenantWithUser() {
  const u = await tenantWithUser();
  expect((await admin("PATCH", `/tenants/${u.t}`, { settings: REQUIRED })).status).toBe(200);
  return u;
}

/** The first factor's 401 `mfa_enrollment_required`; its token. */
function enrollmentToken(r: { status: number; body: any }): string {
  expectError(r as any, 401, "mfa_enrollment_required");
  expect(r.body.error.methods).toEqual(["totp"]);
  expect(typeof r.body.error.mfa_token).toBe("string");
  return r.body.error.mfa_token;
}

/** `POST /login/mfa/totp` then `POST /login/mfa` with a current code; the sign-in's answer and the secret. */
async function enroll(t: string, mfaToken: string, req = client()) {
  const e = await req("POST", `/v1/${t}/login/mfa/totp`, { body: { mfa_token: mfaToken } });
  expect(e.status, JSON.stringify(e.body)).toBe(200);
  const r = await req("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, code: totp(e.body.secret) } });
  return { r, secret: e.body.secret as string };
}

describe("mfa.required", () => {
  it("is off by default: a password alone signs in, and the setting is in the tenant's settings", async () => {
    const t = await newTenant();
    expect((await admin("GET", `/tenants/${t}`)).body.settings.mfa).toEqual({ totp_drift_steps: 1, required: false });
    const email = `${uniq("u")}@example.com`;
    await signup(t, { email });
    expect((await client()("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } })).status).toBe(200);
    expectError(await admin("PATCH", `/tenants/${t}`, { settings: { mfa: { required: "yes" } } }), 400, "invalid_request");
  });

  it("6.3.3 a password alone does not sign in: the user adds a TOTP with the token, then signs in with [pwd, otp] and gets recovery codes", async () => {
    const { t, email, access } = await tenantWithUser();
    expect((await admin("PATCH", `/tenants/${t}`, { settings: REQUIRED })).status).toBe(200);
    const req = client();
    const sessions = await count(t, "sessions");
    const mfaToken = enrollmentToken(await req("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } }));
    expect(await count(t, "sessions")).toBe(sessions);
    const e = await req("POST", `/v1/${t}/login/mfa/totp`, { body: { mfa_token: mfaToken } });
    expect(e.status, JSON.stringify(e.body)).toBe(200);
    expect(e.headers.get("cache-control")).toBe("no-store");
    expect(base32Decode(e.body.secret)).toHaveLength(20);
    expect(new URL(e.body.otpauth_uri).searchParams.get("secret")).toBe(e.body.secret);
    // Pending until a code of it arrives: sealed at rest, not yet a factor.
    const [pending] = await rows<{ secret: string; confirmed_at: number | null }>(t, "SELECT secret, confirmed_at FROM mfa_totp");
    expect(pending.confirmed_at).toBeNull();
    expect(pending.secret).not.toContain(e.body.secret);
    // A wrong code counts toward the lockout like any code, and the token survives it.
    expectError(await req("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, code: wrongCode(e.body.secret) } }), 401, "invalid_credentials");
    const [{ count: attempts }] = await rows<{ count: number }>(t, "SELECT count FROM attempts WHERE key LIKE 'acct:%'");
    expect(attempts).toBe(1);
    const r = await req("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, code: totp(e.body.secret) } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(claims(r.body.access_token).amr).toEqual(["pwd", "otp"]);
    expect(r.body.recovery_codes).toHaveLength(10);
    expect(await rows(t, "SELECT * FROM attempts WHERE key LIKE 'acct:%'")).toEqual([]);
    expect((await call("GET", `/v1/${t}/me`, { token: r.body.access_token })).body.mfa_enabled).toBe(true);
    // Spent; the factor is now the account's, and the next sign-in asks for it.
    expectError(await req("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, code: totp(e.body.secret) } }), 401, "invalid_token");
    const next = await req("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } });
    expectError(next, 401, "mfa_required");
    expect(next.body.error.methods).toEqual(["totp", "recovery_code"]);
    const types = (await rows<{ type: string }>(t, "SELECT type FROM audit_log ORDER BY id")).map((x) => x.type);
    expect(types).toEqual(expect.arrayContaining(["mfa.failure", "mfa.enrolled", "login.success"]));
    // A session from before the setting stays valid (an operator can sign everyone out).
    expect((await call("GET", `/v1/${t}/me`, { token: access })).status).toBe(200);
  });

  it("the enrollment token takes only a new TOTP's code: not a recovery code, not before POST /login/mfa/totp; a challenge's token cannot start one", async () => {
    const { t, email, access } = await requiredTenantWithUser();
    const mfaToken = enrollmentToken(await client()("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } }));
    expectError(await call("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, code: "123456" } }), 400, "invalid_request");
    await call("POST", `/v1/${t}/login/mfa/totp`, { body: { mfa_token: mfaToken } });
    expectError(await call("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, code: "abcd-efgh-ijkl" } }), 400, "invalid_request");
    expectError(await call("POST", `/v1/${t}/login/mfa/totp`, { body: { mfa_token: "nope" } }), 401, "invalid_token");
    expectError(await call("POST", `/v1/${t}/login/mfa/totp`, { body: {} }), 400, "invalid_request");
    // An account that has TOTP gets an ordinary challenge, whose token starts no enrollment.
    const other = await requiredTenantWithUser();
    const signupTokens = await enroll(other.t, enrollmentToken(await client()("POST", `/v1/${other.t}/login`, { body: { login: other.email, password: PASSWORD } })));
    expect(signupTokens.r.status).toBe(200);
    clock.advance(30_000);
    const ch = await client()("POST", `/v1/${other.t}/login`, { body: { login: other.email, password: PASSWORD } });
    expectError(ch, 401, "mfa_required");
    expectError(await call("POST", `/v1/${other.t}/login/mfa/totp`, { body: { mfa_token: ch.body.error.mfa_token } }), 401, "invalid_token");
    expect(access).toBeTruthy();
  });

  it("asking for a secret again replaces the pending one: a code of the first no longer signs in", async () => {
    const { t, email } = await requiredTenantWithUser();
    const req = client();
    const mfaToken = enrollmentToken(await req("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } }));
    const first = (await req("POST", `/v1/${t}/login/mfa/totp`, { body: { mfa_token: mfaToken } })).body.secret;
    const second = (await req("POST", `/v1/${t}/login/mfa/totp`, { body: { mfa_token: mfaToken } })).body.secret;
    expect(second).not.toBe(first);
    if (totp(first) !== totp(second)) expectError(await req("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, code: totp(first) } }), 401, "invalid_credentials");
    expect((await req("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, code: totp(second) } })).status).toBe(200);
  });

  it("6.6.2 is bound to the user's secret version: logout-all in between kills the enrollment token", async () => {
    const { t, email, access } = await requiredTenantWithUser();
    const req = client();
    const mfaToken = enrollmentToken(await req("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } }));
    const e = await req("POST", `/v1/${t}/login/mfa/totp`, { body: { mfa_token: mfaToken } });
    expect((await call("POST", `/v1/${t}/logout-all`, { token: access })).status).toBe(204);
    expectError(await req("POST", `/v1/${t}/login/mfa/totp`, { body: { mfa_token: mfaToken } }), 401, "invalid_token");
    expectError(await req("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: mfaToken, code: totp(e.body.secret) } }), 401, "invalid_token");
    expect(await count(t, "mfa_totp", "confirmed_at IS NOT NULL")).toBe(0);
  });

  // ASVS 6.3.3
  it("sign-up creates the account and answers mfa_enrollment_required; the first session comes with the TOTP, even before the email is verified", async () => {
    const t = await newTenant({ ...DELIVERY, ...REQUIRED, signup: { require_email_verification: true } });
    const email = `${uniq("u")}@example.com`;
    const req = client();
    const s = await req("POST", `/v1/${t}/signup`, { body: { email, password: PASSWORD } });
    const mfaToken = enrollmentToken(s);
    expect(await count(t, "users")).toBe(1);
    expect(await count(t, "sessions")).toBe(0);
    // The verification message still goes out.
    expect((await lastMessage(out, t, "email_verify", email)).token).toBeTruthy();
    const { r } = await enroll(t, mfaToken, req);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(claims(r.body.access_token).amr).toEqual(["pwd", "otp"]);
    expect(r.body.user.email_verified).toBe(false);
    // A later sign-in of the unverified account is refused as always.
    clock.advance(30_000);
    const again = await req("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } });
    expectError(again, 403, "forbidden");
  });

  // ASVS 6.3.3
  it("6.3.4 a magic link is one factor too: it ends in mfa_enrollment_required, then amr is [email, otp]", async () => {
    const { t, email, access } = await tenantWithUser();
    await verifyOwnEmail(out, t, email, access);
    expect((await admin("PATCH", `/tenants/${t}`, { settings: REQUIRED })).status).toBe(200);
    expect((await client()("POST", `/v1/${t}/magic-link`, { body: { email } })).status).toBe(202);
    const m = await lastMessage(out, t, "magic_link", email);
    const mfaToken = enrollmentToken(await client()("POST", `/v1/${t}/magic-link/verify`, { body: { token: m.token } }));
    const { r } = await enroll(t, mfaToken);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(claims(r.body.access_token).amr).toEqual(["email", "otp"]);
  });

  // ASVS 6.3.3
  it("a user-verified passkey signs in alone; one without user verification, or a password, asks for a second factor", async () => {
    const { t, email, access } = await tenantWithUser();
    const auth = new SoftAuthenticator();
    expect((await register(t, access, auth)).status).toBe(201);
    expect((await admin("PATCH", `/tenants/${t}`, { settings: REQUIRED })).status).toBe(200);
    const uv = await signIn(t, auth);
    expect(uv.status, JSON.stringify(uv.body)).toBe(200);
    expect(claims(uv.body.access_token).amr).toEqual(["pop", "mfa"]);
    // A password: the passkey is the second factor on offer (the account has no TOTP).
    const pw = await client()("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } });
    expectError(pw, 401, "mfa_required");
    expect(pw.body.error.methods).toEqual(["webauthn"]);
    const o = await call("POST", `/v1/${t}/login/mfa/webauthn/options`, { body: { mfa_token: pw.body.error.mfa_token } });
    const done = await call("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: pw.body.error.mfa_token, webauthn: await auth.get(o.body) } });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(claims(done.body.access_token).amr).toEqual(["pwd", "pop", "mfa"]);
    // Without user verification a passkey is one factor: with no TOTP, the user adds one.
    const noUv = await signIn(t, auth, { flags: 0x01 }); // user present, not verified
    const { r } = await enroll(t, enrollmentToken(noUv));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(claims(r.body.access_token).amr).toEqual(["pop", "otp"]);
  });

  it("TOTP cannot be turned off while it is the account's only second factor", async () => {
    const { t, access } = await tenantWithUser();
    await enableTotp(t, access);
    expect((await admin("PATCH", `/tenants/${t}`, { settings: REQUIRED })).status).toBe(200);
    expectError(await call("DELETE", `/v1/${t}/mfa/totp`, { token: access, body: { password: PASSWORD } }), 403, "forbidden");
    expect(await count(t, "mfa_totp")).toBe(1);
    // With a passkey, the account still has a second factor without it.
    expect((await register(t, access, new SoftAuthenticator())).status).toBe(201);
    expect((await call("DELETE", `/v1/${t}/mfa/totp`, { token: access, body: { password: PASSWORD } })).status).toBe(204);
  });
});

describe("the hosted pages with mfa.required", () => {
  it("sign-in shows the key and an otpauth link; a wrong code shows the same key again; a right one shows the recovery codes once, then goes on", async () => {
    const { t, email } = await requiredTenantWithUser();
    const b = new Browser();
    const page = await b.get(`/v1/${t}/pages/sign-in`);
    const step = await b.submit(page, `/v1/${t}/pages/sign-in`, { login: email, password: PASSWORD });
    expect(step.status).toBe(200);
    const secret = field(step.html, "secret")!;
    expect(base32Decode(secret)).toHaveLength(20);
    expect(step.html).toContain('href="otpauth://totp/');
    expect(step.html).toContain('action="/v1/' + t + '/pages/sign-in/mfa/enroll"');
    const shown = { secret, otpauth_uri: field(step.html, "otpauth_uri")! };
    const wrong = await b.submit(step, `/v1/${t}/pages/sign-in/mfa/enroll`, { code: wrongCode(secret), ...shown });
    expect(wrong.status).toBe(400);
    expect(wrong.html).toContain("That code is not valid");
    expect(field(wrong.html, "secret")).toBe(secret);
    const done = await b.submit(wrong, `/v1/${t}/pages/sign-in/mfa/enroll`, { code: totp(secret), ...shown });
    expect(done.status, done.html.slice(0, 400)).toBe(200);
    const codes = [...done.html.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((m) => m[1]);
    expect(codes).toHaveLength(10);
    expect(done.html).toContain(`href="/v1/${t}/pages/apps"`);
    const [s] = await rows<{ amr: string }>(t, "SELECT amr FROM sessions WHERE browser_hash IS NOT NULL");
    expect(JSON.parse(s.amr)).toEqual(["pwd", "otp"]);
    // A recovery code shown there works once as the second factor.
    const rc = await client()("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } });
    expect((await call("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: rc.body.error.mfa_token, code: codes[0] } })).status).toBe(200);
  });

  it("inside an authorization request the codes page goes on to the client with its code, and the token's amr is [pwd, otp]", async () => {
    const { t, email } = await requiredTenantWithUser();
    const cid = await newClient(t, { first_party: true });
    const { verifier, challenge } = await pkce();
    const b = new Browser();
    const signInPage = await b.get(authorizeUrl(t, cid, challenge));
    expect(signInPage.status).toBe(200);
    const step = await b.submit(signInPage, `/v1/${t}/pages/sign-in`, { login: email, password: PASSWORD });
    const secret = field(step.html, "secret")!;
    const done = await b.submit(step, `/v1/${t}/pages/sign-in/mfa/enroll`, { code: totp(secret), secret, otpauth_uri: field(step.html, "otpauth_uri")! });
    expect(done.status, done.html.slice(0, 400)).toBe(200);
    const next = /<a href="([^"]+)">Continue<\/a>/.exec(done.html)![1].replace(/&amp;/g, "&");
    expect(next.startsWith(`/v1/${t}/oauth/authorize/continue?flow=`)).toBe(true);
    const back = await b.get(next);
    expect(back.status, back.html.slice(0, 300)).toBe(303);
    const cb = new URL(back.location!);
    expect(`${cb.origin}${cb.pathname}`).toBe(REDIRECT);
    const tok = await call("POST", `/v1/${t}/oauth/token`, { raw: new URLSearchParams({ grant_type: "authorization_code", code: cb.searchParams.get("code")!, redirect_uri: REDIRECT, client_id: cid, code_verifier: verifier }), headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(tok.status, JSON.stringify(tok.body)).toBe(200);
    expect(claims(tok.body.id_token).amr).toEqual(["pwd", "otp"]);
  });
});
