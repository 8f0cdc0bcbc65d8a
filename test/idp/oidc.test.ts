/** @module Signing in at tenant A through tenant B's OpenID Provider: the round trip, and every check of the callback. */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { admin, BASE, count, rows, stub } from "../helpers.ts";
import { codeFor, redeem } from "../oauth/kit.ts";
import { Browser } from "../pages/kit.ts";
import { callbackOf, federatedSignIn, federation, identitiesIn, sessionsOf, toCallback, upstreamClient, upstreamUser, useUpstream } from "./kit.ts";

const up = useUpstream();

/** Swaps the `id_token` of B's token response for `other` (a man in the middle with a token B really issued). */
const swapIdToken = (other: string) => async (url: string, res: Response) => {
  if (!url.endsWith("/oauth/token")) return res;
  const body = (await res.json()) as Record<string, unknown>;
  return Response.json({ ...body, id_token: other });
};

/** A real ID token from B for `clientId`, with the given nonce. */
async function idTokenFromB(b: string, client: { client_id: string; client_secret: string }, nonce: string) {
  const { code, verifier } = await codeFor(b, client.client_id, { nonce, redirectUri: "https://app.example/cb" });
  await runInDurableObject(stub(b), (_o, state) => void state.storage.sql.exec("UPDATE clients SET metadata = json_set(metadata, '$.redirect_uris', json_array('https://app.example/cb')) WHERE client_id = ?", client.client_id));
  const r = await redeem(b, client, code, verifier);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.id_token as string;
}

describe("upstream OpenID Provider: the round trip", () => {
  it("a new user signs in through B: an account with B's verified email, an identity, a session with amr fed", async () => {
    const { a, b, id } = await federation();
    const u = await upstreamUser(b);
    const { page, browser, callback } = await federatedSignIn(a, b, id, u.email);
    expect(page.status, page.html.slice(0, 500)).toBe(200);
    expect(page.html).toContain("You are signed in");
    expect(browser.cookie(`__Host-warden_${a}`)).toBeDefined();
    // PKCE, nonce, state and the exact callback went upstream.
    const q = new URL(up.calls.length ? callback : callback).searchParams;
    expect(q.get("iss")).toBe(`${BASE}/v1/${b}`);
    const users = await rows<{ id: string; email: string; email_verified: number }>(a, "SELECT id, email, email_verified FROM users");
    expect(users).toEqual([expect.objectContaining({ email: u.email, email_verified: 1 })]);
    const [idn] = await identitiesIn(a);
    expect(idn).toMatchObject({ user_id: users[0].id, provider_id: id, issuer: `${BASE}/v1/${b}`, subject: u.id, email: u.email, email_verified: 1 });
    const [s] = await sessionsOf(a);
    expect(JSON.parse(s.amr)).toEqual(["fed"]);
    // Every upstream request went through the outbound module to B's discovery, JWKS and token endpoint.
    expect(up.calls.map((c) => c.replace(/\?.*/, ""))).toEqual(expect.arrayContaining([`GET ${BASE}/v1/${b}/.well-known/openid-configuration`, `POST ${BASE}/v1/${b}/oauth/token`]));
    expect(up.calls.some((c) => c.includes("jwks"))).toBe(true);
  });

  it("the authorization request to B carries PKCE S256, a nonce, the state and the exact callback", async () => {
    const { a, id } = await federation();
    const start = await new Browser().get(`/v1/${a}/idp/${id}/start`);
    const q = new URL(start.location!).searchParams;
    expect(q.get("code_challenge_method")).toBe("S256");
    expect(q.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get("nonce")).toBeTruthy();
    expect(q.get("state")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get("redirect_uri")).toBe(callbackOf(a, id));
    expect(q.get("scope")).toBe("openid email profile");
    const setCookie = start.headers.getSetCookie().find((c) => c.includes("warden_idp_state"))!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/Secure/i);
  });

  it("signing in again through B reuses the account and the identity", async () => {
    const { a, b, id } = await federation();
    const u = await upstreamUser(b);
    await federatedSignIn(a, b, id, u.email);
    const again = await federatedSignIn(a, b, id, u.email);
    expect(again.page.status).toBe(200);
    expect(await count(a, "users")).toBe(1);
    expect(await count(a, "identities")).toBe(1);
    expect(await count(a, "sessions")).toBe(2);
  });
});

