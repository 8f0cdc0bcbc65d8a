/**
 * @module Magic links: 202 for every address, a 256-bit single-use
 * token stored hashed and delivered through the webhook, sign-in with `amr: ["email"]`, and
 * accounts created on first use when the tenant lets people sign up by email.
 */
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { sha256B64 } from "../../src/crypto/digest.ts";
import { admin, call, expectError, newTenant, PASSWORD, uniq } from "../helpers.ts";
import { claims, client, DELIVERY, inbox, lastMessage, useMockOutbound, rows, tenantWithUser } from "./kit.ts";

const out = useMockOutbound();

const verify = (t: string, token: string) => client()("POST", `/v1/${t}/magic-link/verify`, { body: { token } });

describe("requesting a link", () => {
  it("6.3.8 known and unknown addresses get the same 202 and the same body", async () => {
    const { t, email } = await tenantWithUser();
    expect((await admin("PATCH", `/tenants/${t}`, { settings: { signup: { enabled: false } } })).status).toBe(200);
    const known = await client()("POST", `/v1/${t}/magic-link`, { body: { email } });
    const unknown = await client()("POST", `/v1/${t}/magic-link`, { body: { email: `${uniq("x")}@example.com` } });
    expect([known.status, unknown.status]).toEqual([202, 202]);
    expect(unknown.body).toEqual(known.body);
    expect(unknown.headers.get("cache-control")).toBe("no-store");
    const sent = await inbox(out, t);
    expect(sent.map((m) => m.email)).toEqual([email]);
  });

  // ASVS 6.4.1, 6.5.2, 6.5.4
  it("6.5.3 sends a 256-bit token, valid 15 minutes, stored only as its SHA-256", async () => {
    const { t, email } = await tenantWithUser();
    const before = Date.now();
    await client()("POST", `/v1/${t}/magic-link`, { body: { email: email.toUpperCase() } });
    const m = await lastMessage(out, t, "magic_link", email);
    expect(Object.keys(m).sort()).toEqual(["email", "expires_at", "tenant", "token", "type"]);
    expect(m.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const ttl = Date.parse(m.expires_at) - before;
    expect(ttl).toBeGreaterThan(14 * 60_000);
    expect(ttl).toBeLessThanOrEqual(15 * 60_000 + 5_000);
    const stored = await rows<{ hash: string; purpose: string }>(t, "SELECT hash, purpose FROM one_time_tokens WHERE purpose = 'magic_link'");
    expect(stored).toEqual([{ hash: sha256B64(m.token), purpose: "magic_link" }]);
  });

  it("refuses an address that is not one", async () => {
    const { t } = await tenantWithUser();
    expectError(await client()("POST", `/v1/${t}/magic-link`, { body: { email: "not-an-address" } }), 400, "invalid_request");
    expectError(await client()("POST", `/v1/${t}/magic-link`, { body: {} }), 400, "invalid_request");
    expectError(await client()("POST", `/v1/${t}/magic-link`, { body: { email: "a@example.com", extra: true } }), 400, "invalid_request");
  });
});

describe("using a link", () => {
  it("7.2.4 signs in with a new session, amr [email], and marks the email verified", async () => {
    const { t, email, access } = await tenantWithUser();
    await client()("POST", `/v1/${t}/magic-link`, { body: { email } });
    const r = await verify(t, (await lastMessage(out, t, "magic_link", email)).token);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(r.body.token_type).toBe("Bearer");
    expect(claims(r.body.access_token).amr).toEqual(["email"]);
    expect(r.body.session_id).not.toBe(claims(access).sid);
    expect(r.body.user.email_verified).toBe(true);
  });

  // ASVS 6.4.1
  it("6.5.1 works once", async () => {
    const { t, email } = await tenantWithUser();
    await client()("POST", `/v1/${t}/magic-link`, { body: { email } });
    const { token } = await lastMessage(out, t, "magic_link", email);
    expect((await verify(t, token)).status).toBe(200);
    expectError(await verify(t, token), 401, "invalid_token");
  });

  it("6.5.1 two parallel uses of one link: exactly one signs in", async () => {
    const { t, email } = await tenantWithUser();
    await client()("POST", `/v1/${t}/magic-link`, { body: { email } });
    const { token } = await lastMessage(out, t, "magic_link", email);
    const rs = await Promise.all([verify(t, token), verify(t, token)]);
    expect(rs.map((r) => r.status).sort()).toEqual([200, 401]);
  });

  it("6.5.5 expires after 15 minutes", async () => {
    const { t, email } = await tenantWithUser();
    await client()("POST", `/v1/${t}/magic-link`, { body: { email } });
    const { token } = await lastMessage(out, t, "magic_link", email);
    clock.advance(15 * 60_000 + 1_000);
    expectError(await verify(t, token), 401, "invalid_token");
  });

  // ASVS 6.6.2
  it("dies when the password changes before it is used (bound to the secret version)", async () => {
    const { t, email, access } = await tenantWithUser();
    await client()("POST", `/v1/${t}/magic-link`, { body: { email } });
    const { token } = await lastMessage(out, t, "magic_link", email);
    const p = await call("PATCH", `/v1/${t}/me`, { token: access, body: { current_password: PASSWORD, new_password: "another long passphrase 42" } });
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    expectError(await verify(t, token), 401, "invalid_token");
  });

  // ASVS 6.6.2
  it("refuses forged, malformed and other-purpose tokens", async () => {
    const { t, email, access } = await tenantWithUser();
    expectError(await verify(t, "A".repeat(43)), 401, "invalid_token");
    expectError(await verify(t, "short"), 401, "invalid_token");
    expectError(await verify(t, "A".repeat(200)), 400, "invalid_request");
    expect((await call("POST", `/v1/${t}/email/verify/request`, { token: access })).status).toBe(202);
    expectError(await verify(t, (await lastMessage(out, t, "email_verify", email)).token), 401, "invalid_token");
  });
});

describe("unknown addresses", () => {
  // ASVS 6.4.1
  it("with email sign-up enabled, the link creates a verified, password-less account when used", async () => {
    const t = await newTenant(DELIVERY);
    const email = `${uniq("new")}@Example.com`;
    expect((await client()("POST", `/v1/${t}/magic-link`, { body: { email } })).status).toBe(202);
    expect(await rows(t, "SELECT id FROM users")).toHaveLength(0);
    const m = await lastMessage(out, t, "magic_link", email);
    const r = await verify(t, m.token);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.user).toMatchObject({ email, email_verified: true, mfa_enabled: false });
    expect(claims(r.body.access_token).amr).toEqual(["email"]);
    expectError(await client()("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } }), 401, "invalid_credentials");
    // The account now exists: the next link signs the same user in.
    await client()("POST", `/v1/${t}/magic-link`, { body: { email } });
    const again = await verify(t, (await lastMessage(out, t, "magic_link", email)).token);
    expect(again.body.user.id).toBe(r.body.user.id);
  });

  it("sends nothing when sign-up is disabled or does not use email", async () => {
    for (const signup of [{ enabled: false }, { identifiers: ["username"] }]) {
      const t = await newTenant({ ...DELIVERY, signup });
      expect((await client()("POST", `/v1/${t}/magic-link`, { body: { email: `${uniq("x")}@example.com` } })).status).toBe(202);
      expect(await inbox(out, t)).toHaveLength(0);
    }
  });

  it("a link sent to an unknown address signs in whoever signed up with it meanwhile", async () => {
    const t = await newTenant(DELIVERY);
    const email = `${uniq("late")}@example.com`;
    await client()("POST", `/v1/${t}/magic-link`, { body: { email } });
    const { token } = await lastMessage(out, t, "magic_link", email);
    const s = await client()("POST", `/v1/${t}/signup`, { body: { email, password: PASSWORD } });
    expect(s.status).toBe(201);
    const r = await verify(t, token);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.user.id).toBe(s.body.user.id);
  });
});
