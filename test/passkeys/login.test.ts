/**
 * @module Signing in with a passkey (WebAuthn L3 section 7.2): usernameless and for a login,
 * `amr` per RFC 8176, the MFA rule, options that do not reveal who exists (section 14.6.2),
 * and every bad assertion refused, audited, limited per IP and kept out of the lockout.
 */
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { call, clockSecond, expectError, expectSecondSince, newTenant, PASSWORD, snapshot } from "../helpers.ts";
import { claims, client, enableTotp, midStep, rows, totp, useMockOutbound } from "../account/kit.ts";
import { loginOptions, register, signIn, SoftAuthenticator, userWithPasskey } from "./kit.ts";

useMockOutbound();

const failures = (t: string) => rows<{ data: string }>(t, "SELECT data FROM audit_log WHERE type = 'login.failure'").then((r) => r.map((x) => JSON.parse(x.data)));

describe("sign-in with a passkey", () => {
  it("usernameless: discoverable credential, token response, amr pop+mfa with user verification, login.success with the method", async () => {
    const { t, user, auth, passkey } = await userWithPasskey();
    const o = await loginOptions(t);
    expect(o.allowCredentials).toBeUndefined();
    expect(o.rpId).toBe("warden.test");
    expect(o.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const from = clockSecond();
    const r = await call("POST", `/v1/${t}/login/passkey`, { body: { response: await auth.get(o) } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.user.id).toBe(user.id);
    const c = claims(r.body.access_token);
    expect(c.amr).toEqual(["pop", "mfa"]);
    expectSecondSince(c.auth_time, from);
    const [s] = await rows<{ passkey_id: string }>(t, "SELECT passkey_id FROM sessions WHERE id = ?", c.sid);
    expect(s.passkey_id).toBe(passkey.id);
    const [pk] = await rows<{ counter: number; last_used_at: number; created_at: number }>(t, "SELECT counter, last_used_at, created_at FROM passkeys");
    expect(pk.counter).toBe(2);
    expect(pk.last_used_at).toBeGreaterThanOrEqual(pk.created_at);
    const ok = await rows<{ data: string }>(t, "SELECT data FROM audit_log WHERE type = 'login.success'");
    expect(JSON.parse(ok[ok.length - 1].data)).toEqual({ method: "webauthn", amr: ["pop", "mfa"], passkey: passkey.id });
  });

  it("with a login: allowCredentials lists the user's passkeys", async () => {
    const { t, email, auth } = await userWithPasskey({}, { alg: "EdDSA" });
    const o = await loginOptions(t, email);
    expect(o.allowCredentials).toEqual([{ id: auth.credentials[0].id, type: "public-key", transports: ["internal", "hybrid"] }]);
    const r = await call("POST", `/v1/${t}/login/passkey`, { body: { response: await auth.get(o, { userHandle: null }) } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  });

  it("without user verification it is one factor: amr pop, and a TOTP account goes through the MFA step", async () => {
    midStep();
    const { t, email, access } = await userWithPasskey({}, { userVerification: false });
    const auth = new SoftAuthenticator({ userVerification: false });
    // A passkey-only style check first: no TOTP, so pop alone signs in.
    expect((await register(t, access, auth)).status).toBe(201);
    const single = await signIn(t, auth);
    expect(claims(single.body.access_token).amr).toEqual(["pop"]);
    const { secret } = await enableTotp(t, access);
    const r = await signIn(t, auth, { login: email });
    expectError(r, 401, "mfa_required");
    // The same passkey again would not be a second factor.
    expect(r.body.error.methods).toEqual(["totp", "recovery_code"]);
    // The next TOTP step: the enrollment spent this one.
    clock.advance(30_000);
    const done = await call("POST", `/v1/${t}/login/mfa`, { body: { mfa_token: r.body.error.mfa_token, code: totp(secret) } });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(claims(done.body.access_token).amr).toEqual(["pop", "otp"]);
  });

  it("a user-verified passkey satisfies MFA on its own", async () => {
    const { t, access, auth } = await userWithPasskey();
    await enableTotp(t, access);
    const r = await signIn(t, auth);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(claims(r.body.access_token).amr).toEqual(["pop", "mfa"]);
  });

  it("authenticators that always send counter 0 keep working", async () => {
    const { t, auth } = await userWithPasskey({}, { counter: "zero" });
    expect((await signIn(t, auth)).status).toBe(200);
    expect((await signIn(t, auth)).status).toBe(200);
  });
});

describe("options do not tell who has an account (L3 section 14.6.2)", () => {
  it("an unknown login and a user without passkeys get one stable, plausible fake credential", async () => {
    const { t } = await userWithPasskey();
    const noPasskey = await call("POST", `/v1/${t}/signup`, { body: { email: "plain@example.com", password: PASSWORD } });
    expect(noPasskey.status).toBe(201);
    const a = await loginOptions(t, "nobody@example.com");
    const b = await loginOptions(t, "nobody@example.com");
    const c = await loginOptions(t, "plain@example.com");
    expect(a.allowCredentials).toHaveLength(1);
    expect(a.allowCredentials[0]).toMatchObject({ type: "public-key", transports: ["internal", "hybrid"] });
    expect(a.allowCredentials[0].id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(b.allowCredentials).toEqual(a.allowCredentials);
    expect(c.allowCredentials[0].id).not.toBe(a.allowCredentials[0].id);
    expect(Object.keys(a).sort()).toEqual(Object.keys(c).sort());
    // ...and no passkey can answer those challenges, not even a real one of another user.
    const real = await userWithPasskey();
    const fake = await loginOptions(real.t, "nobody@example.com");
    const r = await call("POST", `/v1/${real.t}/login/passkey`, { body: { response: await real.auth.get({ ...fake, allowCredentials: undefined }) } });
    expectError(r, 401, "invalid_credentials");
  });

  it("challenge creation is rate-limited per IP", async () => {
    const t = await newTenant({ rate_limits: { passkey_options: { limit: 3, window_s: 60 } } });
    const req = client();
    for (let i = 0; i < 3; i++) expect((await req("POST", `/v1/${t}/login/passkey/options`)).status).toBe(200);
    const r = await req("POST", `/v1/${t}/login/passkey/options`);
    expectError(r, 429, "rate_limited");
    expect(r.headers.get("retry-after")).toBeTruthy();
    expect((await client()("POST", `/v1/${t}/login/passkey/options`)).status).toBe(200);
  });
});

describe("a bad assertion is refused, audited, and changes nothing", () => {
  async function refused(o: Parameters<typeof signIn>[2], status: number, code: string, reason: string) {
    const { t, auth } = await userWithPasskey();
    const before = await snapshot(t);
    const r = await signIn(t, auth, o);
    expectError(r, status, code);
    expect(await snapshot(t)).toEqual(before);
    expect((await failures(t)).at(-1)).toMatchObject({ method: "webauthn", reason, via: "login" });
    return r;
  }

  it("wrong type", () => refused({ type: "webauthn.create" }, 400, "invalid_request", "type"));
  it("wrong origin", () => refused({ origin: "http://evil.test" }, 401, "invalid_credentials", "origin"));
  it("the RP ID of another tenant", () => refused({ rpId: "other-tenant.example" }, 401, "invalid_credentials", "rp_id"));
  it("bad signature", () => refused({ badSignature: true }, 401, "invalid_credentials", "signature"));
  it("unknown credential", () => refused({ credentialId: "AAAAAAAAAAAAAAAAAAAAAA" }, 401, "invalid_credentials", "unknown_credential"));
  it("a user handle that is not the credential owner's", () => refused({ userHandle: "B".repeat(43) }, 401, "invalid_credentials", "unknown_credential"));
  it("a challenge Warden never issued", () => refused({ challenge: "C".repeat(43) }, 401, "invalid_credentials", "challenge"));
  it("no user presence", () => refused({ flags: 0x04 }, 401, "invalid_credentials", "user_presence"));

  it("malformed credential JSON", async () => {
    const { t, auth } = await userWithPasskey();
    const good = await auth.get(await loginOptions(t));
    for (const response of [{ ...good, type: "x" }, { ...good, response: { ...good.response, signature: "***" } }, { ...good, response: {} }, null]) {
      expectError(await call("POST", `/v1/${t}/login/passkey`, { body: { response } }), 400, "invalid_request");
    }
    expectError(await call("POST", `/v1/${t}/login/passkey`, { body: { response: { ...good, response: { ...good.response, clientDataJSON: "e30" } } } }), 400, "invalid_request");
  });

  it("a replayed assertion signs in once", async () => {
    const { t, auth } = await userWithPasskey();
    const response = await auth.get(await loginOptions(t));
    expect((await call("POST", `/v1/${t}/login/passkey`, { body: { response } })).status).toBe(200);
    const again = await call("POST", `/v1/${t}/login/passkey`, { body: { response } });
    expectError(again, 401, "invalid_credentials");
    expect(again.body.error.message).toMatch(/challenge/);
  });

  it("an expired challenge", async () => {
    const { t, auth } = await userWithPasskey();
    const o = await loginOptions(t);
    clock.advance(5 * 60_000 + 1);
    expectError(await call("POST", `/v1/${t}/login/passkey`, { body: { response: await auth.get(o) } }), 401, "invalid_credentials");
  });

  it("a challenge of another ceremony (registration) cannot sign in", async () => {
    const { t, access, auth } = await userWithPasskey();
    const reg = await call("POST", `/v1/${t}/passkeys/register/options`, { token: access });
    const r = await call("POST", `/v1/${t}/login/passkey`, { body: { response: await auth.get({ rpId: "warden.test", challenge: reg.body.challenge }) } });
    expectError(r, 401, "invalid_credentials");
    expect(r.body.error.message).toMatch(/challenge/);
  });

  it("a credential of another user, for a login", async () => {
    const { t, auth } = await userWithPasskey();
    const other = await call("POST", `/v1/${t}/signup`, { body: { email: "victim@example.com", password: PASSWORD } });
    const victim = new SoftAuthenticator();
    expect((await register(t, other.body.access_token, victim)).status).toBe(201);
    const o = await loginOptions(t, "victim@example.com");
    // The attacker's authenticator answers the victim's challenge with its own credential.
    const r = await call("POST", `/v1/${t}/login/passkey`, { body: { response: await auth.get({ ...o, allowCredentials: undefined }) } });
    expectError(r, 401, "invalid_credentials");
  });

  it("a credential of another tenant", async () => {
    const a = await userWithPasskey();
    const b = await userWithPasskey();
    const o = await loginOptions(b.t);
    const r = await call("POST", `/v1/${b.t}/login/passkey`, { body: { response: await a.auth.get(o) } });
    expectError(r, 401, "invalid_credentials");
    expect((await failures(b.t)).at(-1)).toMatchObject({ reason: "unknown_credential" });
  });

  it("a counter that does not increase: refused and audited as a possible clone", async () => {
    const { t, auth, passkey } = await userWithPasskey();
    expect((await signIn(t, auth)).status).toBe(200); // counter 2
    const before = await snapshot(t);
    for (const counter of [2, 1]) expectError(await signIn(t, auth, { counter }), 401, "invalid_credentials");
    expect(await snapshot(t)).toEqual(before);
    const clones = await rows<{ data: string }>(t, "SELECT data FROM audit_log WHERE type = 'passkey.counter_regressed'");
    expect(clones.map((c) => JSON.parse(c.data))).toEqual([
      { passkey: passkey.id, stored: 2, received: 2, via: "login" },
      { passkey: passkey.id, stored: 2, received: 1, via: "login" },
    ]);
    expect((await rows<{ counter: number }>(t, "SELECT counter FROM passkeys"))[0].counter).toBe(2);
    expect((await signIn(t, auth, { counter: 7 })).status).toBe(200);
  });

  it("failures never count toward the lockout, but are limited per IP", async () => {
    const { t, email, auth } = await userWithPasskey({ lockout: { threshold: 2 }, rate_limits: { passkey_failures: { limit: 3, window_s: 60 } } });
    const req = client();
    for (let i = 0; i < 3; i++) expectError(await signIn(t, auth, { badSignature: true, req }), 401, "invalid_credentials");
    expect(await rows(t, "SELECT * FROM attempts WHERE key LIKE 'acct:%'")).toEqual([]);
    const limited = await signIn(t, auth, { req });
    expectError(limited, 429, "rate_limited");
    // The owner, elsewhere, is not locked out: neither the passkey nor the password.
    expect((await signIn(t, auth)).status).toBe(200);
    expect((await call("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } })).status).toBe(200);
  });
});
