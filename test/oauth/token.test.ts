/** @module The token endpoint: the authorization_code grant, its ID token, and every bad input at redemption. */
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { afterEach } from "vitest";
import { BASE, call, count, introspect, apiKey, newTenant, snapshot } from "../helpers.ts";
import { basic, codeFor, expectOAuthError, form, newClient, payload, redeem, REDIRECT, tokenRequest } from "./kit.ts";

afterEach(() => clock.reset());

describe("authorization_code", () => {
  // ASVS 9.2.4
  it("redeems a code for an access token, a refresh token and an ID token per OIDC Core", async () => {
    const t = await newTenant();
    const client = await newClient(t);
    const { code, verifier, user } = await codeFor(t, client.client_id);
    const r = await redeem(t, client, code, verifier);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(r.body).toMatchObject({ token_type: "Bearer", scope: "openid email profile offline_access" });
    expect(r.body.refresh_token).toMatch(/^grt_[A-Za-z0-9_-]{22}\.0\.[A-Za-z0-9_-]{64}$/); // the grant's chain, generation 0
    const at = payload(r.body.access_token);
    expect(at).toMatchObject({ iss: `${BASE}/v1/${t}`, aud: t, sub: user.user.id, client_id: client.client_id, email: user.user.email, scope: "openid email profile offline_access" });
    expect(at.sid).not.toBe(user.session_id); // the grant
    expect(typeof at.auth_time).toBe("number");
    const id = payload(r.body.id_token);
    expect(id).toMatchObject({ iss: `${BASE}/v1/${t}`, sub: user.user.id, aud: client.client_id, nonce: "n-0S6_WzA2Mj", sid: user.session_id, amr: ["pwd"], email: user.user.email, email_verified: false });
    for (const k of ["exp", "iat", "auth_time", "at_hash"]) expect(id).toHaveProperty(k);
    expect(JSON.parse(atob(r.body.id_token.split(".")[0])).alg).toBe("RS256");
    // A Warden access token: introspection accepts it.
    const key = await apiKey(t, ["introspect"]);
    expect(await introspect(t, key, r.body.access_token)).toMatchObject({ active: true, sub: user.user.id, client_id: client.client_id });
  });

  it("without offline_access there is no refresh token; without email no email claim", async () => {
    const t = await newTenant();
    const client = await newClient(t);
    const { code, verifier } = await codeFor(t, client.client_id, { scope: ["openid"] });
    const r = await redeem(t, client, code, verifier);
    expect(r.status).toBe(200);
    expect(r.body).not.toHaveProperty("refresh_token");
    expect(payload(r.body.access_token).email).toBeNull();
    expect(payload(r.body.id_token)).not.toHaveProperty("email");
  });

  it("a code used twice is invalid_grant and revokes every token issued from it", async () => {
    const t = await newTenant();
    const client = await newClient(t);
    const key = await apiKey(t, ["introspect"]);
    const { code, verifier, user } = await codeFor(t, client.client_id);
    const first = await redeem(t, client, code, verifier);
    expect(first.status).toBe(200);
    expectOAuthError(await redeem(t, client, code, verifier), 400, "invalid_grant");
    expect((await introspect(t, key, first.body.access_token)).active).toBe(false);
    expectOAuthError(await tokenRequest(t, client, { grant_type: "refresh_token", refresh_token: first.body.refresh_token }), 400, "invalid_grant");
    // The Warden session itself goes on.
    expect((await introspect(t, key, user.access_token)).active).toBe(true);
  });

  it("an expired code is invalid_grant", async () => {
    const t = await newTenant();
    const client = await newClient(t);
    const { code, verifier } = await codeFor(t, client.client_id);
    clock.advance(61_000);
    expectOAuthError(await redeem(t, client, code, verifier), 400, "invalid_grant");
  });

  it("every bad input at redemption gets its error and changes nothing; the code still works after", async () => {
    const t = await newTenant();
    const client = await newClient(t);
    const other = await newClient(t);
    const { code, verifier } = await codeFor(t, client.client_id);
    const before = { ...(await snapshot(t)), grants: await count(t, "grants") };
    const cases: [Promise<any>, number, string][] = [
      [redeem(t, client, code, verifier, { redirect_uri: "https://app.example/other" }), 400, "invalid_grant"],
      [redeem(t, client, code, verifier, { redirect_uri: "https://evil.example/cb" }), 400, "invalid_grant"],
      [redeem(t, client, code, "x".repeat(43)), 400, "invalid_grant"], // wrong verifier
      [tokenRequest(t, client, { grant_type: "authorization_code", code, redirect_uri: REDIRECT }), 400, "invalid_request"], // no PKCE
      [redeem(t, client, code, "short"), 400, "invalid_grant"], // not a verifier
      [redeem(t, other, code, verifier), 400, "invalid_grant"], // another client's code
      [redeem(t, { client_id: client.client_id, client_secret: "wrong" }, code, verifier), 401, "invalid_client"],
      [form(t, "/oauth/token", { grant_type: "authorization_code", code, redirect_uri: REDIRECT, code_verifier: verifier }), 401, "invalid_client"], // no client auth
      [form(t, "/oauth/token", { grant_type: "authorization_code", code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: client.client_id }), 401, "invalid_client"], // confidential client as public
      [tokenRequest(t, client, { grant_type: "password", username: "a", password: "b" }), 400, "unsupported_grant_type"],
      [tokenRequest(t, client, { grant_type: "client_credentials" }), 400, "unauthorized_client"], // not registered for it
      [redeem(t, client, code, verifier, { resource: "https://api.example/#x" }), 400, "invalid_target"],
    ];
    for (const [p, status, error] of cases) expectOAuthError(await p, status, error);
    const wrongSecret = await redeem(t, { client_id: client.client_id, client_secret: "wrong" }, code, verifier);
    expect(wrongSecret.headers.get("www-authenticate")).toMatch(/^Basic/);
    expect({ ...(await snapshot(t)), grants: await count(t, "grants") }).toEqual(before);
    expect((await redeem(t, client, code, verifier)).status).toBe(200);
  });

  it("the body must be a form, each parameter once", async () => {
    const t = await newTenant();
    const client = await newClient(t);
    const json = await call("POST", `/v1/${t}/oauth/token`, { body: { grant_type: "client_credentials" }, headers: { authorization: basic(client.client_id, client.client_secret!) } });
    expectOAuthError(json, 400, "invalid_request");
    const twice = await call("POST", `/v1/${t}/oauth/token`, { raw: "grant_type=a&grant_type=b", headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic(client.client_id, client.client_secret!) } });
    expectOAuthError(twice, 400, "invalid_request");
    // The body reader's own refusal keeps its HTTP status, in RFC 6749's format.
    const huge = await call("POST", `/v1/${t}/oauth/token`, { raw: `grant_type=client_credentials&scope=${"a".repeat(20_000)}`, headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic(client.client_id, client.client_secret!) } });
    expectOAuthError(huge, 413, "invalid_request");
  });

  it("client_secret_post and a public client (none) authenticate as registered", async () => {
    const t = await newTenant();
    const post = await newClient(t, { token_endpoint_auth_method: "client_secret_post" });
    const pub = await newClient(t, { token_endpoint_auth_method: "none" });
    const a = await codeFor(t, post.client_id);
    const viaPost = await form(t, "/oauth/token", { grant_type: "authorization_code", code: a.code, redirect_uri: REDIRECT, code_verifier: a.verifier, client_id: post.client_id, client_secret: post.client_secret! });
    expect(viaPost.status, JSON.stringify(viaPost.body)).toBe(200);
    // The same client with Basic: not its registered method.
    const b = await codeFor(t, post.client_id);
    expectOAuthError(await form(t, "/oauth/token", { grant_type: "authorization_code", code: b.code, redirect_uri: REDIRECT, code_verifier: b.verifier }, { authorization: basic(post.client_id, post.client_secret!) }), 401, "invalid_client");
    const c = await codeFor(t, pub.client_id);
    expect((await redeem(t, pub, c.code, c.verifier)).status).toBe(200);
  });

  it("Basic credentials are form-decoded first (RFC 6749 section 2.3.1)", async () => {
    const t = await newTenant();
    const client = await newClient(t, { grant_types: ["client_credentials"], redirect_uris: [], scope: "reports:read" });
    // A secret has no reserved characters, but an encoded one must decode to it: %41 is "A".
    const enc = client.client_secret!.replace(/A/g, "%41");
    const r = await form(t, "/oauth/token", { grant_type: "client_credentials" }, { authorization: `Basic ${btoa(`${client.client_id}:${enc}`)}` });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  });

  // ASVS 7.6.1
  it("a session that ended before redemption makes the code invalid_grant", async () => {
    const t = await newTenant();
    const client = await newClient(t);
    const { code, verifier, user } = await codeFor(t, client.client_id);
    expect((await call("POST", `/v1/${t}/logout`, { token: user.access_token })).status).toBe(204);
    expectOAuthError(await redeem(t, client, code, verifier), 400, "invalid_grant");
  });
});

