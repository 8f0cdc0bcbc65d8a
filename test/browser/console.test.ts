/// <reference types="node" />
/**
 * @module The admin console in a real browser (Debian's chromium via playwright-core) on the
 * server `npm start` runs: sign in with the admin token, create a tenant, see a setting's
 * validation error next to its field and then save a valid one, find a user, revoke one of
 * their sessions and watch `session.revoked` arrive on the live events page (its WebSocket
 * and inline script under the page's CSP), the session gone from the user's `GET /sessions`;
 * then a `manage` key sees only its tenant. Never skipped: without chromium the test fails.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { adminCall } from "../e2e/jar.ts";
import { useServer } from "../e2e/server.ts";
import { PASSWORD, consoleSignedIn, json, launchChromium } from "./kit.ts";

const server = useServer();


test("the console in chromium: tenant, settings, a user's session revoked and seen live; a manage key sees its tenant only", { timeout: 240_000 }, async () => {
  const slug = `con${Date.now().toString(36)}`;
  const other = `oth${Date.now().toString(36)}`;
  await adminCall(server, "POST", "/tenants", { slug: other, name: "Other Co", settings: { password: { hash: "pbkdf2-sha256" } } });

  const browser = await launchChromium();
  let violations: string[] = [];
  try {
    const signedIn = await consoleSignedIn(browser, server.url, server.adminToken);
    const page = signedIn.page;
    violations = signedIn.violations;

    await page.getByLabel("Slug").fill(slug);
    await page.getByLabel("Name").fill("Console Co");
    await page.getByRole("button", { name: "Create tenant" }).click();
    await page.getByText(`Tenant ${slug} created.`).waitFor();
    await page.getByRole("link", { name: slug }).click();
    await page.getByText("Last 24 hours, per hour").waitFor();

    // A setting out of range: zod's message, next to its field; then a valid change, saved.
    await page.getByRole("link", { name: "Settings" }).click();
    await page.getByLabel("access_ttl_s").fill("10");
    await page.getByRole("button", { name: "Preview" }).click();
    const err = page.locator("#f-s-access_ttl_s-error");
    await err.waitFor();
    assert.match(await err.innerText(), /expected number to be >=60/);
    assert.equal(await page.getByLabel("access_ttl_s").getAttribute("aria-invalid"), "true");
    await page.getByLabel("access_ttl_s").fill("600");
    await page.getByLabel("password.hash").fill("pbkdf2-sha256");
    await page.getByRole("button", { name: "Preview" }).click();
    await page.getByText("The merged settings are valid").waitFor();
    assert.match(await page.locator("pre").innerText(), /"access_ttl_s": 600/);
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByText("Settings saved.").waitFor();
    assert.equal((await adminCall(server, "GET", `/tenants/${slug}`)).settings.access_ttl_s, 600);

    // A user with two sessions.
    const issuer = `${server.url}/v1/${slug}`;
    const email = "ada@example.com";
    const first = await json("POST", `${issuer}/signup`, { email, password: PASSWORD });
    const second = await json("POST", `${issuer}/login`, { login: email, password: PASSWORD });
    const sid = (await json("GET", `${issuer}/sessions`, undefined, second.access_token)).sessions.find((s: any) => s.current).id;

    // The live events page, in a second tab, connected.
    const live = await page.context().newPage();
    live.on("console", (m) => m.type() === "error" && violations.push(m.text()));
    await live.goto(`${server.url}/admin/t/${slug}/events`);
    await live.getByText(/open, seq \d+/).waitFor();

    await page.getByRole("link", { name: "Users" }).click();
    await page.getByLabel("Email or username starts with").fill("ADA@");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByRole("link", { name: email }).click();
    await page.getByRole("button", { name: `Revoke session ${sid}` }).click();
    await page.getByText("Session revoked.").waitFor();

    const row = live.locator(`#rows tr[data-type="session.revoked"]`, { hasText: sid });
    await row.waitFor({ timeout: 10_000 });
    // Paused, the page holds what arrives; resumed, it shows it.
    await live.getByRole("button", { name: "Pause" }).click();
    assert.equal(await live.getByRole("button", { name: "Resume" }).getAttribute("aria-pressed"), "true");

    const left = (await json("GET", `${issuer}/sessions`, undefined, first.access_token)).sessions.map((s: any) => s.id);
    assert.ok(!left.includes(sid), "the revoked session is gone from GET /sessions");
    assert.equal(left.length, 1);

    // A manage key: its tenant's users, nothing of the operator's.
    const key = (await adminCall(server, "POST", `/tenants/${slug}/api-keys`, { name: "support", scopes: ["manage"] })).key;
    const kp = (await consoleSignedIn(browser, server.url, key, { tenant: slug, violations })).page;
    assert.equal(await kp.getByRole("link", { name: "Tenants" }).count(), 0);
    assert.equal(await kp.getByRole("link", { name: "Keys" }).count(), 0);
    assert.equal(await kp.getByRole("link", { name: "Settings" }).count(), 0);
    assert.equal((await kp.goto(`${server.url}/admin/tenants`))!.status(), 403);
    assert.equal((await kp.goto(`${server.url}/admin/t/${other}/users`))!.status(), 404);
    assert.equal((await kp.goto(`${server.url}/admin/t/${slug}/keys`))!.status(), 403);
    assert.equal((await kp.goto(`${server.url}/admin/t/${slug}/users`))!.status(), 200);
  } finally {
    await browser.close();
  }
  assert.deepEqual(violations.filter((v) => /Content Security Policy/i.test(v)), [], "no CSP violations");
});
