/**
 * @module A user's console page beyond its sessions: passkeys (shown, deleted through the admin
 * API's flow, ending the sessions they signed in), linked identities (shown read-only), the
 * profile edit (the fields PATCH /users/{id} accepts, refusals next to the field), and a role
 * removed with or without ending the user's sessions.
 */
import { describe, expect, it } from "vitest";
import { admin, apiKey, call, expectError, newTenant, rows, signup, uniq } from "../helpers.ts";
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
