/**
 * @module Context-specific words (ASVS 6.1.2, 6.2.11): a new password may not lean on what the
 * service or the account is known by. The tenant's slug, its name and its pages' display name
 * always count, with `password.context_words` from the settings and the account's own
 * identifiers (username, the email's local part, its domain's labels). They do not count
 * toward `password.min_length`. The same rule holds on every way a password is set: sign-up,
 * reset and the account's own change.
 */
import { describe, expect, it } from "vitest";
import { passwordWork } from "../../src/crypto/password.ts";
import { admin, call, expectError, newTenant, PASSWORD, rows, signup, uniq, type Call } from "../helpers.ts";
import { client, lastMessage, tenantWithUser, useMockOutbound } from "./kit.ts";
import { Browser, field } from "../pages/kit.ts";

const out = useMockOutbound();

/** A 400 `password_policy` with the reason `context_word`, and no hash spent on it. */
async function refusedAsContextWord(fn: () => Promise<Call>): Promise<void> {
  const before = passwordWork().hashed;
  const r = await fn();
  expectError(r, 400, "password_policy");
  expect(r.body.error.details).toEqual([{ reason: "context_word", min_length: 12 }]);
  expect(passwordWork().hashed).toBe(before);
}

const signupAs = (t: string, email: string, password: string, username?: string) =>
  client()("POST", `/v1/${t}/signup`, { body: { email, password, ...(username ? { username } : {}) } });

describe("sign-up", () => {
  it("6.2.11 refuses a password built on the tenant's slug, its name or a configured word, and creates nothing", async () => {
    const t = await newTenant({ password: { hash: "pbkdf2-sha256", context_words: ["Zebracorn"] }, branding: { display_name: "Quokka Cloud" } });
    const email = `${uniq("u")}@example.com`;
    await refusedAsContextWord(() => signupAs(t, email, `${t}-2026!`));
    await refusedAsContextWord(() => signupAs(t, email, "ZEBRACORN2026!"));
    await refusedAsContextWord(() => signupAs(t, email, "QuokkaCloud#1!"));
    await refusedAsContextWord(() => signupAs(t, email, "quokka-cloud-12"));
    expect(await rows(t, "SELECT id FROM users")).toHaveLength(0);
    // A passphrase that holds a word but is long enough without it is fine.
    expect((await signupAs(t, email, "zebracorn violet ferry umbrella")).status).toBe(201);
  });

  it("6.2.11 refuses a password built on the account's own email or username", async () => {
    const t = await newTenant();
    const local = uniq("jane");
    const email = `${local}@quolldomain.example`;
    await refusedAsContextWord(() => signupAs(t, email, `${local}!2026`));
    await refusedAsContextWord(() => signupAs(t, email, "Quolldomain-2026"));
    await refusedAsContextWord(() => signupAs(t, email, "Marsupial99!?", "marsupial99"));
    expect((await signupAs(t, email, PASSWORD)).status).toBe(201);
  });

  it("6.2.11 the hosted sign-up page says why, keeps the address, and creates nothing", async () => {
    const t = await newTenant({ password: { hash: "pbkdf2-sha256", min_length: 14, context_words: ["zebracorn"] } });
    const b = new Browser();
    const page = await b.get(`/v1/${t}/pages/sign-up`);
    // The hint says the tenant's own minimum, and that names do not count.
    expect(page.html).toContain("At least 14 characters, not counting this service&#39;s name or your own email or username.");
    expect(page.html).toMatch(/name="password"[^>]*minlength="14"/);
    const email = `${uniq("u")}@example.com`;
    const r = await b.submit(page, `/v1/${t}/pages/sign-up`, { email, password: "zebracorn2026!!!!!" });
    expect(r.status).toBe(400);
    expect(r.html).toContain("leans on a name this service or this account is known by");
    expect(field(r.html, "email")).toBe(email);
    expect(await rows(t, "SELECT id FROM users")).toHaveLength(0);
  });
});

describe("reset and change", () => {
  it("6.2.11 a reset refuses the account's identifiers and leaves the token usable", async () => {
    const { t, email } = await tenantWithUser();
    const local = email.split("@")[0];
    expect((await client()("POST", `/v1/${t}/password/forgot`, { body: { email } })).status).toBe(202);
    const token = (await lastMessage(out, t, "password_reset", email)).token;
    await refusedAsContextWord(() => client()("POST", `/v1/${t}/password/reset`, { body: { token, new_password: `${local}#1` } }));
    expect((await client()("POST", `/v1/${t}/password/reset`, { body: { token, new_password: "a brand new passphrase 2026" } })).status).toBe(204);
  });

  it("6.2.11 PATCH /me refuses the tenant's words and the account's identifiers, the new ones included", async () => {
    const t = await newTenant({ password: { hash: "pbkdf2-sha256", context_words: ["zebracorn"] } });
    const s = await signup(t, { username: "numbat77" });
    const change = (body: Record<string, unknown>) => call("PATCH", `/v1/${t}/me`, { token: s.access_token, body: { current_password: PASSWORD, ...body } });
    await refusedAsContextWord(() => change({ new_password: "Zebracorn#2026" }));
    await refusedAsContextWord(() => change({ new_password: "numbat77numbat77!" }));
    await refusedAsContextWord(() => change({ new_password: "bilbycreek!!77", new_username: "bilbycreek" }));
    const ok = await change({ new_password: "violet ferry umbrella tide" });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
  });

  it("a refused new password does not count as an attempt on the account: it is refused before the current one is checked", async () => {
    const t = await newTenant({ password: { hash: "pbkdf2-sha256", context_words: ["zebracorn"] }, lockout: { threshold: 2, base_s: 60, max_s: 900, hard_limit: 100 } });
    const s = await signup(t);
    const before = passwordWork().verified;
    for (let i = 0; i < 4; i++) {
      await refusedAsContextWord(() => call("PATCH", `/v1/${t}/me`, { token: s.access_token, body: { current_password: PASSWORD, new_password: `zebracorn${i}!!` } }));
    }
    // Not one verification of the current password was spent on them, so no lockout either.
    expect(passwordWork().verified).toBe(before);
    const ok = await call("PATCH", `/v1/${t}/me`, { token: s.access_token, body: { current_password: PASSWORD, new_password: "violet ferry umbrella tide" } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
  });

  it("a word added to the settings counts at once, for the next password set", async () => {
    const t = await newTenant();
    const email = `${uniq("u")}@example.com`;
    expect((await admin("PATCH", `/tenants/${t}`, { settings: { password: { context_words: ["Platypus"] } } })).status).toBe(200);
    await refusedAsContextWord(() => signupAs(t, email, "platypus-2026!"));
  });
});

describe("settings", () => {
  it("6.1.2 stores the words as compared (NFKC, lower case, trimmed) and refuses short ones", async () => {
    const t = await newTenant();
    const r = await admin("PATCH", `/tenants/${t}`, { settings: { password: { context_words: [" ＡｃｍｅＣｏｒｐ "] } } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.settings.password.context_words).toEqual(["acmecorp"]);
    expectError(await admin("PATCH", `/tenants/${t}`, { settings: { password: { context_words: ["abc"] } } }), 400, "invalid_request");
    expect((await admin("GET", `/tenants/${t}`)).body.settings.password.context_words).toEqual(["acmecorp"]);
  });
});
