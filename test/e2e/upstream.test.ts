/// <reference types="node" />
/**
 * @module Upstream sign-in against an OpenID Provider that is not Warden: panva's
 * `oidc-provider` (v9) run here in Node on a loopback port, with its development login and
 * consent pages, so that a bug shared by Warden's provider and Warden's client cannot hide
 * itself. The server as `npm start` runs it talks to it over loopback (development allows
 * that through the outbound module): discovery, JWKS, token, and userinfo (oidc-provider keeps
 * the email out of the ID token, so the client must ask userinfo, OIDC Core 5.3.2).
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, test } from "node:test";
import Provider from "oidc-provider";
import { adminCall, Jar } from "./jar.ts";
import { useServer } from "./server.ts";

const server = useServer();
let upstream: Server | null = null;
after(() => upstream?.close());

/** oidc-provider on a free loopback port, with one confidential client for `callback`; a login starting "unverified" gets email_verified false. */
async function startProvider(callback: string): Promise<string> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const issuer = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [{ client_id: "warden", client_secret: "panva-secret-0123456789abcdef", redirect_uris: [callback], grant_types: ["authorization_code"], response_types: ["code"] }],
    claims: { openid: ["sub"], email: ["email", "email_verified"] },
    cookies: { keys: ["e2e-cookie-key-0123456789abcdef"] },
    features: { devInteractions: { enabled: true } },
    async findAccount(_ctx: unknown, id: string) {
      return { accountId: id, claims: async () => ({ sub: id, email: id.replace(/^unverified-/, ""), email_verified: !id.startsWith("unverified-") }) };
    },
  });
  srv.on("request", provider.callback());
  upstream = srv;
  return issuer;
}

/** Start at Warden, sign in and consent at oidc-provider, back at Warden's callback. */
async function roundTrip(jar: Jar, start: string, login: string) {
  const signIn = await jar.go("GET", start);
  assert.equal(signIn.status, 200, signIn.html.slice(0, 400));
  assert.match(signIn.html, /name="login"/);
  const consent = await jar.submit(signIn, "/interaction/", { login, password: "any" });
  assert.equal(consent.status, 200, consent.html.slice(0, 400));
  return jar.submit(consent, "/interaction/");
}

test("oidc-provider as the upstream: a new account, then the same one again; an unverified email links nothing", { timeout: 120_000 }, async () => {
  const a = `up${Date.now().toString(36)}`;
  await adminCall(server, "POST", "/tenants", { slug: a, name: "Shop", settings: { password: { hash: "pbkdf2-sha256" } } });
  const callback = `${server.url}/v1/${a}/idp/panva/callback`;
  const issuer = await startProvider(callback);
  const created = await adminCall(server, "POST", `/tenants/${a}/identity-providers`, { id: "panva", type: "oidc", issuer, client_id: "warden", client_secret: "panva-secret-0123456789abcdef", scopes: "openid email" });
  assert.equal(created.callback_url, callback);
  const start = `${server.url}/v1/${a}/idp/panva/start`;

  const done = await roundTrip(new Jar(), start, "lin@example.com");
  assert.equal(done.status, 200, done.html.slice(0, 400));
  assert.match(done.html, /You are signed in/);
  assert.ok(done.url.startsWith(callback), done.url);
  // RFC 9207: oidc-provider sent `iss`, and Warden checked it.
  assert.equal(new URL(done.url).searchParams.get("iss"), issuer);

  const users = await adminCall(server, "GET", `/tenants/${a}/users`);
  assert.equal(users.users.length, 1);
  assert.equal(users.users[0].email, "lin@example.com");
  assert.equal(users.users[0].email_verified, true);
  const detail = await adminCall(server, "GET", `/tenants/${a}/users/${users.users[0].id}`);
  assert.equal(detail.identities.length, 1);
  assert.equal(detail.identities[0].issuer, issuer);
  assert.equal(detail.identities[0].subject, "lin@example.com");
  assert.deepEqual(JSON.parse(JSON.stringify(detail.sessions[0].amr)), ["fed"]);

  const again = await roundTrip(new Jar(), start, "lin@example.com");
  assert.equal(again.status, 200);
  assert.equal((await adminCall(server, "GET", `/tenants/${a}/users`)).users.length, 1);

  // The same address, but the upstream does not vouch for it: refused, no second account, no link.
  const refused = await roundTrip(new Jar(), start, "unverified-lin@example.com");
  assert.equal(refused.status, 409);
  assert.equal((await adminCall(server, "GET", `/tenants/${a}/users`)).users.length, 1);
  assert.equal((await adminCall(server, "GET", `/tenants/${a}/users/${users.users[0].id}`)).identities.length, 1);
});
