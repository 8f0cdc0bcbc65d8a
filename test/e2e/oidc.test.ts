/// <reference types="node" />
/**
 * @module The OpenID Provider end to end, against the server as `npm start` runs it, with
 * openid-client (v6) as the relying party: the README's example app signs a user in through
 * the hosted pages driven with plain HTTP form posts (discovery, PKCE code flow, consent,
 * ID-token validation), then refresh, userinfo, revocation and RP-initiated logout.
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, test } from "node:test";
import { serve } from "@hono/node-server";
import * as oidc from "openid-client";
import { exampleApp } from "../examples/hono-rp.ts";
import { adminCall, Jar } from "./jar.ts";
import { useServer } from "./server.ts";

const server = useServer();
const PASSWORD = "correct horse battery staple";
const email = "ada@example.com";
let issuer = "";
let app: Awaited<ReturnType<typeof exampleApp>>;
let appUrl = "";
let stop: () => void = () => {};

async function setup(): Promise<void> {
  const slug = `e2e${Date.now().toString(36)}`;
  await adminCall(server, "POST", "/tenants", { slug, name: "Example Co", settings: { password: { hash: "pbkdf2-sha256" } } });
  issuer = `${server.url}/v1/${slug}`;
  const signup = await fetch(`${issuer}/signup`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password: PASSWORD }) });
  assert.equal(signup.status, 201);
  // The app listens on an ephemeral loopback port: registered as 127.0.0.1, matched on any port (RFC 8252 section 7.3).
  const srv = serve({ fetch: (r) => app.app.fetch(r), port: 0, hostname: "127.0.0.1" });
  await new Promise((r) => srv.once("listening", r));
  appUrl = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  stop = () => srv.close();
  const client = await adminCall(server, "POST", `/tenants/${slug}/clients`, {
    client_name: "Example App",
    redirect_uris: ["http://127.0.0.1/callback"],
    post_logout_redirect_uris: [`${appUrl}/`],
    scope: "openid email offline_access",
  });
  app = await exampleApp({ issuer, clientId: client.client_id, clientSecret: client.client_secret, appUrl });
}

after(() => stop());

test("discovery, the code flow through the hosted pages, ID token, refresh, userinfo, revocation and end-session", async () => {
  await setup();
  const meta = app.config.serverMetadata();
  assert.equal(meta.issuer, issuer);
  assert.equal(meta.authorization_endpoint, `${issuer}/oauth/authorize`);
  assert.ok(meta.code_challenge_methods_supported?.includes("S256"));

  const browser = new Jar();
  const signIn = await browser.go("GET", `${appUrl}/login`);
  assert.match(signIn.url, /\/pages\/sign-in|\/oauth\/authorize/);
  assert.match(signIn.html, /to continue to Example App/);
  assert.match(signIn.headers.get("content-security-policy") ?? "", /form-action 'self' http:\/\/127\.0\.0\.1:\d+/);
  const consent = await browser.submit(signIn, "/pages/sign-in", { login: email, password: PASSWORD });
  assert.match(consent.html, /Example App wants to access your account/);
  assert.match(consent.html, /Stay signed in when you are not using it/);
  const home = await browser.submit(consent, "/pages/consent", { decision: "allow" });
  assert.equal(home.url, `${appUrl}/`);
  assert.equal(home.html, `Hello ${email}`);

  const [session] = [...app.sessions.values()];
  assert.ok(session.refreshToken, "offline_access was granted: a refresh token");
  const claims = JSON.parse(Buffer.from(session.idToken.split(".")[1], "base64url").toString());
  assert.equal(claims.iss, issuer);
  assert.equal(typeof claims.sid, "string");
  assert.equal(typeof claims.auth_time, "number");

  // Refresh rotates; the old refresh token is then reuse.
  const refreshed = await oidc.refreshTokenGrant(app.config, session.refreshToken!);
  assert.ok(refreshed.access_token);
  assert.notEqual(refreshed.refresh_token, session.refreshToken);

  // Userinfo with the client's access token: the claims its scopes allow.
  const info = await oidc.fetchUserInfo(app.config, refreshed.access_token, claims.sub);
  assert.equal(info.email, email);

  // Revocation (RFC 7009) of the new refresh token: it no longer refreshes.
  await oidc.tokenRevocation(app.config, refreshed.refresh_token!);
  await assert.rejects(oidc.refreshTokenGrant(app.config, refreshed.refresh_token!), (e: any) => e.error === "invalid_grant");

  // The browser is still signed in at the OP: signing in again needs no password (prompt=none works).
  const again = await browser.go("GET", oidc.buildAuthorizationUrl(app.config, { redirect_uri: `${appUrl}/callback`, scope: "openid", prompt: "none", code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: "S256", state: "s" }).href, undefined, (u) => u.pathname === "/callback");
  assert.match(again.url, /[?&]code=/);

  // RP-initiated logout through the app: back at the app, signed out, and the OP session is over.
  const out = await browser.go("GET", `${appUrl}/logout`);
  assert.equal(out.url, `${appUrl}/`);
  assert.equal(out.html, "Signed out");
  const none = await browser.go("GET", oidc.buildAuthorizationUrl(app.config, { redirect_uri: `${appUrl}/callback`, scope: "openid", prompt: "none", code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: "S256", state: "s" }).href, undefined, (u) => u.pathname === "/callback");
  assert.equal(new URL(none.url).searchParams.get("error"), "login_required");
});
