/**
 * @module A password hash (~170 ms of CPU, 19 MiB for argon2id) is never spent on a request
 * that is refused anyway: unknown or deleted tenant, sign-up off, a rate limit, Turnstile
 * missing, a bad reset token, a lockout. Sign-up and reset make one cheap object call first,
 * which reserves the rate-limit budget, so parallel requests cannot all pass it and all hash.
 * The proof is the isolate's count of password derivations (`passwordWork`).
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { passwordWork } from "../../src/crypto/password.ts";
import type { Result } from "../../src/errors.ts";
import { withPolicy, type NewPassword } from "../../src/passwords.ts";
import { settingsSchema } from "../../schema/settings.ts";
import { admin, call, expectError, newTenant, PASSWORD, rows, signup, stub, uniq, type Call } from "../helpers.ts";
import { client, lastMessage, useMockOutbound, tenantWithUser } from "./kit.ts";

const out = useMockOutbound();
const WRONG = "definitely not the password";

/** Runs `fn` and answers how many hashes and verifications it made the Worker compute. */
async function work<T>(fn: () => Promise<T>): Promise<{ value: T; hashed: number; verified: number }> {
  const before = passwordWork();
  const value = await fn();
  const after = passwordWork();
  return { value, hashed: after.hashed - before.hashed, verified: after.verified - before.verified };
}

/** The request is refused with `status`/`code` and cost no password derivation at all. */
async function refusedForFree(fn: () => Promise<Call>, status: number, code: string): Promise<void> {
  const w = await work(fn);
  expectError(w.value, status, code);
  expect({ hashed: w.hashed, verified: w.verified }).toEqual({ hashed: 0, verified: 0 });
}

const signupBody = () => ({ email: `${uniq("u")}@example.com`, password: PASSWORD });

async function resetToken(t: string, email: string): Promise<string> {
  expect((await client()("POST", `/v1/${t}/password/forgot`, { body: { email } })).status).toBe(202);
  return (await lastMessage(out, t, "password_reset", email)).token;
}

