/// <reference types="node" />
/**
 * @module Passkeys in a real browser: Debian's chromium (playwright-core) with the DevTools
 * WebAuthn virtual authenticator (CTAP2, internal transport, resident keys, user
 * verification) on the hosted pages of the server as `npm start` runs it. A password sign-in
 * offers a passkey and the page registers one; after signing out, the passkey alone signs in
 * (usernameless, through conditional mediation); with TOTP on, it is the second factor after
 * the password (through the page's button). The pages' CSP is
 * enforced for real: the ceremony's inline script runs only because its hash is allowed.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { base32Decode } from "../../src/crypto/base32.ts";
import { hotp, totpStep } from "../../src/crypto/totp.ts";
import { adminCall } from "../e2e/jar.ts";
import { useServer } from "../e2e/server.ts";
import { PASSWORD, launchChromium, postJson } from "./kit.ts";

const server = useServer();


test("chromium registers a passkey on the hosted page, signs in with it usernameless, and uses it as the second factor", { timeout: 180_000 }, async () => {
  // An IP address cannot be an RP ID (WebAuthn L3 section 5.1.3): the pages are opened on
  // localhost, the tenant's RP ID and origin.
  const origin = server.url.replace("127.0.0.1", "localhost");
  const slug = `pk${Date.now().toString(36)}`;
  await adminCall(server, "POST", "/tenants", { slug, name: "Passkey Co", settings: { password: { hash: "pbkdf2-sha256" }, webauthn: { rp_id: "localhost", origins: [origin] } } });
  const api = `${server.url}/v1/${slug}`;
  const pages = `${origin}/v1/${slug}/pages`;
  const email = "ada@example.com";
  const { user } = await postJson(`${api}/signup`, { email, password: PASSWORD });

  const browser = await launchChromium();
  const violations: string[] = [];
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on("console", (m) => m.type() === "error" && violations.push(m.text()));
    const cdp = await context.newCDPSession(page);
    await cdp.send("WebAuthn.enable");
    const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });

    // 1. A password sign-in offers a passkey; the page registers one.
    await page.goto(`${pages}/sign-in`);
    await page.getByLabel("Email or username").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByText("Sign in faster next time").waitFor();
    await page.getByRole("button", { name: "Add a passkey" }).click();
    await page.getByText("Passkey added.").waitFor();
    const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
    assert.equal(credentials.length, 1);
    assert.equal(credentials[0].isResidentCredential, true);

    // 2. Sign out, then sign in with the passkey alone: no login typed.
    await page.goto(`${pages}/sign-out`);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByText("You are signed out").waitFor();
    // The page starts conditional mediation (passkeys in the username field's autofill) as it
    // loads; the virtual authenticator answers it at once, as a user picking the passkey from
    // the autofill would, and the page posts the assertion. The button is used in step 3.
    await page.goto(`${pages}/sign-in`);
    await page.getByText("You are signed in").waitFor();
    assert.equal(new URL(page.url()).pathname, `/v1/${slug}/pages/sign-in/passkey`);

    // 3. With TOTP on, the passkey is the second factor after the password.
    const rest = await postJson(`${api}/login`, { login: email, password: PASSWORD });
    const enrol = await postJson(`${api}/mfa/totp`, {}, rest.access_token);
    const step = totpStep(Date.now());
    await postJson(`${api}/mfa/totp/confirm`, { code: hotp(base32Decode(enrol.secret), step) }, rest.access_token);
    await page.goto(`${pages}/sign-out`);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByText("You are signed out").waitFor();
    // The user ignores the autofill this time (no presence for the conditional request) and types the password.
    await cdp.send("WebAuthn.setAutomaticPresenceSimulation", { authenticatorId, enabled: false });
    await page.goto(`${pages}/sign-in`);
    await page.getByLabel("Email or username").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByLabel("Code").waitFor();
    await cdp.send("WebAuthn.setAutomaticPresenceSimulation", { authenticatorId, enabled: true });
    await page.getByRole("button", { name: "Use a passkey" }).click();
    await page.getByText("You are signed in").waitFor();
  } finally {
    await browser.close();
  }

  const detail = await adminCall(server, "GET", `/tenants/${slug}/users/${user.id}`);
  assert.equal(detail.passkeys.length, 1);
  const amrs = detail.sessions.map((s: { amr: string[] }) => s.amr.join(" "));
  assert.ok(amrs.includes("pop mfa"), `a usernameless passkey sign-in: ${amrs}`);
  assert.ok(amrs.some((a: string) => a.startsWith("pwd pop")), `the passkey as the second factor: ${amrs}`);
  assert.deepEqual(violations.filter((v) => /Content Security Policy/i.test(v)), [], "no CSP violations");
});