describe("upstream OpenID Provider: refusals", () => {
  it("a replayed callback (the same state) signs nobody in a second time", async () => {
    const { a, b, id } = await federation();
    const u = await upstreamUser(b);
    const t = await toCallback(a, b, id, u.email);
    expect((await t.browser.get(t.callback)).status).toBe(200);
    const replay = await t.browser.get(t.callback);
    expect(replay.status).toBe(400);
    expect(replay.html).toContain("idp_state");
    expect(await count(a, "sessions")).toBe(1);
  });

  it("a callback in another browser (no state cookie) is refused and leaves the state usable by its own browser", async () => {
    const { a, b, id } = await federation();
    const u = await upstreamUser(b);
    const t = await toCallback(a, b, id, u.email);
    const other = await new Browser().get(t.callback);
    expect(other.status).toBe(400);
    expect(other.html).toContain("idp_state");
    expect(await count(a, "users")).toBe(0);
    expect((await t.browser.get(t.callback)).status).toBe(200);
  });

  it("an ID token B issued for another client (wrong aud) is refused", async () => {
    const { a, b, id } = await federation();
    const u = await upstreamUser(b);
    const t = await toCallback(a, b, id, u.email);
    const otherClient = await upstreamClient(b, a, "unused");
    up.tamper = swapIdToken(await idTokenFromB(b, otherClient, new URL(t.start.location!).searchParams.get("nonce")!));
    const page = await t.browser.get(t.callback);
    expect(page.status).toBe(400);
    expect(page.html).toContain("idp_upstream");
    expect(await count(a, "users")).toBe(0);
    const [fail] = await rows<{ data: string }>(a, "SELECT data FROM audit_log WHERE type = 'login.failure'");
    expect(JSON.parse(fail.data)).toMatchObject({ reason: "bad_id_token" });
    expect(JSON.parse(fail.data).detail).toMatch(/aud/);
  });

  it("an ID token with another nonce is refused", async () => {
    const { a, b, id, client } = await federation();
    const u = await upstreamUser(b);
    const t = await toCallback(a, b, id, u.email);
    up.tamper = swapIdToken(await idTokenFromB(b, client, "not-the-nonce"));
    // idTokenFromB rewrote the client's redirect URI; A's callback code was issued before, so it still redeems.
    const page = await t.browser.get(t.callback);
    expect(page.status).toBe(400);
    const [fail] = await rows<{ data: string }>(a, "SELECT data FROM audit_log WHERE type = 'login.failure'");
    expect(JSON.parse(fail.data).detail).toMatch(/nonce/);
    expect(await count(a, "users")).toBe(0);
  });

  it("an expired ID token is refused", async () => {
    const { a, b, id, client } = await federation();
    const u = await upstreamUser(b);
    const t = await toCallback(a, b, id, u.email);
    const nonce = new URL(t.start.location!).searchParams.get("nonce")!;
    clock.advance(-3 * 3600_000);
    const old = await idTokenFromB(b, client, nonce);
    clock.reset();
    up.tamper = swapIdToken(old);
    const page = await t.browser.get(t.callback);
    expect(page.status).toBe(400);
    const [fail] = await rows<{ data: string }>(a, "SELECT data FROM audit_log WHERE type = 'login.failure'");
    expect(JSON.parse(fail.data).detail).toMatch(/exp|iat|age/i);
    expect(await count(a, "users")).toBe(0);
  });

  it("the upstream's iss in the response (RFC 9207) must be the provider's", async () => {
    const { a, b, id } = await federation();
    const u = await upstreamUser(b);
    const t = await toCallback(a, b, id, u.email);
    const forged = new URL(t.callback);
    forged.searchParams.set("iss", `${BASE}/v1/evil`);
    expect((await t.browser.get(forged.toString())).status).toBe(400);
    // Where the provider says it sends `iss`, a response without it is refused too.
    const t2 = await toCallback(a, b, id, u.email, new Browser());
    const bare = new URL(t2.callback);
    bare.searchParams.delete("iss");
    expect((await t2.browser.get(bare.toString())).status).toBe(400);
    expect(await count(a, "users")).toBe(0);
  });

  it("a discovery document naming another issuer is refused before the browser leaves", async () => {
    const { a, b } = await federation();
    const c2 = await upstreamClient(b, a, "slash");
    const r = await admin("POST", `/tenants/${a}/identity-providers`, { id: "slash", type: "oidc", issuer: `${BASE}/v1/${b}/`, client_id: c2.client_id, client_secret: c2.client_secret });
    expect(r.status).toBe(201);
    const start = await new Browser().get(`/v1/${a}/idp/slash/start`);
    expect(start.status).toBe(400);
    expect(start.location).toBeNull();
    expect(await count(a, "one_time_tokens", "purpose = 'idp_state'")).toBe(0);
  });

  it("a disabled provider cannot be started, and a sign-in under way through it is refused", async () => {
    const { a, b, id } = await federation();
    const u = await upstreamUser(b);
    const t = await toCallback(a, b, id, u.email);
    expect((await admin("PATCH", `/tenants/${a}/identity-providers/${id}`, { enabled: false })).status).toBe(200);
    const page = await t.browser.get(t.callback);
    expect(page.status).toBe(400);
    expect(page.html).toContain("idp_disabled");
    expect((await new Browser().get(`/v1/${a}/idp/${id}/start`)).status).toBe(404);
    expect(await count(a, "users")).toBe(0);
  });

  it("B rotating its ID-token key: A's cached JWKS misses the new kid, fetches again, and the sign-in works", async () => {
    const { a, b, id } = await federation();
    const u = await upstreamUser(b);
    expect((await federatedSignIn(a, b, id, u.email)).page.status).toBe(200);
    const jwksBefore = up.calls.filter((c) => c.includes("jwks")).length;
    await runInDurableObject(stub(b), async (o) => {
      const b = await o.begin();
    if (!b.ok) throw new Error("no tenant");
    const ctx = b.value;
      const key = await o.ring.prepare("id_token", "RS256");
      o.tx(ctx, () => o.ring.install(ctx, key));
      await o.commit(ctx);
    });
    clock.advance(15_000);
    expect((await federatedSignIn(a, b, id, u.email)).page.status).toBe(200);
    expect(up.calls.filter((c) => c.includes("jwks")).length).toBe(jwksBefore + 1);
  });
});

