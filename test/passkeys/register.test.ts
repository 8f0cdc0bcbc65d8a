/**
 * @module Registering a passkey (WebAuthn L3 section 7.1) with the software authenticator:
 * ES256 and EdDSA, the options Warden hands out, the step-up it needs, and every bad
 * response refused without a passkey being stored.
 */
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { call, expectError, newTenant, PASSWORD, snapshot } from "../helpers.ts";
import { claims, rows, tenantWithUser, useMockOutbound } from "../account/kit.ts";
import { register, signIn, SoftAuthenticator, userWithPasskey } from "./kit.ts";

useMockOutbound();

const STALE_MS = 6 * 60_000;
const options = (t: string, access: string) => call("POST", `/v1/${t}/passkeys/register/options`, { token: access });
const passkeyCount = async (t: string) => (await rows<{ n: number }>(t, "SELECT COUNT(*) AS n FROM passkeys"))[0].n;

describe("registration options", () => {
  it("offer EdDSA, ES256 and RS256, this tenant's RP, a random user handle and 256-bit challenge", async () => {
    const { t, user, access } = await tenantWithUser();
    const r = await options(t, access);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.headers.get("cache-control")).toBe("no-store");
    const o = r.body;
    expect(o.pubKeyCredParams.map((p: { alg: number }) => p.alg)).toEqual([-8, -7, -257]);
    expect(o.rp).toEqual({ id: "warden.test", name: `Tenant ${t}` });
    expect(o.attestation).toBe("none");
    expect(o.excludeCredentials).toEqual([]);
    expect(o.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The user handle is neither the user id nor the email, and is the same on every call.
    const handle = new TextDecoder().decode(Uint8Array.from(atob(o.user.id.replace(/-/g, "+").replace(/_/g, "/") + "="), (c) => c.charCodeAt(0)));
    expect(o.user.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(handle).not.toContain(user.id);
    expect(o.user.id).not.toContain(user.email);
    expect(o.user.name).toBe(user.email);
    expect((await options(t, access)).body.user.id).toBe(o.user.id);
    expect((await options(t, access)).body.challenge).not.toBe(o.challenge);
  });

  it("exclude the user's registered credentials", async () => {
    const { t, access, auth } = await userWithPasskey();
    const o = (await options(t, access)).body;
    expect(o.excludeCredentials).toEqual([{ id: auth.credentials[0].id, type: "public-key", transports: ["internal", "hybrid"] }]);
  });

  it("need a recent authentication: a stolen token of an old session cannot plant a passkey", async () => {
    const { t, access } = await tenantWithUser();
    clock.advance(STALE_MS);
    const r = await options(t, access);
    expectError(r, 401, "reauth_required");
    expect(r.body.error.methods).toEqual(["password"]);
    const fresh = await call("POST", `/v1/${t}/reauth`, { token: access, body: { password: PASSWORD } });
    expect(fresh.status).toBe(200);
    expect((await register(t, fresh.body.access_token, new SoftAuthenticator())).status).toBe(201);
  });
});

describe("registration", () => {
  for (const alg of ["ES256", "EdDSA"] as const) {
    it(`stores an ${alg} passkey with its counter, flags and name, and audits passkey.added`, async () => {
      const { t, access, user } = await tenantWithUser();
      const auth = new SoftAuthenticator({ alg, backup: true });
      const r = await register(t, access, auth, { name: "Laptop" });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body).toMatchObject({ name: "Laptop", transports: ["internal", "hybrid"], backup_eligible: true, backed_up: true, aaguid: "00000000-0000-0000-0000-000000000000", last_used_at: null });
      expect(r.body.id).toMatch(/^pk_/);
      const [row] = await rows<any>(t, "SELECT * FROM passkeys");
      expect(row).toMatchObject({ user_id: user.id, credential_id: auth.credentials[0].id, counter: 1 });
      const audit = await rows<{ data: string; session_id: string }>(t, "SELECT data, session_id FROM audit_log WHERE type = 'passkey.added'");
      expect(audit).toHaveLength(1);
      expect(JSON.parse(audit[0].data)).toMatchObject({ passkey: r.body.id, user_verified: true });
      expect(audit[0].session_id).toBe(claims(access).sid);
    });
  }

  it("names passkeys by default, lists, renames them", async () => {
    const { t, access } = await userWithPasskey();
    expect((await register(t, access, new SoftAuthenticator({ alg: "EdDSA" }))).body.name).toBe("Passkey 2");
    const list = await call("GET", `/v1/${t}/passkeys`, { token: access });
    expect(list.body.passkeys.map((p: { name: string }) => p.name)).toEqual(["Passkey 1", "Passkey 2"]);
    const id = list.body.passkeys[1].id;
    const renamed = await call("PATCH", `/v1/${t}/passkeys/${id}`, { token: access, body: { name: "Phone" } });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe("Phone");
    expectError(await call("PATCH", `/v1/${t}/passkeys/${id}`, { token: access, body: { name: "" } }), 400, "invalid_request");
    expectError(await call("PATCH", `/v1/${t}/passkeys/pk_AAAAAAAAAAAAAAAA`, { token: access, body: { name: "x" } }), 404, "not_found");
  });
});

describe("related origins (WebAuthn L3 section 5.11)", () => {
  it("a ceremony on a related origin, outside the RP ID, registers and signs in", async () => {
    const { t, access } = await tenantWithUser({ webauthn: { related_origins: ["https://app.example.net"] } });
    const auth = new SoftAuthenticator({ origin: "https://app.example.net" });
    const r = await register(t, access, auth);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const s = await signIn(t, auth);
    expect(s.status, JSON.stringify(s.body)).toBe(200);
  });
});

