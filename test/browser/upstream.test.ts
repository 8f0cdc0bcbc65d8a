/// <reference types="node" />
/**
 * @module A real browser (chromium via playwright-core) signing in on tenant A's hosted page
 * through tenant B's OpenID Provider, on the server as `npm start` runs it: A's "Continue with"
 * button, B's sign-in and consent, back to A's callback (A's object talks to B over loopback,
 * through the outbound module, which development allows), and on to A's client with a code
 * whose ID token says `amr: ["fed"]`. Never skipped: without chromium the test fails.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import * as oidc from "openid-client";
import { adminCall } from "../e2e/jar.ts";
import { useServer } from "../e2e/server.ts";
import { PASSWORD, launchChromium } from "./kit.ts";

const server = useServer();

test("sign in at tenant A through tenant B in chromium: B's consent, then A's client gets a code for a federated session", { timeout: 180_000 }, async () => {
  const id = Date.now().toString(36);
  const [a, b] = [`fa${id}`, `fb${id}`];
  for (const slug of [a, b]) await adminCall(server, "POST", "/tenants", { slug, name: slug === a ? "Shop" : "Corp Directory", settings: { password: { hash: "pbkdf2-sha256" } } });
  const email = "ada@example.com";
  const res = await fetch(`${server.url}/v1/${b}/signup`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password: PASSWORD }) });
  assert.equal(res.status, 201);
  // B's client for A's callback (third party at B, so B asks for consent), and A's provider pointing at B.
  const upstream = await adminCall(server, "POST", `/tenants/${b}/clients`, { client_name: "Shop", redirect_uris: [`${server.url}/v1/${a}/idp/corp/callback`] });
  const created = await adminCall(server, "POST", `/tenants/${a}/identity-providers`, { id: "corp", type: "oidc", issuer: `${server.url}/v1/${b}`, client_id: upstream.client_id, client_secret: upstream.client_secret, display_name: "Corp" });
  assert.equal(created.callback_url, `${server.url}/v1/${a}/idp/corp/callback`);

  let arrived: URL | null = null;
  const rp = createServer((req, res) => {
    const u = new URL(req.url!, `http://${req.headers.host}`);
    if (u.pathname === "/cb") arrived = u;
    res.end("done");
  });
  await new Promise<void>((r) => rp.listen(0, "127.0.0.1", r));
  const redirectUri = `http://127.0.0.1:${(rp.address() as AddressInfo).port}/cb`;
  const client = await adminCall(server, "POST", `/tenants/${a}/clients`, { client_name: "Shop App", redirect_uris: ["http://127.0.0.1/cb"], token_endpoint_auth_method: "none", first_party: true });
  const issuer = `${server.url}/v1/${a}`;
  const config = await oidc.discovery(new URL(issuer), client.client_id, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: "openid email", code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256", state });

  const browser = await launchChromium();
  const violations: string[] = [];
  try {
    const page = await (await browser.newContext()).newPage();
    page.on("console", (m) => m.type() === "error" && violations.push(m.text()));
    await page.goto(url.href);
    await page.getByRole("link", { name: "Continue with Corp" }).click();
    await page.getByText("Sign in to Corp Directory").waitFor();
    await page.getByLabel("Email or username").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("Shop wants to access your account").waitFor();
    await Promise.all([page.waitForURL((u) => u.pathname === "/cb"), page.getByRole("button", { name: "Allow" }).click()]);
  } finally {
    await browser.close();
    rp.close();
  }
  assert.ok(arrived, "the browser reached A's client");
  const cb = arrived as URL;
  assert.equal(cb.searchParams.get("iss"), issuer);
  const tokens = await oidc.authorizationCodeGrant(config, cb, { pkceCodeVerifier: verifier, expectedState: state, idTokenExpected: true });
  assert.equal(tokens.claims()!.email, email);
  assert.deepEqual(tokens.claims()!.amr, ["fed"]);
  assert.deepEqual(violations.filter((v) => /Content Security Policy/i.test(v)), [], "no CSP violations");
});