describe("sign-up hashes only what the object will accept", () => {
  it("a tenant that does not exist: 404 and no hash", async () => {
    await refusedForFree(() => call("POST", `/v1/${uniq("nope")}/signup`, { body: signupBody() }), 404, "tenant_not_found");
  });

  it("a deleted tenant: 404 and no hash", async () => {
    const t = await newTenant();
    expect((await admin("DELETE", `/tenants/${t}`)).status).toBe(200);
    await refusedForFree(() => call("POST", `/v1/${t}/signup`, { body: signupBody() }), 404, "tenant_not_found");
  });

  it("sign-up disabled: 403 and no hash", async () => {
    const t = await newTenant({ signup: { enabled: false } });
    await refusedForFree(() => call("POST", `/v1/${t}/signup`, { body: signupBody() }), 403, "forbidden");
  });

  it("an identifier kind the tenant does not take: 400 and no hash", async () => {
    const t = await newTenant({ signup: { identifiers: ["username"] } });
    await refusedForFree(() => call("POST", `/v1/${t}/signup`, { body: signupBody() }), 400, "invalid_request");
  });

  it("Turnstile required and missing: 400 and no hash", async () => {
    const t = await newTenant({ turnstile: { required_for: ["signup"] } });
    await refusedForFree(() => call("POST", `/v1/${t}/signup`, { body: signupBody() }), 400, "turnstile_required");
  });

  it("over the per-IP limit: 429 and no hash", async () => {
    const t = await newTenant({ rate_limits: { signup: { limit: 2, window_s: 3600 } } });
    const req = client();
    for (let n = 0; n < 2; n++) expect((await req("POST", `/v1/${t}/signup`, { body: signupBody() })).status).toBe(201);
    await refusedForFree(() => req("POST", `/v1/${t}/signup`, { body: signupBody() }), 429, "rate_limited");
  });

  it("shorter than the tenant's min_length: 400 and no hash", async () => {
    const t = await newTenant({ password: { hash: "pbkdf2-sha256", min_length: 40 } });
    await refusedForFree(() => call("POST", `/v1/${t}/signup`, { body: signupBody() }), 400, "password_policy");
  });

  it("6.3.1 50 parallel sign-ups from one IP over a limit of 5: exactly 5 hashes, 5 accounts", async () => {
    const t = await newTenant({ rate_limits: { signup: { limit: 5, window_s: 3600 } } });
    const req = client();
    const w = await work(() => Promise.all(Array.from({ length: 50 }, () => req("POST", `/v1/${t}/signup`, { body: signupBody() }))));
    const statuses = w.value.map((r) => r.status);
    expect(statuses.filter((s) => s === 201).length).toBe(5);
    expect(statuses.filter((s) => s === 429).length).toBe(45);
    expect(w.hashed).toBe(5);
    expect(await rows(t, "SELECT id FROM users")).toHaveLength(5);
  });

  it("a password made under an outdated policy is answered stale_policy with the current one, and the router hashes once more under it", async () => {
    const t = await newTenant({ password: { hash: "pbkdf2-sha256", context_words: ["Zebracorn"] } });
    const email = `${uniq("u")}@example.com`;
    const gate = { email_norm: email, username_norm: null, meta: { ip: "203.0.113.9", userAgent: null }, turnstileVerified: false };
    const sent: NewPassword[] = [];
    // What a router that still had the defaults would do: argon2id, and none of the tenant's words.
    const w = await work(() =>
      withPolicy(PASSWORD, settingsSchema().parse({}).password, [], env, (password) => {
        sent.push(password);
        return stub(t).signup({ ...gate, email, username: null, password, metadata: {} }) as Promise<Result<unknown>>;
      }),
    );
    expect(w.value.ok, JSON.stringify(w.value)).toBe(true);
    expect(sent.map((p) => p.algorithm)).toEqual(["argon2id", "pbkdf2-sha256"]);
    // The tenant's own word, stored as compared, and what the tenant is known by (slug, name "Tenant {slug}").
    expect(sent[1].context_words).toContain("zebracorn");
    expect(sent[1].context_words).toContain(t);
    expect(sent[1].context_words).toContain("tenant");
    expect(w.hashed).toBe(2);
    expect(await rows(t, "SELECT algorithm FROM credentials")).toEqual([{ algorithm: "pbkdf2-sha256" }]);
  });

  it("the object refuses a password checked against an outdated list of context words, whatever its hash", async () => {
    const t = await newTenant({ password: { hash: "pbkdf2-sha256", context_words: ["zebracorn"] } });
    const email = `${uniq("u")}@example.com`;
    const gate = { email_norm: email, username_norm: null, meta: { ip: "203.0.113.9", userAgent: null }, turnstileVerified: false };
    const password = { hash: "not checked: refused before", algorithm: "pbkdf2-sha256", length: 40, context_words: [t] };
    const r = (await stub(t).signup({ ...gate, email, username: null, password, metadata: {} })) as Result<unknown>;
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe("stale_policy");
    expect((r.error.extra!.policy as { context_words: string[] }).context_words).toContain("zebracorn");
    expect(await rows(t, "SELECT id FROM users")).toHaveLength(0);
  });
});