describe("a bad registration response is refused and stores nothing", () => {
  async function refused(o: Parameters<typeof register>[3], status: number, code: string, message?: RegExp) {
    const { t, access } = await tenantWithUser();
    const before = await snapshot(t);
    const r = await register(t, access, new SoftAuthenticator(), o);
    expectError(r, status, code);
    if (message) expect(r.body.error.message).toMatch(message);
    expect(await passkeyCount(t)).toBe(0);
    expect(await snapshot(t)).toEqual(before);
    return { t, access, r };
  }

  it("wrong ceremony type", () => refused({ type: "webauthn.get" }, 400, "invalid_request", /wrong ceremony/));
  it("wrong origin", () => refused({ origin: "https://evil.example" }, 401, "invalid_credentials", /origin/));
  it("an origin the tenant lists nowhere, even beside a related one", async () => {
    const { t, access } = await tenantWithUser({ webauthn: { related_origins: ["https://app.example.net"] } });
    expectError(await register(t, access, new SoftAuthenticator(), { origin: "https://other.example.net" }), 401, "invalid_credentials");
    expect(await passkeyCount(t)).toBe(0);
  });
  it("cross-origin (framed) ceremony", () => refused({ crossOrigin: true }, 401, "invalid_credentials", /origin/));
  it("an RP ID that is not this tenant's", () => refused({ rpId: "other.example" }, 401, "invalid_credentials", /relying party/));
  it("a challenge Warden never issued", () => refused({ challenge: "A".repeat(43) }, 401, "invalid_credentials", /challenge/));
  it("no user presence", () => refused({ flags: 0 }, 401, "invalid_credentials", /presence/));

  it("no user verification where the tenant requires it", async () => {
    const t = await newTenant({ webauthn: { user_verification: "required" } });
    const s = await call("POST", `/v1/${t}/signup`, { body: { email: "uv@example.com", password: PASSWORD } });
    const r = await register(t, s.body.access_token, new SoftAuthenticator({ userVerification: false }));
    expectError(r, 401, "invalid_credentials");
    expect(r.body.error.message).toMatch(/user verification/);
    expect(await passkeyCount(t)).toBe(0);
  });

  it("malformed credential JSON: not base64url, wrong type, missing parts, garbage attestation", async () => {
    const { t, access } = await tenantWithUser();
    const o = (await options(t, access)).body;
    const good = await new SoftAuthenticator().create(o);
    const bad = [
      { ...good, type: "password" },
      { ...good, id: "not base64url!" },
      { ...good, response: { ...good.response, attestationObject: undefined } },
      { ...good, response: { ...good.response, clientDataJSON: "bm90IGpzb24" } },
      { ...good, response: { ...good.response, attestationObject: "AAAA" } },
      "a string",
    ];
    for (const response of bad) {
      expectError(await call("POST", `/v1/${t}/passkeys/register/verify`, { token: access, body: { response } }), 400, "invalid_request");
    }
    expect(await passkeyCount(t)).toBe(0);
  });

  it("a replayed challenge: the same response twice registers once", async () => {
    const { t, access } = await tenantWithUser();
    const o = (await options(t, access)).body;
    const response = await new SoftAuthenticator().create(o);
    expect((await call("POST", `/v1/${t}/passkeys/register/verify`, { token: access, body: { response } })).status).toBe(201);
    const again = await call("POST", `/v1/${t}/passkeys/register/verify`, { token: access, body: { response } });
    expectError(again, 401, "invalid_credentials");
    expect(again.body.error.message).toMatch(/challenge/);
    expect(await passkeyCount(t)).toBe(1);
  });

  it("an expired challenge (older than five minutes)", async () => {
    const { t, access } = await tenantWithUser();
    const o = (await options(t, access)).body;
    clock.advance(5 * 60_000 + 1000);
    // The session is stale now too; step up so only the challenge is old.
    const fresh = await call("POST", `/v1/${t}/reauth`, { token: access, body: { password: PASSWORD } });
    const r = await register(t, fresh.body.access_token, new SoftAuthenticator(), { options: o });
    expectError(r, 401, "invalid_credentials");
    expect(r.body.error.message).toMatch(/challenge/);
  });

  it("a challenge issued to another user or another session", async () => {
    const a = await tenantWithUser();
    const other = await call("POST", `/v1/${a.t}/signup`, { body: { email: "b@example.com", password: PASSWORD } });
    const o = (await options(a.t, a.access)).body;
    expectError(await register(a.t, other.body.access_token, new SoftAuthenticator(), { options: o }), 401, "invalid_credentials");
    const second = await call("POST", `/v1/${a.t}/login`, { body: { login: a.email, password: PASSWORD } });
    expectError(await register(a.t, second.body.access_token, new SoftAuthenticator(), { options: o }), 401, "invalid_credentials");
    expect(await passkeyCount(a.t)).toBe(0);
  });

  it("a challenge of another tenant", async () => {
    const a = await tenantWithUser();
    const b = await tenantWithUser();
    const o = (await options(a.t, a.access)).body;
    expectError(await register(b.t, b.access, new SoftAuthenticator(), { options: o }), 401, "invalid_credentials");
  });

  it("a credential id already registered, to this user or another (L3 section 7.1 step 27)", async () => {
    const { t, access, auth } = await userWithPasskey();
    const same = await register(t, access, auth, { reuse: auth.credentials[0] });
    expectError(same, 409, "conflict");
    const other = await call("POST", `/v1/${t}/signup`, { body: { email: "other@example.com", password: PASSWORD } });
    expectError(await register(t, other.body.access_token, new SoftAuthenticator(), { credentialId: auth.credentials[0].id }), 409, "conflict");
    expect(await passkeyCount(t)).toBe(1);
  });
});
