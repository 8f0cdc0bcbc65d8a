/** @module The refresh_token and client_credentials grants, ID-token signatures, and client tokens at Warden's account routes. */
import { createLocalJWKSet, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { apiKey, BASE, call, count, introspect, newTenant, refresh, snapshot } from "../helpers.ts";
import { codeFor, expectOAuthError, newClient, payload, redeem, tokenRequest } from "./kit.ts";

async function signedIn(t: string, metadata: Record<string, unknown> = {}, scope?: string[]) {
  const client = await newClient(t, metadata);
  const { code, verifier, user } = await codeFor(t, client.client_id, scope ? { scope } : {});
  const r = await redeem(t, client, code, verifier);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return { client, user, tokens: r.body };
}

describe("refresh_token", () => {
  it("rotates the grant's refresh token and issues a new access token and ID token", async () => {
    const t = await newTenant();
    const { client, tokens } = await signedIn(t);
    const r = await tokenRequest(t, client, { grant_type: "refresh_token", refresh_token: tokens.refresh_token });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.refresh_token).not.toBe(tokens.refresh_token);
    expect(payload(r.body.access_token).sid).toBe(payload(tokens.access_token).sid);
    expect(payload(r.body.id_token)).not.toHaveProperty("nonce");
    // `scope` may narrow the access token, never widen it.
    const narrow = await tokenRequest(t, client, { grant_type: "refresh_token", refresh_token: r.body.refresh_token, scope: "openid" });
    expect(narrow.status).toBe(200);
    expect(narrow.body.scope).toBe("openid");
    expectOAuthError(await tokenRequest(t, client, { grant_type: "refresh_token", refresh_token: narrow.body.refresh_token, scope: "openid admin" }), 400, "invalid_scope");
  });

  it("is bound to its client: another client and the legacy /refresh are refused, changing nothing", async () => {
    const t = await newTenant();
    const { tokens } = await signedIn(t);
    const other = await newClient(t);
    const before = await snapshot(t);
    expectOAuthError(await tokenRequest(t, other, { grant_type: "refresh_token", refresh_token: tokens.refresh_token }), 400, "invalid_grant");
    const legacy = await refresh(t, tokens.refresh_token);
    expect(legacy.status).toBe(401);
    expect(legacy.body.error.code).toBe("invalid_token");
    expect(await snapshot(t)).toEqual(before);
  });

  it("inside the grace a rotated token gets the same successor back (one chain per grant)", async () => {
    const t = await newTenant();
    const { client, tokens } = await signedIn(t);
    const a = await tokenRequest(t, client, { grant_type: "refresh_token", refresh_token: tokens.refresh_token });
    const b = await tokenRequest(t, client, { grant_type: "refresh_token", refresh_token: tokens.refresh_token });
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(b.body.refresh_token).toBe(a.body.refresh_token);
    expect(await count(t, "refresh_chains", "chain_id = ?", payload(tokens.access_token).sid)).toBe(1);
  });

  it("reuse past the grace ends the grant, not the session", async () => {
    const t = await newTenant({ refresh_reuse_grace_s: 0 });
    const key = await apiKey(t, ["introspect"]);
    const { client, user, tokens } = await signedIn(t);
    const next = await tokenRequest(t, client, { grant_type: "refresh_token", refresh_token: tokens.refresh_token });
    expect(next.status).toBe(200);
    expectOAuthError(await tokenRequest(t, client, { grant_type: "refresh_token", refresh_token: tokens.refresh_token }), 400, "invalid_grant");
    expect((await introspect(t, key, next.body.access_token)).active).toBe(false);
    expect((await introspect(t, key, user.access_token)).active).toBe(true);
  });

  it("ending the Warden session ends the grant and its tokens", async () => {
    const t = await newTenant();
    const key = await apiKey(t, ["introspect"]);
    const { client, user, tokens } = await signedIn(t);
    expect((await call("POST", `/v1/${t}/logout`, { token: user.access_token })).status).toBe(204);
    expect((await introspect(t, key, tokens.access_token)).active).toBe(false);
    expectOAuthError(await tokenRequest(t, client, { grant_type: "refresh_token", refresh_token: tokens.refresh_token }), 400, "invalid_grant");
    expect(await count(t, "grants", "revoked_at IS NOT NULL AND revoke_reason = 'logout'")).toBe(1);
  });
});

