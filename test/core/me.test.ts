/** @module GET, PATCH and DELETE /v1/{tenant}/me. */
import { runDurableObjectAlarm } from "cloudflare:test";
import { decodeJwt } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { apiKey, call, count, d1Eventually, expectError, introspect, login, newTenant, PASSWORD, refresh, rows, signup, snapshot, stub, tenantWith } from "../helpers.ts";

afterEach(() => clock.reset());

const me = (t: string, token: string) => call("GET", `/v1/${t}/me`, { token });
const patchMe = (t: string, token: string, body: Record<string, unknown>) => call("PATCH", `/v1/${t}/me`, { token, body });

describe("GET /me", () => {
  it("answers the public user, never secrets or hashes", async () => {
    const t = await newTenant();
    const s = await signup(t, { username: "me_user" });
    const r = await me(t, s.access_token);
    expect(r.status).toBe(200);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(r.body).toEqual(s.user);
    const text = JSON.stringify(r.body);
    for (const word of ["secret", "hash", "pbkdf2", "password"]) expect(text).not.toContain(word);
  });
});

describe("PATCH /me", () => {
  // ASVS 6.2.3
  it("a wrong current password is 401 invalid_credentials and changes nothing", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const before = await snapshot(t);
    const [cred] = await rows(t, "SELECT hash FROM credentials");
    expectError(await patchMe(t, s.access_token, { current_password: "not my password", new_password: "another good passphrase" }), 401, "invalid_credentials");
    expect(await snapshot(t)).toEqual(before);
    expect(await rows(t, "SELECT hash FROM credentials")).toEqual([cred]);
    expect((await me(t, s.access_token)).status).toBe(200);
  });

  // ASVS 6.2.2, 7.4.3
  it("a password change rotates the secret: other sessions die, this one continues with the returned tokens", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const other = await login(t, s.user.email);
    const key = await apiKey(t);
    const r = await patchMe(t, s.access_token, { current_password: PASSWORD, new_password: "another good passphrase" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(r.body).toMatchObject({ token_type: "Bearer", session_id: s.session_id });
    expect(decodeJwt(r.body.access_token).ver).toBe(2);
    // This session: the returned tokens work, the old ones do not.
    expect((await me(t, r.body.access_token)).status).toBe(200);
    expect((await introspect(t, key, s.access_token)).active).toBe(false);
    expectError(await refresh(t, s.refresh_token), 401, "invalid_token");
    const next = await refresh(t, r.body.refresh_token);
    expect(next.status).toBe(200);
    // Other sessions: dead.
    expect((await introspect(t, key, other.body.access_token)).active).toBe(false);
    expectError(await refresh(t, other.body.refresh_token), 401, "invalid_token");
    // The new password logs in, the old one does not.
    expectError(await login(t, s.user.email), 401, "invalid_credentials");
    expect((await login(t, s.user.email, "another good passphrase")).status).toBe(200);
    const events = await rows<{ type: string; payload: string }>(t, "SELECT type, payload FROM events");
    expect(events.map((e) => ({ type: e.type, ...JSON.parse(e.payload) }))).toEqual([expect.objectContaining({ type: "user.revoked", ver: 2, reason: "credential_change" })]);
  });

  // ASVS 6.2.4
  it("a new password that breaks the policy is 400 password_policy and changes nothing", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const before = await snapshot(t);
    expectError(await patchMe(t, s.access_token, { current_password: PASSWORD, new_password: "short" }), 400, "password_policy");
    expectError(await patchMe(t, s.access_token, { current_password: PASSWORD, new_password: "password1234" }), 400, "password_policy");
    expect(await snapshot(t)).toEqual(before);
  });

  it("a new password shorter than the tenant's min_length is 400 password_policy", async () => {
    const t = await tenantWith({ password: { min_length: 20 } });
    const s = await signup(t, { password: "a passphrase of twenty" });
    expectError(await patchMe(t, s.access_token, { current_password: "a passphrase of twenty", new_password: "fifteen chars!!" }), 400, "password_policy");
  });

  it("an email change to a taken email is 409 conflict and changes nothing", async () => {
    const t = await newTenant();
    const a = await signup(t, { email: "taken@example.com" });
    const b = await signup(t);
    const before = await snapshot(t);
    expectError(await patchMe(t, b.access_token, { current_password: PASSWORD, new_email: "TAKEN@example.com" }), 409, "conflict");
    expect(await snapshot(t)).toEqual(before);
    expect((await me(t, b.access_token)).body.email).toBe(b.user.email);
    expect((await me(t, a.access_token)).status).toBe(200);
  });

  it("an email change stays pending: the old email is still the login and in the directory", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const r = await patchMe(t, s.access_token, { current_password: PASSWORD, new_email: "New.Address@Example.com" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.user).toMatchObject({ email: s.user.email, pending_email: "New.Address@Example.com" });
    expect(decodeJwt(r.body.access_token)).toMatchObject({ email: s.user.email, ver: 2 });
    expect((await me(t, r.body.access_token)).body.pending_email).toBe("New.Address@Example.com");
    expect((await login(t, s.user.email)).status).toBe(200);
    expectError(await login(t, "new.address@example.com"), 401, "invalid_credentials");
    const [dir] = await d1Eventually<{ email: string }>("SELECT email FROM user_directory WHERE tenant = ? AND user_id = ?", t, s.user.id);
    expect(dir.email).toBe(s.user.email);
  });

  it("a username change to a taken one is 409 conflict", async () => {
    const t = await newTenant();
    await signup(t, { username: "first_name" });
    const b = await signup(t);
    expectError(await patchMe(t, b.access_token, { current_password: PASSWORD, new_username: "First_Name" }), 409, "conflict");
  });

  it("a metadata-only change keeps the secret: other sessions live on", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const other = await login(t, s.user.email);
    const r = await patchMe(t, s.access_token, { current_password: PASSWORD, metadata: { theme: "dark" } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.user.metadata).toEqual({ theme: "dark" });
    expect(decodeJwt(r.body.access_token).ver).toBe(1);
    expect((await me(t, other.body.access_token)).status).toBe(200);
    expect((await me(t, s.access_token)).body.metadata).toEqual({ theme: "dark" });
    expect(await count(t, "events")).toBe(0);
  });

  it("an invalid new email is 400 invalid_request", async () => {
    const t = await newTenant();
    const s = await signup(t);
    expectError(await patchMe(t, s.access_token, { current_password: PASSWORD, new_email: "not an email" }), 400, "invalid_request");
  });

  it("nothing to change is 400 invalid_request", async () => {
    const t = await newTenant();
    const s = await signup(t);
    expectError(await patchMe(t, s.access_token, { current_password: PASSWORD }), 400, "invalid_request");
  });

  it("wrong current passwords count toward the account lockout, like logins", async () => {
    const t = await tenantWith({ lockout: { threshold: 3, base_s: 60 } });
    const s = await signup(t);
    for (let i = 0; i < 3; i++) expectError(await patchMe(t, s.access_token, { current_password: "guess number " + i, metadata: {} }), 401, "invalid_credentials");
    const locked = await patchMe(t, s.access_token, { current_password: PASSWORD, metadata: {} });
    expectError(locked, 423, "locked");
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    expectError(await call("DELETE", `/v1/${t}/me`, { token: s.access_token, body: { password: PASSWORD } }), 423, "locked");
    expectError(await login(t, s.user.email), 423, "locked");
    clock.advance(61_000);
    expect((await patchMe(t, s.access_token, { current_password: PASSWORD, metadata: {} })).status).toBe(200);
    // The success cleared the count.
    expect(await count(t, "attempts", "key LIKE 'acct:%'")).toBe(0);
  });

  it("a right current password with a refused new one does not count toward the lockout", async () => {
    const t = await tenantWith({ lockout: { threshold: 2 }, password: { min_length: 16 } });
    const s = await signup(t, { password: "sixteen chars ok" });
    for (const next of ["short", "password1234", "fifteen chars!!", "x".repeat(300)]) {
      expectError(await patchMe(t, s.access_token, { current_password: "sixteen chars ok", new_password: next }), 400, "password_policy");
    }
    expect((await patchMe(t, s.access_token, { current_password: "sixteen chars ok", metadata: { ok: true } })).status).toBe(200);
    expect((await login(t, s.user.email, "sixteen chars ok")).status).toBe(200);
  });

  it("other password re-checks (DELETE /mfa/totp) with the right password do not count toward the lockout either", async () => {
    const t = await tenantWith({ lockout: { threshold: 2 } });
    const s = await signup(t);
    for (let i = 0; i < 3; i++) expectError(await call("DELETE", `/v1/${t}/mfa/totp`, { token: s.access_token, body: { password: PASSWORD } }), 404, "not_found");
    expect((await patchMe(t, s.access_token, { current_password: PASSWORD, metadata: {} })).status).toBe(200);
  });

  it("a revoked token is 401 invalid_token", async () => {
    const t = await newTenant();
    const s = await signup(t);
    await call("POST", `/v1/${t}/logout`, { token: s.access_token });
    expectError(await patchMe(t, s.access_token, { current_password: PASSWORD, metadata: {} }), 401, "invalid_token");
  });
});