describe("password reset hashes only for a live token", () => {
  it("an unknown token: 401 and no hash", async () => {
    const { t } = await tenantWithUser();
    await refusedForFree(() => call("POST", `/v1/${t}/password/reset`, { body: { token: "A".repeat(43), new_password: PASSWORD } }), 401, "invalid_token");
    await refusedForFree(() => call("POST", `/v1/${t}/password/reset`, { body: { token: "short", new_password: PASSWORD } }), 401, "invalid_token");
  });

  it("an expired token: 401 and no hash", async () => {
    const { t, email } = await tenantWithUser();
    const token = await resetToken(t, email);
    clock.advance(31 * 60_000);
    await refusedForFree(() => call("POST", `/v1/${t}/password/reset`, { body: { token, new_password: `${PASSWORD} 2` } }), 401, "invalid_token");
  });

  it("a used token, and one the user's secret version has moved past: 401 and no hash", async () => {
    const { t, email } = await tenantWithUser();
    const first = await resetToken(t, email);
    const second = await resetToken(t, email);
    expect((await call("POST", `/v1/${t}/password/reset`, { body: { token: first, new_password: `${PASSWORD} 2` } })).status).toBe(204);
    await refusedForFree(() => call("POST", `/v1/${t}/password/reset`, { body: { token: first, new_password: `${PASSWORD} 3` } }), 401, "invalid_token");
    await refusedForFree(() => call("POST", `/v1/${t}/password/reset`, { body: { token: second, new_password: `${PASSWORD} 3` } }), 401, "invalid_token");
  });

  it("a deleted tenant: 404 and no hash", async () => {
    const { t, email } = await tenantWithUser();
    const token = await resetToken(t, email);
    expect((await admin("DELETE", `/tenants/${t}`)).status).toBe(200);
    await refusedForFree(() => call("POST", `/v1/${t}/password/reset`, { body: { token, new_password: `${PASSWORD} 2` } }), 404, "tenant_not_found");
  });

  it("too short for the tenant: 400 and no hash, and the token still works", async () => {
    const { t, email } = await tenantWithUser({ password: { hash: "pbkdf2-sha256", min_length: 20 } });
    const token = await resetToken(t, email);
    await refusedForFree(() => call("POST", `/v1/${t}/password/reset`, { body: { token, new_password: "fifteen chars.." } }), 400, "password_policy");
    expect((await call("POST", `/v1/${t}/password/reset`, { body: { token, new_password: `${PASSWORD} and more words` } })).status).toBe(204);
  });

  it("20 parallel resets with one token: one succeeds, at most 3 hashes", async () => {
    const { t, email } = await tenantWithUser();
    const token = await resetToken(t, email);
    const w = await work(() => Promise.all(Array.from({ length: 20 }, (_, n) => call("POST", `/v1/${t}/password/reset`, { body: { token, new_password: `${PASSWORD} ${n}` } }))));
    expect(w.value.filter((r) => r.status === 204)).toHaveLength(1);
    expect(w.hashed).toBeLessThanOrEqual(3);
    for (const r of w.value.filter((r) => r.status !== 204)) expect(["invalid_token", "rate_limited"]).toContain(r.body.error.code);
  });
});

describe("login and PATCH /me check a password only when the object lets them", () => {
  it("login refused for the tenant, Turnstile, the per-IP limit or the lockout: no verification", async () => {
    await refusedForFree(() => call("POST", `/v1/${uniq("nope")}/login`, { body: { login: "a@example.com", password: PASSWORD } }), 404, "tenant_not_found");
    const t1 = await newTenant({ turnstile: { required_for: ["login"] } });
    await refusedForFree(() => call("POST", `/v1/${t1}/login`, { body: { login: "a@example.com", password: PASSWORD } }), 400, "turnstile_required");
    const { t, email } = await tenantWithUser({ rate_limits: { login: { limit: 2, window_s: 300 } }, lockout: { threshold: 1, base_s: 60, max_s: 60, hard_limit: 100 } });
    const req = client();
    const one = await work(() => req("POST", `/v1/${t}/login`, { body: { login: email, password: WRONG } }));
    expectError(one.value, 401, "invalid_credentials");
    expect(one.verified).toBe(1);
    await refusedForFree(() => req("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } }), 423, "locked");
    await refusedForFree(() => req("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } }), 429, "rate_limited");
  });

  it("PATCH /me: a wrong current password verifies once and hashes nothing; a locked account costs nothing", async () => {
    const t = await newTenant({ lockout: { threshold: 1, base_s: 60, max_s: 60, hard_limit: 100 } });
    const s = await signup(t);
    const patch = (current_password: string) => call("PATCH", `/v1/${t}/me`, { token: s.access_token, body: { current_password, new_password: `${PASSWORD} new` } });
    const wrong = await work(() => patch(WRONG));
    expectError(wrong.value, 401, "invalid_credentials");
    expect({ hashed: wrong.hashed, verified: wrong.verified }).toEqual({ hashed: 0, verified: 1 });
    await refusedForFree(() => patch(PASSWORD), 423, "locked");
  });
});
