/**
 * @module Password reset: 202 for every address, a single-use token
 * valid 30 minutes, and a reset that sets the new password and rotates the user secret
 * (every session revoked, `user.revoked` logged) without signing in.
 */
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { admin, apiKey, call, expectError, introspect, PASSWORD, uniq } from "../helpers.ts";
import { client, enableTotp, inbox, lastMessage, midStep, useMockOutbound, rows, tenantWithUser, verifyOwnEmail } from "./kit.ts";

const NEW_PASSWORD = "a brand new passphrase 2026";

const out = useMockOutbound();

async function resetToken(t: string, email: string): Promise<string> {
  expect((await client()("POST", `/v1/${t}/password/forgot`, { body: { email } })).status).toBe(202);
  return (await lastMessage(out, t, "password_reset", email)).token;
}
const reset = (t: string, token: string, new_password = NEW_PASSWORD) => client()("POST", `/v1/${t}/password/reset`, { body: { token, new_password } });
const login = (t: string, login: string, password: string) => client()("POST", `/v1/${t}/login`, { body: { login, password } });

describe("forgot", () => {
  it("6.3.8 answers 202 with the same body for unknown addresses, and sends nothing for them", async () => {
    const { t, email } = await tenantWithUser();
    const known = await client()("POST", `/v1/${t}/password/forgot`, { body: { email } });
    const unknown = await client()("POST", `/v1/${t}/password/forgot`, { body: { email: `${uniq("x")}@example.com` } });
    expect([known.status, unknown.status]).toEqual([202, 202]);
    expect(unknown.body).toEqual(known.body);
    const sent = await inbox(out, t);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ type: "password_reset", tenant: t, email });
    expect(sent[0].token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe("reset", () => {
  // On a verified account (an unverified one is claimed instead: claim.test.ts).
  it("6.4.3 7.4.3 sets the new password and revokes every session and token of the user", async () => {
    const { t, email, access, refresh, user } = await tenantWithUser();
    await verifyOwnEmail(out, t, email, access);
    const other = await login(t, email, PASSWORD);
    const key = await apiKey(t);
    const token = await resetToken(t, email);
    const r = await reset(t, token);
    expect(r.status, JSON.stringify(r.body)).toBe(204);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect((await introspect(t, key, access)).active).toBe(false);
    expect((await introspect(t, key, other.body.access_token)).active).toBe(false);
    expectError(await client()("POST", `/v1/${t}/refresh`, { body: { refresh_token: refresh } }), 401, "invalid_token");
    expectError(await login(t, email, PASSWORD), 401, "invalid_credentials");
    expect((await login(t, email, NEW_PASSWORD)).status).toBe(200);
    const events = await rows<{ type: string; payload: string }>(t, "SELECT type, payload FROM events WHERE type = 'user.revoked'");
    expect(events.map((e) => JSON.parse(e.payload))).toEqual([expect.objectContaining({ sub: user.id, reason: "password_reset", ver: 2 })]);
    expect(await rows(t, "SELECT type FROM audit_log WHERE type = 'password.reset'")).toHaveLength(1);
  });

  it("6.5.1 a reset token works once; a second link dies when the first is used", async () => {
    const { t, email } = await tenantWithUser();
    const first = await resetToken(t, email);
    const second = await resetToken(t, email);
    expect((await reset(t, first)).status).toBe(204);
    expectError(await reset(t, first, "yet another passphrase 77"), 401, "invalid_token");
    expectError(await reset(t, second, "yet another passphrase 77"), 401, "invalid_token");
  });

  it("6.5.5 expires after 30 minutes", async () => {
    const { t, email } = await tenantWithUser();
    const token = await resetToken(t, email);
    clock.advance(30 * 60_000 + 1_000);
    expectError(await reset(t, token), 401, "invalid_token");
  });

  it("6.2.1 6.2.4 a new password against the policy is 400 and leaves the token usable", async () => {
    const { t, email } = await tenantWithUser();
    const token = await resetToken(t, email);
    expectError(await reset(t, token, "short"), 400, "password_policy");
    expectError(await reset(t, token, "password1234"), 400, "password_policy");
    expect((await reset(t, token)).status).toBe(204);
  });

  it("honours the tenant's min_length and hash policy (checked in the object) without spending the token", async () => {
    const { t, email } = await tenantWithUser();
    // The router learns a tenant's policy lazily: the first reset is hashed under a stale one and retried.
    expect((await admin("PATCH", `/tenants/${t}`, { settings: { password: { min_length: 30, hash: "argon2id" } } })).status).toBe(200);
    const token = await resetToken(t, email);
    expectError(await reset(t, token, NEW_PASSWORD), 400, "password_policy");
    expect((await reset(t, token, "a much longer passphrase that is fine")).status).toBe(204);
    expect((await login(t, email, "a much longer passphrase that is fine")).status).toBe(200);
  });

  // ASVS 6.3.4
  it("6.4.3 does not sign in and does not bypass MFA: the next login still asks for a code", async () => {
    midStep();
    const { t, email, access } = await tenantWithUser();
    await verifyOwnEmail(out, t, email, access);
    await enableTotp(t, access);
    const r = await reset(t, await resetToken(t, email));
    expect(r.body).toBeNull();
    const next = await client()("POST", `/v1/${t}/login`, { body: { login: email, password: NEW_PASSWORD } });
    expectError(next, 401, "mfa_required");
  });

  it("6.3.1 lifts a lockout, the hard limit included", async () => {
    const { t, email } = await tenantWithUser({ lockout: { threshold: 100, base_s: 1, max_s: 1, hard_limit: 2 } });
    for (let n = 0; n < 2; n++) await login(t, email, "wrong wrong wrong wrong");
    // Past the hard limit: Turnstile is asked for (this Worker has a secret), see lockout.test.ts.
    expectError(await login(t, email, PASSWORD), 400, "turnstile_required");
    expect((await reset(t, await resetToken(t, email))).status).toBe(204);
    expect((await login(t, email, NEW_PASSWORD)).status).toBe(200);
  });

  it("refuses forged and malformed tokens, and checks the body", async () => {
    const { t } = await tenantWithUser();
    expectError(await reset(t, "A".repeat(43)), 401, "invalid_token");
    expectError(await reset(t, "nope"), 401, "invalid_token");
    expectError(await client()("POST", `/v1/${t}/password/reset`, { body: { token: "A".repeat(43) } }), 400, "invalid_request");
    expectError(await client()("POST", `/v1/${t}/password/reset`, { raw: "{", headers: { "content-type": "application/json" } }), 400, "invalid_json");
    expectError(await call("POST", `/v1/${t}/password/reset`, { raw: "token=x", headers: { "content-type": "application/x-www-form-urlencoded" } }), 415, "unsupported_media_type");
  });
});