describe("DELETE /me", () => {
  it("a wrong password is 401 invalid_credentials and deletes nothing", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const before = await snapshot(t);
    expectError(await call("DELETE", `/v1/${t}/me`, { token: s.access_token, body: { password: "not my password" } }), 401, "invalid_credentials");
    expect(await snapshot(t)).toEqual(before);
    expect((await me(t, s.access_token)).status).toBe(200);
  });

  // ASVS 7.4.2
  it("soft deletes: 204, every token dead, login refused, the email free for a new sign-up", async () => {
    const t = await newTenant();
    const s = await signup(t, { email: "leaving@example.com", username: "leaving" });
    const other = await login(t, "leaving");
    const key = await apiKey(t);
    const r = await call("DELETE", `/v1/${t}/me`, { token: s.access_token, body: { password: PASSWORD } });
    expect(r.status).toBe(204);
    for (const a of [s.access_token, other.body.access_token]) expect((await introspect(t, key, a)).active).toBe(false);
    expectError(await refresh(t, other.body.refresh_token), 401, "invalid_token");
    expectError(await login(t, "leaving@example.com"), 401, "invalid_credentials");
    expectError(await login(t, "leaving"), 401, "invalid_credentials");
    const [row] = await rows(t, "SELECT status, deleted_at, email_norm, username_norm FROM users WHERE id = ?", s.user.id);
    expect(row).toMatchObject({ status: "deleted", email_norm: null, username_norm: null });
    expect(await count(t, "credentials", "user_id = ?", s.user.id)).toBe(0);
    const events = await rows<{ type: string; payload: string }>(t, "SELECT type, payload FROM events");
    expect(events.map((e) => e.type)).toEqual(["user.deleted"]);
    const again = await signup(t, { email: "leaving@example.com", username: "leaving" });
    expect(again.user.id).not.toBe(s.user.id);
    const [dir] = await d1Eventually<{ status: string }>("SELECT status FROM user_directory WHERE tenant = ? AND user_id = ? AND status = 'deleted'", t, s.user.id);
    expect(dir.status).toBe("deleted");
  });

  it("the alarm hard-deletes the user after retention.deleted_users_days", async () => {
    const t = await tenantWith({ retention: { deleted_users_days: 1 } });
    const s = await signup(t);
    await call("DELETE", `/v1/${t}/me`, { token: s.access_token, body: { password: PASSWORD } });
    await runDurableObjectAlarm(stub(t));
    expect(await count(t, "users", "id = ?", s.user.id)).toBe(1);
    clock.advance(86_400_000 + 60_000);
    await runDurableObjectAlarm(stub(t));
    expect(await count(t, "users", "id = ?", s.user.id)).toBe(0);
    expect(await count(t, "sessions", "user_id = ?", s.user.id)).toBe(0);
    await d1Eventually("SELECT 1 AS gone WHERE NOT EXISTS (SELECT 1 FROM user_directory WHERE tenant = ? AND user_id = ?)", t, s.user.id);
  });

  it("takes no body, or a JSON body with the password; anything else is refused", async () => {
    const t = await newTenant();
    const s = await signup(t);
    expectError(await call("DELETE", `/v1/${t}/me`, { token: s.access_token, raw: "password=x" }), 415, "unsupported_media_type");
    expectError(await call("DELETE", `/v1/${t}/me`, { token: s.access_token, body: { password: 1 } }), 400, "invalid_request");
    expectError(await call("DELETE", `/v1/${t}/me`, { token: s.access_token, body: { pasword: PASSWORD } }), 400, "invalid_request");
    // A fresh session is a recent authentication: no password needed (stale ones: test/account/stepup.test.ts).
    expect((await call("DELETE", `/v1/${t}/me`, { token: s.access_token })).status).toBe(204);
  });
});
