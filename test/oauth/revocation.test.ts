/** @module /introspect and /revoke with client authentication: a client sees and revokes only its own tokens; grants and sessions. */
import { describe, expect, it } from "vitest";
import { apiKey, call, introspect, newTenant, snapshot } from "../helpers.ts";
import { basic, codeFor, expectOAuthError, form, newClient, redeem } from "./kit.ts";

async function grantOf(t: string, client: { client_id: string; client_secret?: string }, user?: any) {
  const { code, verifier, user: u } = await codeFor(t, client.client_id, user ? { user } : {});
  const r = await redeem(t, client, code, verifier);
  expect(r.status).toBe(200);
  return { tokens: r.body, user: u };
}

const auth = (c: { client_id: string; client_secret?: string }) => ({ authorization: basic(c.client_id, c.client_secret!) });

describe("introspection by a client", () => {
  it("answers for the client's own tokens, {active: false} for anyone else's", async () => {
    const t = await newTenant();
    const a = await newClient(t);
    const b = await newClient(t);
    const { tokens, user } = await grantOf(t, a);
    const own = await form(t, "/introspect", { token: tokens.access_token }, auth(a));
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    expect(own.body).toMatchObject({ active: true, client_id: a.client_id, sub: user.user.id });
    expect((await form(t, "/introspect", { token: tokens.refresh_token }, auth(a))).body).toMatchObject({ active: true, token_type: "refresh_token", client_id: a.client_id });
    expect((await form(t, "/introspect", { token: tokens.access_token }, auth(b))).body).toEqual({ active: false });
    expect((await form(t, "/introspect", { token: user.access_token }, auth(a))).body).toEqual({ active: false });
    expectOAuthError(await form(t, "/introspect", { token: tokens.access_token }, { authorization: basic(a.client_id, "wrong") }), 401, "invalid_client");
    // API keys keep working, form or JSON.
    const key = await apiKey(t, ["introspect"]);
    expect((await introspect(t, key, tokens.access_token)).active).toBe(true);
    expect((await form(t, "/introspect", { token: tokens.access_token }, { authorization: `Bearer ${key}` })).body.active).toBe(true);
  });
});

describe("revocation by a client", () => {
  it("revoking one grant leaves the session and the other grants alone", async () => {
    const t = await newTenant();
    const key = await apiKey(t, ["introspect"]);
    const a = await newClient(t);
    const b = await newClient(t);
    const ga = await grantOf(t, a);
    const gb = await grantOf(t, b, ga.user);
    const r = await form(t, "/revoke", { token: ga.tokens.refresh_token, token_type_hint: "refresh_token" }, auth(a));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect((await introspect(t, key, ga.tokens.access_token)).active).toBe(false);
    expect((await introspect(t, key, gb.tokens.access_token)).active).toBe(true);
    expect((await introspect(t, key, ga.user.access_token)).active).toBe(true);
  });

  it("an access token revokes its grant too; a public client identifies itself by client_id", async () => {
    const t = await newTenant();
    const key = await apiKey(t, ["introspect"]);
    const pub = await newClient(t, { token_endpoint_auth_method: "none" });
    const g = await grantOf(t, pub);
    expect((await form(t, "/revoke", { token: g.tokens.access_token, client_id: pub.client_id })).status).toBe(200);
    expect((await introspect(t, key, g.tokens.refresh_token)).active).toBe(false);
  });

  it("another client's token, and Warden's own, are left alone (200, nothing changes)", async () => {
    const t = await newTenant();
    const key = await apiKey(t, ["introspect"]);
    const a = await newClient(t);
    const b = await newClient(t);
    const g = await grantOf(t, a);
    const before = await snapshot(t);
    expect((await form(t, "/revoke", { token: g.tokens.access_token }, auth(b))).status).toBe(200);
    expect((await form(t, "/revoke", { token: g.user.refresh_token }, auth(b))).status).toBe(200);
    expect(await snapshot(t)).toEqual(before);
    expect((await introspect(t, key, g.tokens.access_token)).active).toBe(true);
    expectOAuthError(await form(t, "/revoke", { token: g.tokens.access_token }, { authorization: basic(a.client_id, "nope") }), 401, "invalid_client");
    // Without client credentials a client's token is not revoked: only its client may.
    expect((await call("POST", `/v1/${t}/revoke`, { body: { token: g.tokens.access_token } })).status).toBe(200);
    expect((await introspect(t, key, g.tokens.access_token)).active).toBe(true);
  });

  it("GET /sessions lists the grants of each session", async () => {
    const t = await newTenant();
    const a = await newClient(t);
    const g = await grantOf(t, a);
    const r = await call("GET", `/v1/${t}/sessions`, { token: g.user.access_token });
    expect(r.status).toBe(200);
    const s = r.body.sessions.find((x: { id: string }) => x.id === g.user.session_id);
    expect(s.grants).toEqual([expect.objectContaining({ client_id: a.client_id, client_name: "Test app", scope: "openid email profile offline_access" })]);
  });
});
