/**
 * @module Account claims (account pre-hijacking, Sudhodanan & Paverd 2022): someone signs up
 * with the victim's address and a password, keeps sessions open, maybe enrols TOTP; when the
 * victim proves the address by magic link or password reset, the account becomes theirs and
 * nothing the attacker set survives. A verified account is never claimed.
 */
import { describe, expect, it } from "vitest";
import { apiKey, call, expectError, introspect, newTenant, PASSWORD, uniq } from "../helpers.ts";
import { client, DELIVERY, enableTotp, lastMessage, midStep, rows, useMockOutbound } from "./kit.ts";

const out = useMockOutbound();

const VICTIM_PASSWORD = "the victim's own passphrase 9";

/** The attacker signs up with the victim's address and opens a second session; both sessions' tokens. */
async function preHijack(settings: Record<string, unknown> = {}) {
  const t = await newTenant({ ...DELIVERY, ...settings });
  const email = `${uniq("victim")}@example.com`;
  const s = await client()("POST", `/v1/${t}/signup`, { body: { email, password: PASSWORD } });
  expect(s.status, JSON.stringify(s.body)).toBe(201);
  const second = await client()("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } });
  return { t, email, userId: s.body.user.id as string, attacker: s.body, second: second.status === 200 ? second.body : null };
}

async function magicLink(t: string, email: string) {
  expect((await client()("POST", `/v1/${t}/magic-link`, { body: { email } })).status).toBe(202);
  return client()("POST", `/v1/${t}/magic-link/verify`, { body: { token: (await lastMessage(out, t, "magic_link", email)).token } });
}

async function passwordReset(t: string, email: string, new_password = VICTIM_PASSWORD) {
  expect((await client()("POST", `/v1/${t}/password/forgot`, { body: { email } })).status).toBe(202);
  return client()("POST", `/v1/${t}/password/reset`, { body: { token: (await lastMessage(out, t, "password_reset", email)).token, new_password } });
}

const passwordLogin = (t: string, login: string, password = PASSWORD) => client()("POST", `/v1/${t}/login`, { body: { login, password } });

/** Everything the attacker held is dead: both sessions' access tokens (introspection) and refresh tokens. */
async function expectAttackerOut(t: string, tokens: { access_token: string; refresh_token: string }[]) {
  const key = await apiKey(t);
  for (const s of tokens) {
    expect((await introspect(t, key, s.access_token)).active).toBe(false);
    expectError(await client()("POST", `/v1/${t}/refresh`, { body: { refresh_token: s.refresh_token } }), 401, "invalid_token");
  }
}

async function claimRecords(t: string, userId: string) {
  const audits = await rows<{ data: string }>(t, "SELECT data FROM audit_log WHERE type = 'account.claimed' AND user_id = ?", userId);
  const events = await rows<{ payload: string }>(t, "SELECT payload FROM events WHERE type = 'user.revoked'");
  return { audits: audits.map((a) => JSON.parse(a.data)), events: events.map((e) => JSON.parse(e.payload)) };
}

describe("a magic link on an unverified account is a claim", () => {
  it("the attacker's password and sessions die; account.claimed is audited and user.revoked emitted", async () => {
    const { t, email, userId, attacker, second } = await preHijack();
    const r = await magicLink(t, email);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.user).toMatchObject({ id: userId, email_verified: true, mfa_enabled: false });
    expectError(await passwordLogin(t, email), 401, "invalid_credentials");
    await expectAttackerOut(t, [attacker, second]);
    expect(await rows(t, "SELECT user_id FROM credentials")).toEqual([]);
    // The victim's own session is live.
    expect((await call("GET", `/v1/${t}/me`, { token: r.body.access_token })).status).toBe(200);
    const { audits, events } = await claimRecords(t, userId);
    expect(audits).toEqual([expect.objectContaining({ via: "magic_link", removed: ["password"], ver: 2 })]);
    expect(events).toEqual([expect.objectContaining({ sub: userId, reason: "account_claimed", ver: 2 })]);
  });

  it("the attacker's TOTP and recovery codes go too: the victim signs in without a second factor", async () => {
    midStep();
    const { t, email, userId, attacker } = await preHijack();
    await enableTotp(t, attacker.access_token);
    const r = await magicLink(t, email);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.user.mfa_enabled).toBe(false);
    expect(await rows(t, "SELECT user_id FROM mfa_totp UNION ALL SELECT user_id FROM recovery_codes")).toEqual([]);
    expect((await claimRecords(t, userId)).audits[0].removed).toEqual(expect.arrayContaining(["password", "mfa"]));
  });

  it("with require_email_verification the victim's proof no longer unlocks the attacker's password", async () => {
    const { t, email, attacker } = await preHijack({ signup: { require_email_verification: true } });
    expectError(await passwordLogin(t, email), 403, "forbidden");
    expect((await magicLink(t, email)).status).toBe(200);
    expectError(await passwordLogin(t, email), 401, "invalid_credentials");
    await expectAttackerOut(t, [attacker]);
  });

  it("the attacker's pending email change and outstanding one-time tokens are removed", async () => {
    const { t, email, userId, attacker } = await preHijack();
    const evil = `${uniq("evil")}@example.com`;
    const p = await call("PATCH", `/v1/${t}/me`, { token: attacker.access_token, body: { current_password: PASSWORD, new_email: evil } });
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    const change = await lastMessage(out, t, "email_change", evil);
    const r = await magicLink(t, email);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.user).toMatchObject({ email, pending_email: null });
    expect(await rows(t, "SELECT purpose FROM one_time_tokens WHERE user_id = ? AND consumed_at IS NULL", userId)).toEqual([]);
    // Even with a live session of the account, the attacker's link is dead.
    expectError(await call("POST", `/v1/${t}/email/verify`, { token: r.body.access_token, body: { token: change.token } }), 401, "invalid_token");
    expect((await claimRecords(t, userId)).audits[0].removed).toEqual(["password", "pending_email", "one_time_tokens"]);
  });

  it("a link sent before the attacker signed up claims the account they made meanwhile", async () => {
    const t = await newTenant(DELIVERY);
    const email = `${uniq("late")}@example.com`;
    await client()("POST", `/v1/${t}/magic-link`, { body: { email } });
    const { token } = await lastMessage(out, t, "magic_link", email);
    const s = await client()("POST", `/v1/${t}/signup`, { body: { email, password: PASSWORD } });
    expect(s.status).toBe(201);
    const r = await client()("POST", `/v1/${t}/magic-link/verify`, { body: { token } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectError(await passwordLogin(t, email), 401, "invalid_credentials");
    await expectAttackerOut(t, [s.body]);
  });
});

