/**
 * @module The linking rules of an upstream sign-in: never on an unverified upstream email; an
 * unverified local account is claimed; a verified one links only after its owner signs in
 * locally and confirms (unless the provider is trusted); no second account with one email.
 * And the user's own list and unlink, with step-up and the last-way-in rule.
 */
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { admin, call, count, login, PASSWORD, rows, signup, uniq } from "../helpers.ts";
import { totp } from "../account/kit.ts";
import { Browser, field } from "../pages/kit.ts";
import { federatedSignIn, federation, identitiesIn, sessionsOf, toCallback, upstreamUser, useUpstream } from "./kit.ts";

useUpstream();

describe("linking", () => {
  it("an unverified upstream email never links to an existing account, and no second account is made", async () => {
    const { a, b, id } = await federation();
    const email = `${uniq("u")}@example.com`;
    for (const verifiedLocally of [true, false]) {
      const local = await signup(a, { email: verifiedLocally ? email : `x${email}` });
      if (verifiedLocally) await rows(a, "UPDATE users SET email_verified = 1 WHERE id = ?", local.user.id);
    }
    for (const target of [email, `x${email}`]) {
      const u = await upstreamUser(b, { email: target, verified: false });
      const { page } = await federatedSignIn(a, b, id, u.email);
      expect(page.status).toBe(409);
      expect(page.html).toContain("idp_account_exists");
    }
    expect(await count(a, "identities")).toBe(0);
    expect(await count(a, "users")).toBe(2);
    expect(await count(a, "credentials")).toBe(2);
  });

  it("a verified upstream email claims an unverified local account: its password and sessions are gone", async () => {
    const { a, b, id } = await federation();
    const email = `${uniq("u")}@example.com`;
    const squatter = await signup(a, { email });
    const u = await upstreamUser(b, { email });
    const { page } = await federatedSignIn(a, b, id, u.email);
    expect(page.status).toBe(200);
    const [user] = await rows<{ id: string; email_verified: number }>(a, "SELECT id, email_verified FROM users");
    expect(user).toEqual({ id: squatter.user.id, email_verified: 1 });
    expect(await count(a, "credentials")).toBe(0);
    expect((await call("GET", `/v1/${a}/me`, { token: squatter.access_token })).status).toBe(401);
    const [claim] = await rows<{ data: string }>(a, "SELECT data FROM audit_log WHERE type = 'account.claimed'");
    expect(JSON.parse(claim.data)).toMatchObject({ via: "upstream_idp", removed: expect.arrayContaining(["password"]) });
    expect(await count(a, "identities", "user_id = ?", squatter.user.id)).toBe(1);
  });

  it("a claim also removes identities linked before the proof", async () => {
    const { a, b, id } = await federation();
    const email = `${uniq("u")}@example.com`;
    const squatter = await signup(a, { email });
    await rows(a, "INSERT INTO identities (id, user_id, provider_id, issuer, subject, email, email_verified, created_at, last_used_at) VALUES ('idn_AAAAAAAAAAAAAAAAAAAAAA', ?, 'other', 'https://other.example', 'attacker', NULL, 0, 0, 0)", squatter.user.id);
    const u = await upstreamUser(b, { email });
    expect((await federatedSignIn(a, b, id, u.email)).page.status).toBe(200);
    expect((await identitiesIn(a)).map((r) => r.provider_id)).toEqual([id]);
  });

  it("a verified local account links only after its owner signs in locally and confirms", async () => {
    const { a, b, id } = await federation();
    const email = `${uniq("u")}@example.com`;
    const owner = await signup(a, { email });
    await rows(a, "UPDATE users SET email_verified = 1 WHERE id = ?", owner.user.id);
    const u = await upstreamUser(b, { email });
    const browser = new Browser();
    const { page } = await federatedSignIn(a, b, id, u.email, browser);
    expect(page.status).toBe(409);
    expect(page.html).toContain("already exists");
    expect(page.html).toContain(`/v1/${a}/pages/sign-in`);
    expect(await count(a, "identities"), "identities after 409").toBe(0);
    expect(await count(a, "sessions"), "no session from the upstream sign-in").toBe(1);
    // The owner signs in with the password, in the same browser, and is asked.
    const signIn = await browser.get(`/v1/${a}/pages/sign-in`);
    const confirm = await browser.submit(signIn, `/v1/${a}/pages/sign-in`, { login: email, password: PASSWORD });
    expect(confirm.status).toBe(200);
    expect(confirm.html).toContain("Link Tenant B");
    expect(await count(a, "identities"), "identities at confirm").toBe(0);
    const done = await browser.submit(confirm, `/v1/${a}/pages/idp/link`);
    expect(done.status, done.html.slice(0, 300)).toBe(200);
    expect(done.html).toContain("Tenant B is linked");
    const [idn] = await identitiesIn(a);
    expect(idn).toMatchObject({ user_id: owner.user.id, provider_id: id, subject: u.id });
    // From now on B signs the owner in directly.
    expect((await federatedSignIn(a, b, id, u.email)).page.status).toBe(200);
    expect(await count(a, "users")).toBe(1);
  });

  it("the pending link cannot be confirmed by another account, nor by the federated session itself", async () => {
    const { a, b, id } = await federation();
    const email = `${uniq("u")}@example.com`;
    const owner = await signup(a, { email });
    await rows(a, "UPDATE users SET email_verified = 1 WHERE id = ?", owner.user.id);
    const other = `${uniq("o")}@example.com`;
    await signup(a, { email: other });
    const u = await upstreamUser(b, { email });
    const browser = new Browser();
    expect((await federatedSignIn(a, b, id, u.email, browser)).page.status).toBe(409);
    // Another account signs in in this browser: no confirmation page, and a forged POST links nothing.
    const signIn = await browser.get(`/v1/${a}/pages/sign-in`);
    const after = await browser.submit(signIn, `/v1/${a}/pages/sign-in`, { login: other, password: PASSWORD });
    expect(after.html).not.toContain("Link Tenant B");
    const forged = await browser.submit(after, `/v1/${a}/pages/idp/link`, { csrf: (await browser.get(`/v1/${a}/pages/sign-in`)).html.match(/name="csrf" value="([^"]+)"/)![1] });
    expect(forged.status).toBe(400);
    expect(await count(a, "identities")).toBe(0);
  });

  it("a provider trusted for verified emails links a verified local account at once", async () => {
    const { a, b, id } = await federation({ provider: { trust_verified_email: true } });
    const email = `${uniq("u")}@example.com`;
    const owner = await signup(a, { email });
    await rows(a, "UPDATE users SET email_verified = 1 WHERE id = ?", owner.user.id);
    const u = await upstreamUser(b, { email });
    expect((await federatedSignIn(a, b, id, u.email)).page.status).toBe(200);
    expect((await identitiesIn(a))[0].user_id).toBe(owner.user.id);
    expect(await count(a, "credentials")).toBe(1);
  });

  it("no account and sign-up closed: refused, nothing created", async () => {
    const { a, b, id } = await federation({ settingsA: { signup: { enabled: false } } });
    const u = await upstreamUser(b);
    const { page } = await federatedSignIn(a, b, id, u.email);
    expect(page.status).toBe(400);
    expect(page.html).toContain("idp_signup_disabled");
    expect(await count(a, "users")).toBe(0);
  });

  it("a user with TOTP still enters a code after a federated sign-in (require_mfa, the default)", async () => {
    const { a, b, id } = await federation();
    const u = await upstreamUser(b);
    const first = await federatedSignIn(a, b, id, u.email);
    expect(first.page.status).toBe(200);
    const [user] = await rows<{ id: string }>(a, "SELECT id FROM users");
    const enrolled = await enrolTotp(a, user.id);
    const again = await federatedSignIn(a, b, id, u.email, new Browser());
    expect(again.page.status).toBe(200);
    expect(again.page.html).toContain('name="mfa_token"');
    expect(await count(a, "sessions")).toBe(1);
    const done = await again.browser.submit(again.page, `/v1/${a}/pages/sign-in/mfa`, { code: totp(enrolled) });
    expect(done.status, done.html.slice(0, 300)).toBe(200);
    const s = (await sessionsOf(a)).at(-1)!;
    expect(JSON.parse(s.amr)).toEqual(["fed", "otp"]);
  });
});

describe("a tenant that requires a second factor", () => {
  it("6.3.3 a federated sign-in adds a TOTP before the session, even with require_mfa off, then amr is [fed, otp]", async () => {
    const { a, b, id } = await federation({ provider: { require_mfa: false }, settingsA: { mfa: { required: true } } });
    const u = await upstreamUser(b);
    const { browser, page } = await federatedSignIn(a, b, id, u.email);
    expect(page.status, page.html.slice(0, 300)).toBe(200);
    expect(page.html).toContain('href="otpauth://totp/');
    expect(await count(a, "sessions")).toBe(0);
    const secret = field(page.html, "secret")!;
    const done = await browser.submit(page, `/v1/${a}/pages/sign-in/mfa/enroll`, { code: totp(secret), secret, otpauth_uri: field(page.html, "otpauth_uri")! });
    expect(done.status, done.html.slice(0, 300)).toBe(200);
    expect(done.html).toContain('id="recovery-codes"');
    expect(JSON.parse((await sessionsOf(a)).at(-1)!.amr)).toEqual(["fed", "otp"]);
  });
});

/** Puts a confirmed TOTP on the user directly (the enrolment routes have their own tests); returns the base32 secret. */
async function enrolTotp(a: string, userId: string): Promise<string> {
  const { runInDurableObject } = await import("cloudflare:test");
  const { stub } = await import("../helpers.ts");
  const { base32Encode } = await import("../../src/crypto/base32.ts");
  const secret = crypto.getRandomValues(new Uint8Array(20));
  await runInDurableObject(stub(a), async (o) => {
    const b = await o.begin();
    if (!b.ok) throw new Error("no tenant");
    const ctx = b.value;
    const sealed = await o.sealer.seal(secret, "totp-secret", ctx.slug, userId);
    o.tx(ctx, () => ctx.sql.exec("INSERT INTO mfa_totp (user_id, secret, created_at, confirmed_at, last_step) VALUES (?, ?, ?, ?, NULL)", userId, sealed, ctx.now, ctx.now));
  });
  return base32Encode(secret);
}

describe("the user's identities", () => {
  it("lists them, and a recently authenticated user with a password unlinks one", async () => {
    const { a, b, id } = await federation();
    const email = `${uniq("u")}@example.com`;
    const owner = await signup(a, { email });
    await rows(a, "UPDATE users SET email_verified = 1 WHERE id = ?", owner.user.id);
    await rows(a, "UPDATE identity_providers SET config = json_set(config, '$.trust_verified_email', json('true'))");
    const u = await upstreamUser(b, { email });
    expect((await federatedSignIn(a, b, id, u.email)).page.status).toBe(200);
    const tok = (await login(a, email)).body.access_token;
    const list = await call("GET", `/v1/${a}/identities`, { token: tok });
    expect(list.status).toBe(200);
    expect(list.body.identities).toEqual([expect.objectContaining({ provider: id, email, email_verified: true, subject: u.id })]);
    const idn = list.body.identities[0].id;
    // A fresh password sign-in is a recent authentication, and the password stays as a way in.
    const r = await call("DELETE", `/v1/${a}/identities/${idn}`, { token: tok });
    expect(r.status).toBe(204);
    expect((await call("DELETE", `/v1/${a}/identities/${idn}`, { token: tok })).status).toBe(404);
    expect(await count(a, "identities")).toBe(0);
  });

  it("a stale session cannot unlink without a proof; a federated-only account cannot unlink its last way in", async () => {
    const { a, b, id } = await federation();
    const u = await upstreamUser(b);
    expect((await federatedSignIn(a, b, id, u.email)).page.status).toBe(200);
    // A token for the federated-only user, as the app would get it through /oauth/authorize.
    const [user] = await rows<{ id: string }>(a, "SELECT id FROM users");
    const { issueTokenFor } = await import("./tokens.ts");
    const token = await issueTokenFor(a, user.id, ["fed"]);
    const idn = (await call("GET", `/v1/${a}/identities`, { token })).body.identities[0].id;
    const last = await call("DELETE", `/v1/${a}/identities/${idn}`, { token });
    expect(last.status).toBe(409);
    expect(last.body.error.code).toBe("conflict");
    clock.advance(6 * 60_000);
    const stale = await call("DELETE", `/v1/${a}/identities/${idn}`, { token });
    expect(stale.status).toBe(401);
    expect(stale.body.error.code).toBe("reauth_required");
    expect(await count(a, "identities")).toBe(1);
    // Operators see it in the user view.
    const detail = await admin("GET", `/tenants/${a}/users/${user.id}`);
    expect(detail.body.identities).toEqual([expect.objectContaining({ id: idn, provider: id })]);
  });
});
