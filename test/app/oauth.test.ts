/// <reference types="node" />
/**
 * @module `app.oauth`: authorization code with PKCE S256 for a single-page app (RFC 7636, with
 * its Appendix B vector), `state` spent once, the callback's `iss` checked (RFC 9207), the code
 * exchanged as a public client, and the session's refresh then going to the token endpoint.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createWardenApp, memoryStorage, pkceChallenge } from "../../src/app/index.ts";
import { FakeWarden, TestClock } from "./fake-warden.ts";

const ISSUER = "https://auth.test/v1/t1";
const REDIRECT = "https://app.test/callback";

function setup() {
  const clock = new TestClock();
  const warden = new FakeWarden(clock);
  const app = createWardenApp({ baseUrl: "https://auth.test", tenant: "t1", fetch: warden.fetch, clock, storage: memoryStorage(), oauth: { clientId: "spa", redirectUri: REDIRECT } });
  /** What the hosted pages would do: issue a code bound to the request's challenge, redirect back. */
  const authorize = (url: URL, o: { iss?: string } = {}) => {
    const code = `code${Math.random()}`;
    warden.codes.set(code, { challenge: url.searchParams.get("code_challenge")!, clientId: url.searchParams.get("client_id")!, redirectUri: url.searchParams.get("redirect_uri")! });
    const back = new URL(REDIRECT);
    back.searchParams.set("code", code);
    back.searchParams.set("state", url.searchParams.get("state")!);
    back.searchParams.set("iss", o.iss ?? ISSUER);
    return back;
  };
  return { clock, warden, app, authorize };
}

test("S256 matches RFC 7636 Appendix B", async () => {
  assert.equal(await pkceChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
});

test("the authorization URL asks for a code with S256 and a fresh state", async () => {
  const { app } = setup();
  const a = await app.oauth.authorizationUrl({ prompt: "login" });
  const b = await app.oauth.authorizationUrl();
  assert.equal(`${a.origin}${a.pathname}`, `${ISSUER}/oauth/authorize`);
  assert.equal(a.searchParams.get("response_type"), "code");
  assert.equal(a.searchParams.get("client_id"), "spa");
  assert.equal(a.searchParams.get("redirect_uri"), REDIRECT);
  assert.equal(a.searchParams.get("code_challenge_method"), "S256");
  assert.match(a.searchParams.get("code_challenge")!, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(a.searchParams.get("scope"), "openid email offline_access");
  assert.equal(a.searchParams.get("prompt"), "login");
  assert.notEqual(a.searchParams.get("state"), b.searchParams.get("state"));
  app.close();
});

test("the callback exchanges the code with the verifier and signs in; the state works once", async () => {
  const { app, warden, authorize } = setup();
  const back = authorize(await app.oauth.authorizationUrl());
  const s = await app.oauth.handleCallback(back);
  assert.equal(s.user.id, "u1");
  const form = warden.tokenRequests[0];
  assert.deepEqual([form.grant_type, form.client_id, form.redirect_uri], ["authorization_code", "spa", REDIRECT]);
  assert.ok(await app.getAccessToken());
  await assert.rejects(app.oauth.handleCallback(back), { code: "invalid_state" });
  app.close();
});

test("a callback with another issuer, an unknown state or an error is refused and signs nobody in", async () => {
  const { app, authorize } = setup();
  await assert.rejects(app.oauth.handleCallback(authorize(await app.oauth.authorizationUrl(), { iss: "https://evil.test/v1/t1" })), { code: "invalid_issuer" });
  await assert.rejects(app.oauth.handleCallback(`${REDIRECT}?code=x&state=made-up`), { code: "invalid_state" });
  const url = await app.oauth.authorizationUrl();
  await assert.rejects(app.oauth.handleCallback(`${REDIRECT}?error=access_denied&error_description=no&state=${url.searchParams.get("state")}`), { code: "access_denied" });
  assert.equal(await app.session(), null);
  app.close();
});

test("an OAuth session refreshes at the token endpoint as the public client", async () => {
  const { app, warden, clock, authorize } = setup();
  await app.oauth.handleCallback(authorize(await app.oauth.authorizationUrl()));
  const first = await app.getAccessToken();
  clock.advance(890_000);
  const next = await app.getAccessToken();
  assert.ok(next && next !== first);
  assert.equal(warden.count("POST /refresh"), 0);
  assert.deepEqual([warden.tokenRequests[1].grant_type, warden.tokenRequests[1].client_id], ["refresh_token", "spa"]);
  assert.equal((await app.session())!.user.id, "u1");
  app.close();
});
