/**
 * @module What a failed guess is counted against, and what a refusal reveals. A password login
 * counts against the identifier it names (so a lock reached through an email says nothing
 * about which username goes with it); checks that already name the account (MFA codes,
 * password re-checks) count against the account, and a login honours that lock. Link requests
 * for known and unknown addresses do the same work and answer the same.
 */
import { describe, expect, it } from "vitest";
import { DUMMY_TOKEN } from "../../src/turnstile.ts";
import { admin, call, expectError, newTenant, PASSWORD, signup, uniq, type Call } from "../helpers.ts";
import { client, DELIVERY, lastMessage, useMockOutbound, rows, tenantWithUser } from "./kit.ts";

const out = useMockOutbound();

const WRONG = "definitely not the password";
const strict = { lockout: { threshold: 2, base_s: 60, max_s: 900, hard_limit: 100 } };

async function userWithBoth(settings: Record<string, unknown>) {
  const t = await newTenant({ ...DELIVERY, ...settings });
  const email = `${uniq("u")}@example.com`;
  const username = uniq("name");
  const s = await signup(t, { email, username });
  return { t, email, username, user: s.user, access: s.access_token as string };
}

describe("lockout subjects", () => {
  it("6.3.1 a lock reached through the email does not show on the username, and the other way round", async () => {
    const { t, email, username } = await userWithBoth(strict);
    const req = client();
    const login = (login: string, password: string) => req("POST", `/v1/${t}/login`, { body: { login, password } });
    for (let n = 0; n < 2; n++) expectError(await login(email, WRONG), 401, "invalid_credentials");
    expectError(await login(email, PASSWORD), 423, "locked");
    // Same answer as for a username nobody has: 401, not 423.
    expectError(await login(username, WRONG), 401, "invalid_credentials");
    expect((await login(username, PASSWORD)).status).toBe(200);
    for (let n = 0; n < 2; n++) expectError(await login(username, WRONG), 401, "invalid_credentials");
    expectError(await login(username, PASSWORD), 423, "locked");
    expectError(await login(email, PASSWORD), 423, "locked"); // its own delay, still running
  });

  it("known and unknown identifiers are counted under the same kind of key", async () => {
    const { t, email, username } = await userWithBoth(strict);
    const ghost = `${uniq("ghost")}@example.com`;
    for (const login of [email, username, ghost, "ghost-name"]) await call("POST", `/v1/${t}/login`, { body: { login, password: WRONG } });
    const keys = (await rows<{ key: string }>(t, "SELECT key FROM attempts WHERE key LIKE 'login:%' OR key LIKE 'acct:%' ORDER BY key")).map((r) => r.key);
    expect(keys).toEqual([`login:email:${email}`, `login:email:${ghost}`, `login:username:ghost-name`, `login:username:${username}`].sort());
  });

  it("6.3.1 failed password re-checks lock the account for every identifier: the guesser already holds a token", async () => {
    const { t, email, username, access } = await userWithBoth(strict);
    for (let n = 0; n < 2; n++) expectError(await call("DELETE", `/v1/${t}/me`, { token: access, body: { password: WRONG } }), 401, "invalid_credentials");
    for (const login of [email, username]) expectError(await client()("POST", `/v1/${t}/login`, { body: { login, password: PASSWORD } }), 423, "locked");
  });

  it("6.3.1 a password reset clears every subject of the account", async () => {
    const { t, email, username, access } = await userWithBoth({ lockout: { threshold: 100, base_s: 1, max_s: 1, hard_limit: 2 } });
    for (const login of [email, username]) for (let n = 0; n < 2; n++) await call("POST", `/v1/${t}/login`, { body: { login, password: WRONG } });
    for (let n = 0; n < 2; n++) await call("DELETE", `/v1/${t}/me`, { token: access, body: { password: WRONG } });
    expect(await rows(t, "SELECT key FROM attempts WHERE key LIKE 'login:%' OR key LIKE 'acct:%'")).toHaveLength(3);
    expect((await client()("POST", `/v1/${t}/password/forgot`, { body: { email } })).status).toBe(202);
    const { token } = await lastMessage(out, t, "password_reset", email);
    expect((await call("POST", `/v1/${t}/password/reset`, { body: { token, new_password: `${PASSWORD} 2` } })).status).toBe(204);
    expect(await rows(t, "SELECT key FROM attempts WHERE key LIKE 'login:%' OR key LIKE 'acct:%'")).toEqual([]);
  });

  it("6.3.1 an operator unlock clears every subject of the account", async () => {
    const { t, email, username, user } = await userWithBoth({ lockout: { threshold: 100, base_s: 1, max_s: 1, hard_limit: 2 } });
    for (const login of [email, username]) for (let n = 0; n < 2; n++) await call("POST", `/v1/${t}/login`, { body: { login, password: WRONG } });
    for (const login of [email, username]) expectError(await call("POST", `/v1/${t}/login`, { body: { login, password: PASSWORD } }), 400, "turnstile_required");
    expect((await admin("POST", `/tenants/${t}/users/${user.id}/unlock`)).status).toBe(204);
    for (const login of [email, username]) expect((await call("POST", `/v1/${t}/login`, { body: { login, password: PASSWORD } })).status).toBe(200);
  });

  it("past the hard limit, a Turnstile token lets a login through but the doubling delay still holds", async () => {
    const { t, email } = await tenantWithUser({ lockout: { threshold: 2, base_s: 60, max_s: 60, hard_limit: 2 } });
    const req = client();
    for (let n = 0; n < 2; n++) await req("POST", `/v1/${t}/login`, { body: { login: email, password: WRONG } });
    const r = await req("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD }, headers: { "cf-turnstile-response": DUMMY_TOKEN } });
    expectError(r, 423, "locked");
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

/** What an observer sees of an answer: status, body, and the headers but the per-request id. */
const visible = (r: Call) => ({ status: r.status, body: r.body, headers: [...r.headers.entries()].filter(([k]) => k !== "x-request-id") });

/** Rows a link request leaves behind, by table; webhook rows apart (only a real recipient gets one). */
async function footprint(t: string) {
  const [r] = await rows<Record<string, number>>(
    t,
    `SELECT (SELECT COUNT(*) FROM one_time_tokens) AS tokens, (SELECT COUNT(*) FROM audit_log) AS audit,
            (SELECT COUNT(*) FROM attempts) AS counters, (SELECT COUNT(*) FROM users) AS users`,
  );
  return r;
}

/** A tenant with a user, a disabled user and then `settings` (sign-up may be turned off after the sign-ups). */
async function linkTenant(settings: Record<string, unknown>) {
  const { t, email } = await tenantWithUser();
  const disabled = `${uniq("off")}@example.com`;
  const off = await signup(t, { email: disabled });
  expect((await admin("PATCH", `/tenants/${t}/users/${off.user.id}`, { status: "disabled" })).status).toBe(200);
  expect((await admin("PATCH", `/tenants/${t}`, { settings })).status).toBe(200);
  return { t, email, disabled };
}

describe.each([
  { path: "password/forgot", settings: {} },
  { path: "magic-link", settings: { signup: { enabled: false } } },
])("POST /$path for known and unknown addresses", ({ path, settings }) => {
  it("same answer, same rows written (a token nothing can use, the audit row)", async () => {
    const { t, email, disabled } = await linkTenant(settings);
    const seen: { who: string; answer: ReturnType<typeof visible>; delta: Record<string, number> }[] = [];
    for (const [who, address] of [["known", email], ["unknown", `${uniq("nobody")}@example.com`], ["disabled", disabled]] as const) {
      const before = await footprint(t);
      const answer = visible(await client()("POST", `/v1/${t}/${path}`, { body: { email: address } }));
      const after = await footprint(t);
      seen.push({ who, answer, delta: Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]])) });
    }
    expect(seen[0].answer.status).toBe(202);
    for (const s of seen.slice(1)) {
      expect(s.answer, s.who).toEqual(seen[0].answer);
      expect(s.delta, s.who).toEqual(seen[0].delta);
    }
    expect(seen[0].delta).toMatchObject({ tokens: 1, audit: 1, users: 0 });
  });

  it("the decoy token of an unknown address can be used for nothing", async () => {
    const { t } = await linkTenant(settings);
    await client()("POST", `/v1/${t}/${path}`, { body: { email: `${uniq("nobody")}@example.com` } });
    const decoys = await rows<{ user_id: string | null; email: string | null }>(t, "SELECT user_id, email FROM one_time_tokens WHERE user_id IS NULL");
    expect(decoys).toEqual([{ user_id: null, email: null }]);
    const audit = await rows<{ data: string }>(t, "SELECT data FROM audit_log WHERE type IN ('magic_link.sent', 'password.reset_requested')");
    expect(audit.map((a) => JSON.parse(a.data))).toEqual([{ delivered: false }]);
  });
});