describe("client_credentials", () => {
  const machine = { grant_types: ["client_credentials"], redirect_uris: [], scope: "reports:read reports:write" };

  it("gives a machine client a token for itself: sub = client_id, no refresh token", async () => {
    const t = await newTenant();
    const key = await apiKey(t, ["introspect"]);
    const client = await newClient(t, machine);
    const r = await tokenRequest(t, client, { grant_type: "client_credentials", scope: "reports:read" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).not.toHaveProperty("refresh_token");
    expect(r.body).not.toHaveProperty("id_token");
    const at = payload(r.body.access_token);
    expect(at).toMatchObject({ sub: client.client_id, client_id: client.client_id, scope: "reports:read", aud: t });
    expect((await introspect(t, key, r.body.access_token))).toMatchObject({ active: true, sub: client.client_id, client_id: client.client_id });
    // Reused machine grant: a second token does not add a row.
    await tokenRequest(t, client, { grant_type: "client_credentials", scope: "reports:read" });
    expect(await count(t, "grants")).toBe(1);
    // RFC 8707: the resource becomes the audience.
    const rs = await tokenRequest(t, client, { grant_type: "client_credentials", resource: "https://api.example/" });
    expect(payload(rs.body.access_token).aud).toBe("https://api.example/");
    expect((await introspect(t, key, rs.body.access_token)).active).toBe(true);
  });

  it("a scope the client did not register is invalid_scope; a public client is unauthorized_client", async () => {
    const t = await newTenant();
    const client = await newClient(t, machine);
    expectOAuthError(await tokenRequest(t, client, { grant_type: "client_credentials", scope: "admin" }), 400, "invalid_scope");
    expectOAuthError(await tokenRequest(t, client, { grant_type: "client_credentials", scope: "openid" }), 400, "invalid_scope");
    const pub = await newClient(t, { token_endpoint_auth_method: "none" });
    expectOAuthError(await tokenRequest(t, pub, { grant_type: "client_credentials" }), 400, "unauthorized_client");
    expect(await count(t, "grants")).toBe(0);
  });

  it("deleting the client kills its tokens", async () => {
    const t = await newTenant();
    const key = await apiKey(t, ["introspect"]);
    const client = await newClient(t, machine);
    const r = await tokenRequest(t, client, { grant_type: "client_credentials" });
    expect((await introspect(t, key, r.body.access_token)).active).toBe(true);
    const { admin } = await import("../helpers.ts");
    expect((await admin("DELETE", `/tenants/${t}/clients/${client.client_id}`)).status).toBe(204);
    expect((await introspect(t, key, r.body.access_token)).active).toBe(false);
  });
});

describe("ID tokens", () => {
  it("verify against the tenant's JWKS with RS256 by default and EdDSA when the client asks", async () => {
    const t = await newTenant();
    const jwksOf = async () => createLocalJWKSet((await call("GET", `/v1/${t}/.well-known/jwks.json`)).body);
    for (const alg of ["RS256", "EdDSA"]) {
      const { client, tokens } = await signedIn(t, { id_token_signed_response_alg: alg });
      const { payload: p, protectedHeader } = await jwtVerify(tokens.id_token, await jwksOf(), { issuer: `${BASE}/v1/${t}`, audience: client.client_id });
      expect(protectedHeader.alg).toBe(alg);
      expect(p.sid).toBeTypeOf("string");
    }
  });
});

describe("client tokens at Warden's account routes", () => {
  it("a third-party token is 403 insufficient_scope at /me, /sessions, /logout-all and MFA", async () => {
    const t = await newTenant();
    const { tokens } = await signedIn(t);
    const before = await snapshot(t);
    for (const [method, path] of [["GET", "/me"], ["GET", "/sessions"], ["POST", "/logout-all"], ["POST", "/logout"], ["POST", "/mfa/totp"]]) {
      const r = await call(method, `/v1/${t}${path}`, { token: tokens.access_token });
      expect(r.status, `${path}: ${JSON.stringify(r.body)}`).toBe(403);
      expect(r.body.error.code).toBe("forbidden");
      expect(r.headers.get("www-authenticate")).toMatch(/^Bearer error="insufficient_scope"/);
    }
    expect(await snapshot(t)).toEqual(before);
  });

  it("a first-party client's token, or one with warden:account, reaches them", async () => {
    const t = await newTenant();
    const fp = await signedIn(t, { first_party: true });
    expect((await call("GET", `/v1/${t}/me`, { token: fp.tokens.access_token })).status).toBe(200);
    const scoped = await signedIn(t, { scope: "openid warden:account" }, ["openid", "warden:account"]);
    const me = await call("GET", `/v1/${t}/me`, { token: scoped.tokens.access_token });
    expect(me.status, JSON.stringify(me.body)).toBe(200);
  });
});

describe("key purposes", () => {
  it("an ID token is not an access token: its key is an id_token key, refused at introspection and /me", async () => {
    const t = await newTenant({ token_alg: "RS256" });
    const key = await apiKey(t, ["introspect"]);
    const { tokens } = await signedIn(t, { first_party: true });
    expect((await introspect(t, key, tokens.id_token)).active).toBe(false);
    expect((await call("GET", `/v1/${t}/me`, { token: tokens.id_token })).status).toBe(401);
    const jwks = (await call("GET", `/v1/${t}/.well-known/jwks.json`)).body.keys;
    const kid = JSON.parse(atob(tokens.id_token.split(".")[0])).kid;
    expect(jwks.find((k: { kid: string }) => k.kid === kid).warden_use).toBe("id_token");
  });
});
