/// <reference types="node" />
/**
 * @module A real browser (Debian's chromium, driven by playwright-core) on the hosted pages of
 * the server as `npm start` runs it: password, then TOTP, then consent, landing on the
 * client's loopback redirect with a code that openid-client exchanges (and, for a tenant that
 * requires a second factor, adding a TOTP on the page). Chromium enforces the
 * pages' CSP for real (form-action on the redirect after a POST, no inline script). Never
 * skipped: without chromium the test fails and says how to install it.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import * as oidc from "openid-client";
import { base32Decode } from "../../src/crypto/base32.ts";
import { hotp, totpStep } from "../../src/crypto/totp.ts";
import { adminCall } from "../e2e/jar.ts";
import { useServer } from "../e2e/server.ts";
import { PASSWORD, launchChromium, postJson } from "./kit.ts";

const server = useServer();


test("password, TOTP and consent in chromium end at the client's redirect with a code openid-client exchanges", { timeout: 180_000 }, async () => {
  const slug = `br${Date.now().toString(36)}`;
  await adminCall(server, "POST", "/tenants", { slug, name: "Browser Co", settings: { password: { hash: "pbkdf2-sha256" }, branding: { primary_color: "#0b7a55" } } });
  const issuer = `${server.url}/v1/${slug}`;
  const email = "grace@example.com";
  const signup = await postJson(`${issuer}/signup`, { email, password: PASSWORD });
  const enrol = await postJson(`${issuer}/mfa/totp`, {}, signup.access_token);
  const secret = base32Decode(enrol.secret);
  const step = totpStep(Date.now());
  await postJson(`${issuer}/mfa/totp/confirm`, { code: hotp(secret, step) }, signup.access_token);

  // The client's redirect target: a tiny local server that records what arrives.
  let arrived: URL | null = null;
  const rp = createServer((req, res) => {
    const u = new URL(req.url!, `http://${req.headers.host}`);
    if (u.pathname === "/cb") arrived = u; // not the favicon the browser asks for next
    res.end("done");
  });
  await new Promise<void>((r) => rp.listen(0, "127.0.0.1", r));
  const redirectUri = `http://127.0.0.1:${(rp.address() as AddressInfo).port}/cb`;
  const client = await adminCall(server, "POST", `/tenants/${slug}/clients`, { client_name: "Browser App", redirect_uris: ["http://127.0.0.1/cb"], token_endpoint_auth_method: "none" });
  const config = await oidc.discovery(new URL(issuer), client.client_id, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: "openid email", code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256", state });

  const browser = await launchChromium();
  const violations: string[] = [];
  try {
    const page = await (await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true })).newPage();
    page.on("console", (m) => m.type() === "error" && violations.push(m.text()));
    await page.goto(url.href);
    await page.getByLabel("Email or username").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
    await page.getByRole("button", { name: "Sign in" }).click();
    // The next step is accepted within the tenant's drift window; the current one was spent by the enrolment.
    await page.getByLabel("Code").fill(hotp(secret, step + 1));
    await page.getByRole("button", { name: "Verify" }).click();
    await page.getByText("Browser App wants to access your account").waitFor();
    await Promise.all([page.waitForURL((u) => u.pathname === "/cb"), page.getByRole("button", { name: "Allow" }).click()]);
  } finally {
    await browser.close();
    rp.close();
  }
  assert.ok(arrived, "the browser reached the client's redirect URI");
  const cb = arrived as URL;
  assert.equal(cb.searchParams.get("state"), state);
  assert.equal(cb.searchParams.get("iss"), issuer);
  const tokens = await oidc.authorizationCodeGrant(config, cb, { pkceCodeVerifier: verifier, expectedState: state, idTokenExpected: true });
  assert.equal(tokens.claims()!.email, email);
  assert.deepEqual(tokens.claims()!.amr, ["pwd", "otp"]);
  assert.deepEqual(violations.filter((v) => /Content Security Policy/i.test(v)), [], "no CSP violations");
});

test("a tenant that requires a second factor: chromium adds a TOTP on the sign-in page, sees the recovery codes, and goes on to the client", { timeout: 180_000 }, async () => {
  const slug = `bm${Date.now().toString(36)}`;
  await adminCall(server, "POST", "/tenants", { slug, name: "Required Co", settings: { password: { hash: "pbkdf2-sha256" }, mfa: { required: true } } });
  const issuer = `${server.url}/v1/${slug}`;
  const email = "ada@example.com";
  // Sign-up creates the account; its first session waits for a second factor.
  const r = await fetch(`${issuer}/signup`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password: PASSWORD }) });
  assert.equal(r.status, 401);
  assert.equal(((await r.json()) as { error: { code: string } }).error.code, "mfa_enrollment_required");

  let arrived: URL | null = null;
  const rp = createServer((req, res) => {
    const u = new URL(req.url!, `http://${req.headers.host}`);
    if (u.pathname === "/cb") arrived = u;
    res.end("done");
  });
  await new Promise<void>((done) => rp.listen(0, "127.0.0.1", done));
  const redirectUri = `http://127.0.0.1:${(rp.address() as AddressInfo).port}/cb`;
  const client = await adminCall(server, "POST", `/tenants/${slug}/clients`, { client_name: "Required App", redirect_uris: ["http://127.0.0.1/cb"], token_endpoint_auth_method: "none" });
  const config = await oidc.discovery(new URL(issuer), client.client_id, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: "openid email", code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256", state });

  const browser = await launchChromium();
  const violations: string[] = [];
  let codes: string[] = [];
  try {
    const page = await (await browser.newContext()).newPage();
    page.on("console", (m) => m.type() === "error" && violations.push(m.text()));
    await page.goto(url.href);
    await page.getByLabel("Email or username").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    // The key as a person reads it off the page, in groups of four.
    const key = (await page.locator("#totp-secret").textContent())!.replace(/\s+/g, "");
    assert.ok((await page.getByRole("link", { name: /authenticator app/ }).getAttribute("href"))!.startsWith("otpauth://totp/"));
    await page.getByLabel("Code").fill(hotp(base32Decode(key), totpStep(Date.now())));
    await page.getByRole("button", { name: "Verify and sign in" }).click();
    await page.getByText("Save your recovery codes").waitFor();
    codes = await page.locator("#recovery-codes code").allTextContents();
    await page.getByRole("link", { name: "Continue" }).click();
    await page.getByText("Required App wants to access your account").waitFor();
    await Promise.all([page.waitForURL((u) => u.pathname === "/cb"), page.getByRole("button", { name: "Allow" }).click()]);
  } finally {
    await browser.close();
    rp.close();
  }
  assert.equal(codes.length, 10);
  assert.ok(arrived, "the browser reached the client's redirect URI");
  const tokens = await oidc.authorizationCodeGrant(config, arrived as URL, { pkceCodeVerifier: verifier, expectedState: state, idTokenExpected: true });
  assert.deepEqual(tokens.claims()!.amr, ["pwd", "otp"]);
  assert.deepEqual(violations.filter((v) => /Content Security Policy/i.test(v)), [], "no CSP violations");
});
