/// <reference types="node" />
/**
 * @module OpenID Connect Back-Channel Logout 1.0 end to end: a real HTTP receiver on loopback
 * (the RP's `backchannel_logout_uri`) gets a signed logout token whenever the Warden session
 * behind its grant ends, for each kind of ending; while it is down the token waits in the
 * outbox and arrives once it is back; a 5xx is retried with the same `jti`.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { after, test } from "node:test";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import * as oidc from "openid-client";
import { adminCall, Jar } from "./jar.ts";
import { useServer } from "./server.ts";

const server = useServer();
const PASSWORD = "correct horse battery staple";
const EVENT = "http://schemas.openid.net/event/backchannel-logout";

/** The RP's back-channel endpoint: records every logout token; can answer 503 or be down. */
class Receiver {
  tokens: string[] = [];
  failNext = 0;
  port = 0;
  #srv: Server | null = null;
  async start(port = 0): Promise<void> {
    this.#srv = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const token = new URLSearchParams(body).get("logout_token");
        if (req.method !== "POST" || req.url !== "/bcl" || !token) return void res.writeHead(400).end();
        this.tokens.push(token);
        if (this.failNext > 0) {
          this.failNext--;
          return void res.writeHead(503).end();
        }
        res.writeHead(200, { "cache-control": "no-store" }).end();
      });
    });
    await new Promise<void>((r) => this.#srv!.listen(port, "127.0.0.1", () => r()));
    this.port = (this.#srv.address() as AddressInfo).port;
  }
  async stop(): Promise<void> {
    await new Promise((r) => this.#srv?.close(r));
    this.#srv = null;
  }
  /** Waits for the n-th token (1-based) to arrive. */
  async nth(n: number, ms = 60_000): Promise<string> {
    for (let waited = 0; this.tokens.length < n; waited += 100) {
      if (waited > ms) assert.fail(`no logout token #${n} within ${ms} ms (got ${this.tokens.length})`);
      await sleep(100);
    }
    return this.tokens[n - 1];
  }
}

const rp = new Receiver();
let slug = "";
let issuer = "";
let config: oidc.Configuration;
let jwks: ReturnType<typeof createRemoteJWKSet>;
let userId = "";
const email = "grace@example.com";

/** Once, inside the first test (the server is up by then). */
let ready: Promise<void> | null = null;
const setup = () => (ready ??= setupOnce());
async function setupOnce(): Promise<void> {
  await rp.start();
  slug = `bcl${Date.now().toString(36)}`;
  await adminCall(server, "POST", "/tenants", { slug, name: "Back-channel Co", settings: { password: { hash: "pbkdf2-sha256" } } });
  issuer = `${server.url}/v1/${slug}`;
  const signup = (await (await fetch(`${issuer}/signup`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password: PASSWORD }) })).json()) as { user: { id: string } };
  userId = signup.user.id;
  const client = await adminCall(server, "POST", `/tenants/${slug}/clients`, {
    client_name: "Back-channel RP",
    redirect_uris: ["http://127.0.0.1/callback"],
    backchannel_logout_uri: `http://127.0.0.1:${rp.port}/bcl`,
    scope: "openid email",
    first_party: true,
  });
  config = await oidc.discovery(new URL(issuer), client.client_id, undefined, oidc.ClientSecretBasic(client.client_secret), { execute: [oidc.allowInsecureRequests] });
  jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
}
after(() => rp.stop());

/** A browser signs in on the hosted pages and the RP redeems the code: a grant under a new Warden session. */
async function signIn(): Promise<{ sid: string; idToken: string }> {
  await setup();
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: "http://127.0.0.1/callback", scope: "openid email", state: "st", code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256" });
  const browser = new Jar();
  const atCallback = (u: URL) => u.pathname === "/callback";
  const page = await browser.go("GET", url.href, undefined, atCallback);
  const back = await browser.submit(page, "/pages/sign-in", { login: email, password: PASSWORD }, atCallback);
  const tokens = await oidc.authorizationCodeGrant(config, new URL(back.url), { pkceCodeVerifier: verifier, expectedState: "st", idTokenExpected: true });
  return { sid: String(tokens.claims()!.sid), idToken: tokens.id_token! };
}

/** A logout token per Back-Channel Logout section 2.4, signed by the tenant, for that session. */
async function assertLogoutToken(token: string, sid: string): Promise<{ jti: string }> {
  assert.equal(decodeProtectedHeader(token).typ, "logout+jwt");
  const { payload } = await jwtVerify(token, jwks, { issuer, audience: config.clientMetadata().client_id, typ: "logout+jwt" });
  assert.equal(payload.sid, sid);
  assert.equal(payload.sub, userId);
  assert.deepEqual(payload.events, { [EVENT]: {} });
  assert.equal(payload.nonce, undefined);
  assert.equal(typeof payload.jti, "string");
  assert.ok(typeof payload.iat === "number" && typeof payload.exp === "number" && payload.exp > payload.iat);
  return { jti: payload.jti as string };
}

async function passwordSession(): Promise<{ access_token: string }> {
  return (await fetch(`${issuer}/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ login: email, password: PASSWORD }) })).json();
}

test("RP-initiated logout with an id_token_hint sends the RP a logout token for that session", async () => {
  await setup();
  const n = rp.tokens.length;
  const s = await signIn();
  const end = oidc.buildEndSessionUrl(config, { id_token_hint: s.idToken });
  await new Jar().go("GET", end.href);
  await assertLogoutToken(await rp.nth(n + 1), s.sid);
});

test("logout-all, an operator's revoke and disabling the user each send one", async () => {
  const kinds: [string, () => Promise<void>][] = [
    ["logout-all", async () => {
      const p = await passwordSession();
      assert.equal((await fetch(`${issuer}/logout-all`, { method: "POST", headers: { authorization: `Bearer ${p.access_token}` } })).status, 204);
    }],
    ["admin revoke", async () => void (await adminCall(server, "POST", `/tenants/${slug}/users/${userId}/revoke`))],
    ["disable", async () => {
      await adminCall(server, "PATCH", `/tenants/${slug}/users/${userId}`, { status: "disabled" });
      await adminCall(server, "PATCH", `/tenants/${slug}/users/${userId}`, { status: "active" });
    }],
  ];
  for (const [kind, revoke] of kinds) {
    const n = rp.tokens.length;
    const s = await signIn();
    await revoke();
    const token = await rp.nth(n + 1);
    await assertLogoutToken(token, s.sid).catch((e) => assert.fail(`${kind}: ${e.message}`));
  }
});

test("while the receiver is down the logout token waits; it arrives once the receiver is back", async () => {
  const n = rp.tokens.length;
  const s = await signIn();
  const port = rp.port;
  await rp.stop();
  await adminCall(server, "POST", `/tenants/${slug}/users/${userId}/revoke`);
  await sleep(1500);
  assert.equal(rp.tokens.length, n, "nothing could arrive while down");
  await rp.start(port);
  await assertLogoutToken(await rp.nth(n + 1), s.sid);
});

test("a 5xx from the receiver is retried, re-signed with the same jti", async () => {
  const n = rp.tokens.length;
  const s = await signIn();
  rp.failNext = 1;
  await adminCall(server, "POST", `/tenants/${slug}/users/${userId}/revoke`);
  const first = await assertLogoutToken(await rp.nth(n + 1), s.sid);
  const again = await assertLogoutToken(await rp.nth(n + 2), s.sid);
  assert.equal(again.jti, first.jti);
});