describe("scope at redemption", () => {
  it("a code whose scope the client may no longer ask for is invalid_scope, and the code is not spent", async () => {
    const t = await newTenant();
    const client = await newClient(t);
    const { code, verifier } = await codeFor(t, client.client_id, { scope: ["openid", "email", "reports:read"] });
    expectOAuthError(await redeem(t, client, code, verifier), 400, "invalid_scope");
    expect(await count(t, "grants")).toBe(0);
  });
});

describe("the alarm", () => {
  it("purges codes past their keeping time and grants ended as long ago as revoked sessions", async () => {
    const { runDurableObjectAlarm } = await import("cloudflare:test");
    const { stub } = await import("../helpers.ts");
    const t = await newTenant({ retention: { revoked_sessions_days: 1 } });
    const client = await newClient(t);
    const used = await codeFor(t, client.client_id);
    const r = await redeem(t, client, used.code, used.verifier);
    expect(r.status).toBe(200);
    await codeFor(t, client.client_id, { user: used.user }); // never redeemed
    await call("POST", `/v1/${t}/logout`, { token: used.user.access_token });
    expect(await count(t, "authorization_codes")).toBe(2);
    expect(await count(t, "grants", "revoked_at IS NOT NULL")).toBe(1);
    clock.advance(2 * 86_400_000);
    await runDurableObjectAlarm(stub(t));
    expect(await count(t, "authorization_codes")).toBe(0);
    expect(await count(t, "grants")).toBe(0);
  });
});