describe("a password reset on an unverified account is a claim", () => {
  it("only the prover's new password works; the attacker's sessions, TOTP and codes are gone", async () => {
    midStep();
    const { t, email, userId, attacker, second } = await preHijack();
    await enableTotp(t, attacker.access_token);
    const r = await passwordReset(t, email);
    expect(r.status, JSON.stringify(r.body)).toBe(204);
    expectError(await passwordLogin(t, email), 401, "invalid_credentials");
    await expectAttackerOut(t, [attacker, second]);
    // The attacker's TOTP no longer guards the account: the new password signs straight in.
    const next = await passwordLogin(t, email, VICTIM_PASSWORD);
    expect(next.status, JSON.stringify(next.body)).toBe(200);
    expect(next.body.user).toMatchObject({ email_verified: true, mfa_enabled: false });
    const { audits, events } = await claimRecords(t, userId);
    expect(audits).toEqual([expect.objectContaining({ via: "password_reset", removed: ["password", "mfa"], ver: 2 })]);
    // One rotation: the claim's.
    expect(events).toEqual([expect.objectContaining({ sub: userId, reason: "account_claimed", ver: 2 })]);
  });
});

describe("a verified account is not claimed", () => {
  /** A user who signed up and verified their address with their own session. */
  async function verifiedUser() {
    const { t, email, userId, attacker: owner, second } = await preHijack();
    expect((await call("POST", `/v1/${t}/email/verify/request`, { token: owner.access_token })).status).toBe(202);
    const v = await call("POST", `/v1/${t}/email/verify`, { token: owner.access_token, body: { token: (await lastMessage(out, t, "email_verify", email)).token } });
    expect(v.status, JSON.stringify(v.body)).toBe(204);
    return { t, email, userId, owner, second: second! };
  }

  it("a magic link is an ordinary sign-in: the password and the other sessions live on", async () => {
    const { t, email, userId, owner, second } = await verifiedUser();
    expect((await magicLink(t, email)).status).toBe(200);
    expect((await passwordLogin(t, email)).status).toBe(200);
    const key = await apiKey(t);
    for (const s of [owner, second]) expect((await introspect(t, key, s.access_token)).active).toBe(true);
    expect((await claimRecords(t, userId)).audits).toEqual([]);
  });

  it("a magic link still asks a verified user with TOTP for the second factor", async () => {
    midStep();
    const { t, email, owner } = await verifiedUser();
    await enableTotp(t, owner.access_token);
    expectError(await magicLink(t, email), 401, "mfa_required");
  });

  // ASVS 6.4.3
  it("a reset keeps TOTP and rotates with reason password_reset", async () => {
    midStep();
    const { t, email, userId, owner } = await verifiedUser();
    await enableTotp(t, owner.access_token);
    expect((await passwordReset(t, email)).status).toBe(204);
    expectError(await passwordLogin(t, email, VICTIM_PASSWORD), 401, "mfa_required");
    const { audits, events } = await claimRecords(t, userId);
    expect(audits).toEqual([]);
    expect(events).toEqual([expect.objectContaining({ sub: userId, reason: "password_reset" })]);
  });
});

describe("after a claim by magic link, the prover sets a password", () => {
  it("PATCH /me sets a first password without current_password; once there is one, a new one needs it", async () => {
    const { t, email } = await preHijack();
    const r = await magicLink(t, email);
    const token = r.body.access_token;
    // A current password given to an account without one cannot be right.
    expectError(await call("PATCH", `/v1/${t}/me`, { token, body: { current_password: PASSWORD, new_password: VICTIM_PASSWORD } }), 401, "invalid_credentials");
    const p = await call("PATCH", `/v1/${t}/me`, { token, body: { new_password: VICTIM_PASSWORD } });
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    expect((await passwordLogin(t, email, VICTIM_PASSWORD)).status).toBe(200);
    // Now it has one: a new password needs the current one, however recent the session (ASVS 6.2.3).
    expectError(await call("PATCH", `/v1/${t}/me`, { token: p.body.access_token, body: { new_password: "a third passphrase entirely" } }), 400, "invalid_request");
  });
});
