/// <reference types="node" />
/**
 * @module The admin console in Debian's Firefox ESR (WebDriver BiDi, test/browser/firefox.ts)
 * on the server `npm start` runs: sign in with the admin token, create a tenant, see a
 * setting's validation error next to its field, save a valid one, find a user and end their
 * session, sign out. Plain HTML forms all the way, as the console is built. Never skipped:
 * without Firefox the test fails (.ci/run installs it).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { adminCall } from "../e2e/jar.ts";
import { useServer } from "../e2e/server.ts";
import { launchFirefox } from "./firefox.ts";
import { PASSWORD, postJson } from "./kit.ts";

const server = useServer();

test("the console in firefox: sign in, a tenant, a setting refused then saved, a user's session ended, sign out", { timeout: 240_000 }, async () => {
  const slug = `ffx${Date.now().toString(36)}`;
  const ff = await launchFirefox();
  try {
    await ff.goto(`${server.url}/admin/`);
    await ff.fill("Admin token or API key", server.adminToken);
    await ff.submit("Sign in");
    await ff.waitForText("Tenants");

    await ff.fill("Slug", slug);
    await ff.fill("Name", "Firefox Co");
    await ff.submit("Create tenant");
    await ff.waitForText(`Tenant ${slug} created.`);

    await ff.goto(`${server.url}/admin/t/${slug}/settings`);
    await ff.fill("access_ttl_s", "10");
    await ff.submit("Preview");
    const error = await ff.eval<string>(`return document.getElementById("f-s-access_ttl_s-error")?.textContent ?? "";`);
    assert.match(error, /expected number to be >=60/);
    assert.equal(await ff.eval(`return document.querySelector("[name='s.access_ttl_s'], #f-s-access_ttl_s")?.getAttribute("aria-invalid");`), "true");
    await ff.fill("access_ttl_s", "600");
    await ff.fill("password.hash", "pbkdf2-sha256");
    await ff.submit("Preview");
    await ff.waitForText("The merged settings are valid");
    await ff.submit("Save settings");
    await ff.waitForText("Settings saved.");
    assert.equal((await adminCall(server, "GET", `/tenants/${slug}`)).settings.access_ttl_s, 600);

    // A user with a session, found by prefix and ended from their page.
    const issuer = `${server.url}/v1/${slug}`;
    const s = await postJson(`${issuer}/signup`, { email: "grace@example.com", password: PASSWORD });
    await ff.goto(`${server.url}/admin/t/${slug}/users`);
    await ff.fill("Email or username starts with", "grace");
    await ff.submit("Search");
    await ff.waitForText("grace@example.com");
    await ff.goto(`${server.url}/admin/t/${slug}/users/${s.user.id}`);
    await ff.waitForText(s.session_id);
    await ff.submit("Revoke every session");
    await ff.waitForText("Every session ended.");
    const introspect = await fetch(`${server.url}/v1/admin/tenants/${slug}/users/${s.user.id}`, { headers: { authorization: `Bearer ${server.adminToken}` } }).then((r) => r.json() as Promise<any>);
    assert.ok(introspect.sessions.every((x: { revoked_at: string | null }) => x.revoked_at !== null), "every session of the user ended");

    await ff.submit("Sign out");
    await ff.waitForText("Admin token or API key");
  } finally {
    await ff.close();
  }
});
