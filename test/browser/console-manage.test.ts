/// <reference types="node" />
/**
 * @module The console's edit forms in a real browser (Debian's chromium via playwright-core)
 * on the server `npm start` runs: an identity provider added (zod's issue next to its field
 * first, the secret field empty again after the refusal, the form sent from the keyboard) and
 * edited without retyping its secret; a user's profile refused then saved; a role removed with
 * the user's sessions ended (the checkbox toggled from the keyboard); an OAuth client edited
 * and its secret rotated (shown once); a manage key without the identity-provider pages.
 * Never skipped: without chromium the test fails.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { adminCall } from "../e2e/jar.ts";
import { useServer } from "../e2e/server.ts";
import { PASSWORD, consoleSignedIn, launchChromium, postJson } from "./kit.ts";

const server = useServer();

test("console edit forms in chromium: identity provider, profile, role with revoke, client; a manage key has no identity providers", { timeout: 240_000 }, async () => {
  const slug = `edt${Date.now().toString(36)}`;
  await adminCall(server, "POST", "/tenants", { slug, name: "Edit Co", settings: { password: { hash: "pbkdf2-sha256" } } });
  await adminCall(server, "POST", `/tenants/${slug}/roles`, { name: "support", scopes: ["tickets:read"] });
  const issuer = `${server.url}/v1/${slug}`;
  const user = await postJson(`${issuer}/signup`, { email: "grace@example.com", password: PASSWORD });
  await fetch(`${server.url}/v1/admin/tenants/${slug}/users/${user.user.id}/roles/support`, { method: "PUT", headers: { authorization: `Bearer ${server.adminToken}` } });
  const client = await adminCall(server, "POST", `/tenants/${slug}/clients`, { client_name: "Shop", redirect_uris: ["https://shop.example/cb"], token_endpoint_auth_method: "client_secret_basic" });

  const browser = await launchChromium();
  let violations: string[] = [];
  try {
    const signedIn = await consoleSignedIn(browser, server.url, server.adminToken);
    const page = signedIn.page;
    violations = signedIn.violations;
    await page.goto(`${server.url}/admin/t/${slug}/users`);

    // Identity providers: an oidc provider without its issuer is refused next to the field.
    await page.getByRole("link", { name: "Identity providers" }).click();
    await page.getByRole("heading", { name: "Identity providers" }).waitFor();
    await page.getByLabel("Id", { exact: true }).fill("corp");
    await page.getByLabel("Type", { exact: true }).selectOption("oidc");
    await page.getByLabel("Client id").fill("corp-client");
    await page.getByLabel("Client secret").fill("corp-secret-0123456789");
    await page.getByRole("button", { name: "Add provider" }).click();
    const issuerError = page.locator("#f-issuer-error");
    await issuerError.waitFor();
    assert.match(await issuerError.innerText(), /an oidc provider needs its issuer/);
    assert.equal(await page.getByLabel("Issuer (oidc only)").getAttribute("aria-invalid"), "true");
    assert.equal(await page.getByLabel("Id", { exact: true }).inputValue(), "corp");
    assert.equal(await page.getByLabel("Client secret").inputValue(), "", "a refused form does not send the secret back");
    assert.ok(!(await page.content()).includes("corp-secret-0123456789"));
    // A GitHub provider instead, sent with Enter from the secret field.
    await page.getByLabel("Type", { exact: true }).selectOption("github");
    await page.getByLabel("Client secret").fill("gh-secret-0123456789");
    await page.getByLabel("Client secret").press("Enter");
    await page.getByText("Provider added.").waitFor();
    assert.ok((await page.content()).includes(`${issuer}/idp/corp/callback`));
    await page.getByLabel("Display name").fill("Corp GitHub");
    assert.equal(await page.getByLabel("Replace the client secret").inputValue(), "");
    await page.getByRole("button", { name: "Save provider" }).click();
    await page.getByText("Provider saved.").waitFor();
    const idp = await adminCall(server, "GET", `/tenants/${slug}/identity-providers/corp`);
    assert.equal(idp.display_name, "Corp GitHub");
    assert.equal(idp.client_secret_set, true, "an empty replace field keeps the secret");

    // The user's profile: a bad email next to its field, then metadata saved.
    await page.getByRole("link", { name: "Users" }).click();
    await page.getByRole("link", { name: "grace@example.com" }).click();
    await page.getByLabel("Email", { exact: true }).fill("not-an-email");
    await page.getByRole("button", { name: "Save profile" }).click();
    const emailError = page.locator("#f-email-error");
    await emailError.waitFor();
    assert.match(await emailError.innerText(), /not a valid email address/);
    await page.getByLabel("Email", { exact: true }).fill("grace@example.com");
    await page.getByLabel("Metadata (a JSON object, at most 8 KiB)").fill('{\n  "plan": "pro"\n}');
    await page.getByRole("button", { name: "Save profile" }).click();
    await page.getByText("Profile saved.").waitFor();
    assert.deepEqual((await adminCall(server, "GET", `/tenants/${slug}/users/${user.user.id}`)).user.metadata, { plan: "pro" });

    // A role removed with the sessions ended: the checkbox toggled with the keyboard.
    const revoke = page.locator("#f-revoke-support");
    await revoke.focus();
    await page.keyboard.press("Space");
    assert.equal(await revoke.isChecked(), true);
    await page.getByRole("button", { name: "Remove support" }).click();
    await page.getByText("Role removed; every session of the user ended.").waitFor();
    const me = await fetch(`${issuer}/me`, { headers: { authorization: `Bearer ${user.access_token}` } });
    assert.equal(me.status, 401, "the token with the old role is dead");

    // An OAuth client: a bad redirect URI next to its field, then saved; a new secret shown once.
    await page.getByRole("link", { name: "OAuth clients" }).click();
    await page.getByRole("link", { name: `Edit client ${client.client_id}` }).click();
    await page.getByLabel("Redirect URIs (one per line)", { exact: true }).fill("http://evil.example/cb");
    await page.getByRole("button", { name: "Save client" }).click();
    const redirectError = page.locator("#f-redirect_uris-error");
    await redirectError.waitFor();
    assert.match(await redirectError.innerText(), /loopback/);
    await page.getByLabel("Redirect URIs (one per line)", { exact: true }).fill("https://shop.example/cb\nhttps://shop.example/cb2");
    await page.getByLabel("Name", { exact: true }).fill("Shop Two");
    await page.getByRole("button", { name: "Save client" }).click();
    await page.getByText("Client saved.").waitFor();
    const saved = await adminCall(server, "GET", `/tenants/${slug}/clients/${client.client_id}`);
    assert.deepEqual(saved.redirect_uris, ["https://shop.example/cb", "https://shop.example/cb2"]);
    assert.equal(saved.client_name, "Shop Two");
    await page.getByRole("button", { name: `New secret ${client.client_id}` }).click();
    const secret = (await page.locator(".secret").innerText()).trim();
    assert.ok(secret.length > 20 && secret !== client.client_secret);
    await page.reload();
    assert.ok(!(await page.content()).includes(secret), "the secret is shown once");

    // A manage key: no identity providers in its navigation, 403 on the page.
    const key = (await adminCall(server, "POST", `/tenants/${slug}/api-keys`, { name: "support", scopes: ["manage"] })).key;
    const kp = (await consoleSignedIn(browser, server.url, key, { tenant: slug, violations })).page;
    assert.equal(await kp.getByRole("link", { name: "Identity providers" }).count(), 0);
    assert.equal((await kp.goto(`${server.url}/admin/t/${slug}/idps`))!.status(), 403);
    assert.equal((await kp.goto(`${server.url}/admin/t/${slug}/idps/corp`))!.status(), 403);
  } finally {
    await browser.close();
  }
  assert.deepEqual(violations.filter((v) => /Content Security Policy/i.test(v)), [], "no CSP violations");
});