describe("the apps' way in: idp= on the tenant's own /oauth/authorize", () => {
  it("skips the chooser and comes back with an ordinary code", async () => {
    const { a, b, id } = await federation();
    const u = await upstreamUser(b);
    const { newClient, pkce, authorizeUrl, REDIRECT } = await import("../pages/kit.ts");
    const cid = await newClient(a, { first_party: true });
    const { challenge } = await pkce();
    const browser = new Browser();
    const first = await browser.get(authorizeUrl(a, cid, challenge, { idp: id }));
    expect(first.status).toBe(303);
    expect(first.location).toMatch(new RegExp(`^/v1/${a}/idp/${id}/start\\?flow=`));
    const { callback } = await toCallbackFrom(browser, first.location!, b, u.email);
    // A page of A's own carries the request on (see completeSignIn), then the usual 303 to the app.
    const bridge = await browser.get(callback);
    expect(bridge.status, bridge.html.slice(0, 300)).toBe(200);
    expect(bridge.html).toContain(`action="/v1/${a}/oauth/authorize/continue"`);
    const { field } = await import("../pages/kit.ts");
    const done = await browser.get(`/v1/${a}/oauth/authorize/continue?flow=${encodeURIComponent(field(bridge.html, "flow")!)}`);
    expect(done.status, done.html.slice(0, 300)).toBe(303);
    const back = new URL(done.location!);
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get("code")).toBeTruthy();
    expect(back.searchParams.get("state")).toBe("st-123");
    // An unknown provider is an error to the client, not a sign-in page.
    const bad = await new Browser().get(authorizeUrl(a, cid, challenge, { idp: "nope" }));
    expect(new URL(bad.location!).searchParams.get("error")).toBe("invalid_request");
  });
});

async function toCallbackFrom(browser: Browser, startPath: string, b: string, email: string) {
  const start = await browser.get(startPath);
  const signIn = await browser.get(start.location!);
  const { PASSWORD } = await import("../helpers.ts");
  const back = await browser.submit(signIn, `/v1/${b}/pages/sign-in`, { login: email, password: PASSWORD });
  return { callback: back.location! };
}

