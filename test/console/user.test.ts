/**
 * @module A user's console page beyond its sessions: passkeys (shown, deleted through the admin
 * API's flow, ending the sessions they signed in), linked identities (shown read-only), the
 * profile edit (the fields PATCH /users/{id} accepts, refusals next to the field), and a role
 * removed with or without ending the user's sessions.
 */
import { describe, expect, it } from "vitest";
import { admin, apiKey, call, expectError, newTenant, rows, signup } from "../helpers.ts";
import { signIn, userWithPasskey } from "../passkeys/kit.ts";
import { Console, operator } from "./kit.ts";

const keyId = (key: string) => /^wk_([0-9a-f]{16})\./.exec(key)![1];

describe("passkeys and linked identities", () => {
  it("lists the user's passkeys and deletes one through the operator flow: its sessions end, audited with the actor", async () => {
    const { t, user, access, auth, passkey } = await userWithPasskey();
    const byPasskey = (await signIn(t, auth)).body;
    const key = await apiKey(t, ["manage"]);
    const c = new Console();
    expect((await c.signIn(key, t)).status).toBe(303);
    const base = `/admin/t/${t}/users/${user.id}`;
    const page = await c.open(base);
    expect(page.html).toMatch(new RegExp(`<tr data-passkey="${passkey.id}"><td>${passkey.name}</td><td>${passkey.created_at}</td><td>[^<]+</td>`));
    expect(page.html).toContain(`aria-label="Delete passkey ${passkey.name}"`);
    expect((await c.post(`${base}/passkeys/pk_AAAAAAAAAAAAAAAA/delete`)).status).toBe(404);
    const r = await c.post(`${base}/passkeys/${passkey.id}/delete`);
    expect(r.location).toBe(`${base}?done=passkey`);
    expect((await c.open(r.location!)).html).toContain("Passkey deleted");
    expect((await admin("GET", `/tenants/${t}/users/${user.id}`)).body.passkeys).toEqual([]);
    expectError(await call("GET", `/v1/${t}/me`, { token: byPasskey.access_token }), 401, "invalid_token");
    expect((await call("GET", `/v1/${t}/me`, { token: access })).status).toBe(200);
    const [row] = await rows<{ actor: string; data: string }>(t, "SELECT actor, data FROM audit_log WHERE type = 'passkey.removed'");
    expect(row.actor).toBe(`key:${keyId(key)}`);
    expect(JSON.parse(row.data)).toMatchObject({ passkey: passkey.id, sessions: 1, by: "operator" });
  });

  it("shows linked identities (provider, subject, email, linked at) with no unlink button", async () => {
    const t = await newTenant();
    const u = await signup(t);
    const linked = Date.parse("2026-01-02T03:04:05Z");
    await rows(t, "INSERT INTO identities (id, user_id, provider_id, issuer, subject, email, email_verified, created_at, last_used_at) VALUES ('idn_AAAAAAAAAAAAAAAAAAAAAA', ?, 'google', 'https://accounts.google.com', '1234567890', 'ada@gmail.example', 1, ?, ?)", u.user.id, linked, linked);
    const c = await operator();
    const page = await c.open(`/admin/t/${t}/users/${u.user.id}`);
    expect(page.html).toContain('<tr data-identity="idn_AAAAAAAAAAAAAAAAAAAAAA"><td>google</td><td class="mono">1234567890</td><td>ada@gmail.example (verified)</td><td>2026-01-02T03:04:05.000Z</td>');
    expect(page.html).toContain("the admin API has no route to unlink an identity");
    expect(page.html).not.toMatch(/identities\/[^"]*\/(delete|unlink)/);
  });
});

describe("profile edit", () => {
  it("shows each refusal next to its field and changes nothing", async () => {
    const t = await newTenant();
    const u = await signup(t);
    const other = await signup(t);
    const c = await operator();
    const base = `/admin/t/${t}/users/${u.user.id}`;
    const page = await c.open(base);
    expect(page.html).toMatch(new RegExp(`<label for="f-email">Email</label><input id="f-email" name="email" type="text" value="${u.user.email}"`));
    expect(page.html).toMatch(/<textarea id="f-metadata" name="metadata"[^>]*>\{\}<\/textarea>/);
    const cases: [Record<string, string>, RegExp][] = [
      [{ email: "not-an-email" }, /id="f-email-error">not a valid email address</],
      [{ username: "x" }, /id="f-username-error">3–64 of a-z 0-9 . _ -</],
      [{ metadata: "{bad" }, /id="f-metadata-error">Not valid JSON.</],
      [{ metadata: "[1, 2]" }, /id="f-metadata-error">Invalid input: expected record, received array</],
      [{ email_verified: "maybe" }, /id="f-email_verified-error">Invalid input: expected boolean/],
      [{ email: other.user.email }, /id="f-email-error">That email or username is already taken.</],
    ];
    for (const [fields, error] of cases) {
      const r = await c.post(`${base}/profile`, fields);
      expect(r.status, JSON.stringify(fields)).toBe(400);
      expect(r.html, JSON.stringify(fields)).toMatch(error);
      // What was typed is shown again.
      const [k, v] = Object.entries(fields)[0];
      if (k !== "email_verified") expect(r.html).toContain(v.replace(/"/g, "&quot;").replace(/'/g, "&#39;"));
    }
    expect((await admin("GET", `/tenants/${t}/users/${u.user.id}`)).body.user).toMatchObject({ email: u.user.email, username: null, metadata: {}, email_verified: false });
    expect((await call("GET", `/v1/${t}/me`, { token: u.access_token })).status).toBe(200);
  });

  it("sends only what changed through the admin API's flow, audited with the actor; an identifier change ends the sessions", async () => {
    const t = await newTenant();
    const u = await signup(t);
    const c = await operator();
    const base = `/admin/t/${t}/users/${u.user.id}`;
    await c.open(base);
    const same = { email: u.user.email, username: "", email_verified: "false", status: "active", metadata: "{}" };
    expect((await c.post(`${base}/profile`, same)).location).toBe(`${base}?done=unchanged`);
    expect(await rows(t, "SELECT 1 FROM audit_log WHERE type IN ('user.updated', 'credential.change')")).toEqual([]);

    // A textarea's line breaks arrive as CRLF.
    const r = await c.post(`${base}/profile`, { ...same, username: "Ada_L", metadata: '{\r\n  "plan": "pro"\r\n}' });
    expect(r.location).toBe(`${base}?done=profile`);
    expect((await c.open(r.location!)).html).toContain("Profile saved.");
    const now = (await admin("GET", `/tenants/${t}/users/${u.user.id}`)).body.user;
    expect(now).toMatchObject({ email: u.user.email, username: "Ada_L", metadata: { plan: "pro" } });
    const audit = await rows<{ type: string; actor: string; data: string }>(t, "SELECT type, actor, data FROM audit_log WHERE type IN ('user.updated', 'credential.change') ORDER BY id");
    expect(audit.map((a) => [a.type, a.actor, JSON.parse(a.data)])).toEqual([
      ["credential.change", "admin", { email: false, username: true }],
      ["user.updated", "admin", { fields: ["metadata"] }],
    ]);
    expectError(await call("GET", `/v1/${t}/me`, { token: u.access_token }), 401, "invalid_token");

    const off = await c.post(`${base}/profile`, { ...same, username: "Ada_L", metadata: '{"plan":"pro"}', status: "disabled" });
    expect(off.location).toBe(`${base}?done=profile`);
    expect((await admin("GET", `/tenants/${t}/users/${u.user.id}`)).body.user.status).toBe("disabled");
    expect((await rows<{ actor: string }>(t, "SELECT actor FROM audit_log WHERE type = 'user.disabled'"))[0].actor).toBe("admin");
    // Nothing but the status was sent.
    expect(await rows(t, "SELECT 1 FROM audit_log WHERE type IN ('user.updated', 'credential.change')")).toHaveLength(2);
  });
});

describe("memberships", () => {
  it("removing a role offers ending the sessions (the API's ?revoke=true): unchecked the tokens live on, checked they die", async () => {
    const t = await newTenant();
    await admin("POST", `/tenants/${t}/roles`, { name: "support", scopes: ["tickets:read"] });
    await admin("POST", `/tenants/${t}/roles`, { name: "billing", scopes: ["invoices:read"] });
    const u = await signup(t);
    for (const r of ["support", "billing"]) expect((await admin("PUT", `/tenants/${t}/users/${u.user.id}/roles/${r}`)).status).toBe(204);
    const c = await operator();
    const base = `/admin/t/${t}/users/${u.user.id}`;
    const page = await c.open(base);
    expect(page.html).toMatch(/<label class="check" for="f-revoke-support"><input type="checkbox" id="f-revoke-support" name="revoke" value="1"\/> and end the user&#39;s sessions now<\/label>/);

    expect((await c.post(`${base}/roles/remove`, { role: "support" })).location).toBe(`${base}?done=remove`);
    expect((await call("GET", `/v1/${t}/me`, { token: u.access_token })).status).toBe(200);
    const r = await c.post(`${base}/roles/remove`, { role: "billing", revoke: "1" });
    expect(r.location).toBe(`${base}?done=remove-revoke`);
    expect((await c.open(r.location!)).html).toContain("Role removed; every session of the user ended.");
    expectError(await call("GET", `/v1/${t}/me`, { token: u.access_token }), 401, "invalid_token");
    expect((await admin("GET", `/tenants/${t}/users/${u.user.id}`)).body.roles).toEqual([]);
    const audit = await rows<{ actor: string; data: string }>(t, "SELECT actor, data FROM audit_log WHERE type = 'role.removed' ORDER BY id");
    expect(audit.map((a) => [a.actor, JSON.parse(a.data)])).toEqual([
      ["admin", { role: "support", revoke: false }],
      ["admin", { role: "billing", revoke: true }],
    ]);
    expect((await c.post(`${base}/roles/remove`, { role: "billing", revoke: "yes" })).status).toBe(400);
  });
});

describe("signing every user out", () => {
  it("7.4.5 the users page's button ends every session of the tenant (CSRF-checked), says how many, and audits the console's actor", async () => {
    const t = await newTenant();
    const a = await signup(t);
    const b = await signup(t);
    const key = await apiKey(t, ["manage"]);
    const c = new Console();
    expect((await c.signIn(key, t)).status).toBe(303);
    const page = await c.open(`/admin/t/${t}/users`);
    expect(page.html).toContain(`action="/admin/t/${t}/sessions/revoke"`);
    expect(page.html).toContain(">Sign every user out</button>");
    // Without the page's CSRF token nothing happens.
    expect((await c.post(`/admin/t/${t}/sessions/revoke`, {}, { csrf: null })).status).toBe(403);
    expect((await call("GET", `/v1/${t}/me`, { token: a.access_token })).status).toBe(200);

    const r = await c.post(`/admin/t/${t}/sessions/revoke`);
    expect(r.status).toBe(303);
    expect(r.location).toBe(`/admin/t/${t}/users?signed_out=2`);
    expect((await c.open(r.location!)).html).toContain("Every user signed out: 2 sessions ended.");
    for (const s of [a, b]) expectError(await call("GET", `/v1/${t}/me`, { token: s.access_token }), 401, "invalid_token");
    const [row] = await rows<{ actor: string; data: string }>(t, "SELECT actor, data FROM audit_log WHERE type = 'tenant.revoked'");
    expect(row.actor).toBe(`key:${keyId(key)}`);
    expect(JSON.parse(row.data)).toEqual({ sessions: 2 });
    expect((await c.open(`/admin/t/${t}/users?signed_out=x`)).status).toBe(400);
  });
});
