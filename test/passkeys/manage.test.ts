/**
 * @module Removing passkeys (by the user, by an operator, by an account claim, with the
 * account) and what happens to sessions; the tenant's passkey settings and their RP ID rule.
 */
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { admin, call, expectError, newTenant, PASSWORD } from "../helpers.ts";
import { lastMessage, rows, tenantWithUser, useMockOutbound } from "../account/kit.ts";
import { register, signIn, SoftAuthenticator, userWithPasskey } from "./kit.ts";

const out = useMockOutbound();

const STALE_MS = 6 * 60_000;

async function passkeyOnly(t: string, body: Record<string, unknown> = { username: `solo${Math.random().toString(36).slice(2, 8)}` }) {
  const auth = new SoftAuthenticator();
  const o = await call("POST", `/v1/${t}/signup/passkey/options`, { body });
  const r = await call("POST", `/v1/${t}/signup/passkey`, { body: { response: await auth.create(o.body) } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { auth, access: r.body.access_token as string, user: r.body.user };
}

describe("DELETE /passkeys/{id}", () => {
  it("ends the sessions the passkey signed in (credential_removed), and no others", async () => {
    const { t, access, auth, passkey } = await userWithPasskey();
    const byPasskey = await signIn(t, auth);
    const second = new SoftAuthenticator({ alg: "EdDSA" });
    expect((await register(t, access, second)).status).toBe(201);
    const bySecond = await signIn(t, second);
    const r = await call("DELETE", `/v1/${t}/passkeys/${passkey.id}`, { token: access });
    expect(r.status, JSON.stringify(r.body)).toBe(204);
    expectError(await call("GET", `/v1/${t}/me`, { token: byPasskey.body.access_token }), 401, "invalid_token");
    expect((await call("GET", `/v1/${t}/me`, { token: bySecond.body.access_token })).status).toBe(200);
    expect((await call("GET", `/v1/${t}/me`, { token: access })).status).toBe(200);
    const [s] = await rows<{ revoke_reason: string }>(t, "SELECT revoke_reason FROM sessions WHERE id = ?", byPasskey.body.session_id);
    expect(s.revoke_reason).toBe("credential_removed");
    const events = await rows<{ type: string; payload: string }>(t, "SELECT type, payload FROM events WHERE type = 'session.revoked'");
    expect(events.map((e) => JSON.parse(e.payload))).toEqual([expect.objectContaining({ sid: byPasskey.body.session_id, reason: "credential_removed" })]);
    const audit = await rows<{ data: string }>(t, "SELECT data FROM audit_log WHERE type = 'passkey.removed'");
    expect(JSON.parse(audit[0].data)).toEqual({ passkey: passkey.id, sessions: 1, by: "self" });
    // The removed passkey signs in no more.
    expectError(await signIn(t, auth), 401, "invalid_credentials");
  });

  it("needs a recent authentication, and only removes the user's own passkeys", async () => {
    const { t, access, passkey } = await userWithPasskey();
    const other = await tenantWithUser();
    expectError(await call("DELETE", `/v1/${t}/passkeys/pk_AAAAAAAAAAAAAAAA`, { token: access }), 404, "not_found");
    const mallory = await call("POST", `/v1/${t}/signup`, { body: { email: "m@example.com", password: PASSWORD } });
    expectError(await call("DELETE", `/v1/${t}/passkeys/${passkey.id}`, { token: mallory.body.access_token }), 404, "not_found");
    expectError(await call("DELETE", `/v1/${other.t}/passkeys/${passkey.id}`, { token: other.access }), 404, "not_found");
    clock.advance(STALE_MS);
    expectError(await call("DELETE", `/v1/${t}/passkeys/${passkey.id}`, { token: access }), 401, "reauth_required");
    expect(await rows(t, "SELECT 1 FROM passkeys")).toHaveLength(1);
  });

  it("refuses the last way to sign in; a verified email or a second passkey is another way", async () => {
    const t = await newTenant();
    const { access, auth } = await passkeyOnly(t);
    const [pk] = (await call("GET", `/v1/${t}/passkeys`, { token: access })).body.passkeys;
    const r = await call("DELETE", `/v1/${t}/passkeys/${pk.id}`, { token: access });
    expectError(r, 409, "conflict");
    expect(r.body.error.message).toMatch(/last way to sign in/);
    expect((await register(t, access, new SoftAuthenticator())).status).toBe(201);
    expect((await call("DELETE", `/v1/${t}/passkeys/${pk.id}`, { token: access })).status).toBe(204);
    expect(auth.credentials).toHaveLength(1);
  });

  it("an account with a password may remove its only passkey", async () => {
    const { t, access, passkey } = await userWithPasskey();
    expect((await call("DELETE", `/v1/${t}/passkeys/${passkey.id}`, { token: access })).status).toBe(204);
  });
});

describe("passkeys go with the account", () => {
  it("DELETE /me removes them, so the credential may be registered again", async () => {
    const { t, access, auth } = await userWithPasskey();
    expect((await call("DELETE", `/v1/${t}/me`, { token: access, body: { password: PASSWORD } })).status).toBe(204);
    expect(await rows(t, "SELECT 1 FROM passkeys")).toEqual([]);
    expectError(await signIn(t, auth), 401, "invalid_credentials");
    const fresh = await call("POST", `/v1/${t}/signup`, { body: { email: "again@example.com", password: PASSWORD } });
    expect((await register(t, fresh.body.access_token, auth, { reuse: auth.credentials[0] })).status).toBe(201);
  });

  it("an account claim (a magic link to an unverified address) removes the passkeys planted before it", async () => {
    const { t, email, auth } = await userWithPasskey();
    expect((await call("POST", `/v1/${t}/magic-link`, { body: { email } })).status).toBe(202);
    const link = await lastMessage(out, t, "magic_link", email);
    const r = await call("POST", `/v1/${t}/magic-link/verify`, { body: { token: link.token } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(await rows(t, "SELECT 1 FROM passkeys")).toEqual([]);
    const [claim] = await rows<{ data: string }>(t, "SELECT data FROM audit_log WHERE type = 'account.claimed'");
    expect(JSON.parse(claim.data).removed).toContain("passkeys");
    expectError(await signIn(t, auth), 401, "invalid_credentials");
  });
});

describe("operators", () => {
  it("see a user's passkeys and remove one, ending its sessions, audited with the actor", async () => {
    const { t, user, auth, passkey } = await userWithPasskey();
    const s = await signIn(t, auth);
    const view = await admin("GET", `/tenants/${t}/users/${user.id}`);
    expect(view.status).toBe(200);
    expect(view.body.passkeys).toEqual([expect.objectContaining({ id: passkey.id, name: "Passkey 1", backup_eligible: false })]);
    expect(JSON.stringify(view.body)).not.toContain("public_key");
    expectError(await admin("DELETE", `/tenants/${t}/users/${user.id}/passkeys/pk_AAAAAAAAAAAAAAAA`), 404, "not_found");
    expect((await admin("DELETE", `/tenants/${t}/users/${user.id}/passkeys/${passkey.id}`)).status).toBe(204);
    expectError(await call("GET", `/v1/${t}/me`, { token: s.body.access_token }), 401, "invalid_token");
    const [a] = await rows<{ actor: string; data: string }>(t, "SELECT actor, data FROM audit_log WHERE type = 'passkey.removed'");
    expect(a.actor).toBe("admin");
    expect(JSON.parse(a.data)).toEqual({ passkey: passkey.id, sessions: 1, by: "operator" });
  });
});

describe("settings.webauthn", () => {
  it("defaults from PUBLIC_URL and the tenant name; a subdomain host with its own RP ID is accepted", async () => {
    const t = await newTenant();
    const view = await admin("GET", `/tenants/${t}`);
    expect(view.body.settings.webauthn).toEqual({ enabled: true, rp_id: null, rp_name: null, origins: [], related_origins: [], user_verification: "preferred", attestation: "none" });
    const own = await admin("PATCH", `/tenants/${t}`, { settings: { webauthn: { rp_id: "acme.example.com", rp_name: "Acme", origins: ["https://acme.example.com", "https://app.acme.example.com:8443"] } } });
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    const u = await call("POST", `/v1/${t}/signup`, { body: { email: "a@example.com", password: PASSWORD } });
    const o = await call("POST", `/v1/${t}/passkeys/register/options`, { token: u.body.access_token });
    expect(o.body.rp).toEqual({ id: "acme.example.com", name: "Acme" });
    const auth = new SoftAuthenticator({ origin: "https://app.acme.example.com:8443" });
    expect((await register(t, u.body.access_token, auth)).status).toBe(201);
    // The shared host's origin is no longer one of this tenant's.
    expectError(await register(t, u.body.access_token, new SoftAuthenticator()), 401, "invalid_credentials");
  });

  it("refuses an RP ID that is not a registrable suffix of every origin", async () => {
    const t = await newTenant();
    const bad = [
      { rp_id: "example.com", origins: ["https://evil.test"] },
      { rp_id: "com", origins: ["https://a.com"] },
      { rp_id: "b.example.com", origins: ["https://example.com"] },
      { rp_id: "example.com", origins: ["https://notexample.com"] },
      { rp_id: "example.com", origins: ["https://example.com/path"] },
      { rp_id: "https://example.com", origins: [] },
      { rp_id: "other.test" },
    ];
    for (const webauthn of bad) {
      const r = await admin("PATCH", `/tenants/${t}`, { settings: { webauthn } });
      expectError(r, 400, "invalid_request");
      expect(r.body.error.details[0].path).toMatch(/^settings\.webauthn\./);
    }
    expectError(await admin("POST", "/tenants", { slug: `bad${Date.now().toString(36)}`, name: "Bad", settings: { webauthn: { attestation: "direct" } } }), 400, "invalid_request");
  });

  it("related origins (WebAuthn L3 section 5.11) need not sit under the RP ID but must be https origins; the tenant publishes them", async () => {
    const t = await newTenant();
    for (const related_origins of [["http://app.example.net"], ["https://app.example.net/login"], ["not an origin"]]) {
      const r = await admin("PATCH", `/tenants/${t}`, { settings: { webauthn: { related_origins } } });
      expectError(r, 400, "invalid_request");
      expect(r.body.error.details[0].path).toBe("settings.webauthn.related_origins.0");
    }
    // Outside the RP ID it is refused as an origin, and accepted as a related one.
    expectError(await admin("PATCH", `/tenants/${t}`, { settings: { webauthn: { origins: ["https://app.example.net"] } } }), 400, "invalid_request");
    expect((await admin("PATCH", `/tenants/${t}`, { settings: { webauthn: { related_origins: ["https://app.example.net"] } } })).status).toBe(200);
    const doc = await call("GET", `/v1/${t}/.well-known/webauthn`);
    expect(doc.status).toBe(200);
    expect(doc.body).toEqual({ origins: ["http://warden.test", "https://app.example.net"] });
    // Off: there is nothing to publish.
    await admin("PATCH", `/tenants/${t}`, { settings: { webauthn: { enabled: false } } });
    expectError(await call("GET", `/v1/${t}/.well-known/webauthn`), 404, "not_found");
  });

  it("disabled: every passkey route answers forbidden", async () => {
    const { t, auth } = await userWithPasskey();
    expect((await admin("PATCH", `/tenants/${t}`, { settings: { webauthn: { enabled: false } } })).status).toBe(200);
    expectError(await call("POST", `/v1/${t}/login/passkey/options`), 403, "forbidden");
    expectError(await call("POST", `/v1/${t}/login/passkey`, { body: { response: await auth.get({ rpId: "warden.test", challenge: "A".repeat(43) }) } }), 403, "forbidden");
  });
});
