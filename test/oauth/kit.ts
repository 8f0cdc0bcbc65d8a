/**
 * @module OAuth test kit: clients, codes issued at the object as the authorization endpoint
 * would (inside a transaction, under a real Warden session), PKCE pairs, token requests.
 */
import { runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import { sha256B64 } from "../../src/crypto/digest.ts";
import { randomToken } from "../../src/crypto/random.ts";
import { issueAuthorizationCode, type CodeRequest } from "../../objects/tenant/oauth/codes.ts";
import { admin, call, signup, stub, type Call } from "../helpers.ts";

export const REDIRECT = "https://app.example/cb";

export async function newClient(slug: string, metadata: Record<string, unknown> = {}): Promise<{ client_id: string; client_secret?: string; [k: string]: unknown }> {
  const r = await admin("POST", `/tenants/${slug}/clients`, { client_name: "Test app", redirect_uris: [REDIRECT], ...metadata });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomToken(32);
  return { verifier, challenge: sha256B64(verifier) };
}

/** A signed-up user (a Warden session) and a code for `clientId` under that session. */
export async function codeFor(slug: string, clientId: string, o: Partial<CodeRequest> & { user?: any } = {}) {
  const user = o.user ?? (await signup(slug));
  const p = pkce();
  const req: CodeRequest = {
    clientId,
    redirectUri: REDIRECT,
    codeChallenge: p.challenge,
    scope: ["openid", "email", "profile", "offline_access"],
    nonce: "n-0S6_WzA2Mj",
    sessionId: user.session_id,
    userId: user.user.id,
    authTime: Date.now(),
    resource: null,
    ...o,
  };
  const code = await runInDurableObject(stub(slug), async (o2) => {
    const b = await o2.begin();
    if (!b.ok) throw new Error("no tenant");
    const ctx = b.value;
    const c = o2.tx(ctx, () => issueAuthorizationCode(ctx, req));
    await o2.commit(ctx);
    return c;
  });
  return { code, verifier: p.verifier, user, req };
}

export const basic = (id: string, secret: string) => `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`;

/** POST a form to `{issuer}/oauth/token` (or another OAuth endpoint). */
export function form(slug: string, path: string, params: Record<string, string>, headers: Record<string, string> = {}): Promise<Call> {
  return call("POST", `/v1/${slug}${path}`, { raw: new URLSearchParams(params).toString(), headers: { "content-type": "application/x-www-form-urlencoded", ...headers } });
}

export function tokenRequest(slug: string, client: { client_id: string; client_secret?: string }, params: Record<string, string>): Promise<Call> {
  return client.client_secret ? form(slug, "/oauth/token", params, { authorization: basic(client.client_id, client.client_secret) }) : form(slug, "/oauth/token", { ...params, client_id: client.client_id });
}

export function redeem(slug: string, client: { client_id: string; client_secret?: string }, code: string, verifier: string, extra: Record<string, string> = {}): Promise<Call> {
  return tokenRequest(slug, client, { grant_type: "authorization_code", code, redirect_uri: REDIRECT, code_verifier: verifier, ...extra });
}

export function expectOAuthError(r: Call, status: number, error: string): void {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.body?.error).toBe(error);
  expect(typeof r.body?.error_description).toBe("string");
  expect(r.headers.get("cache-control")).toBe("no-store");
}

/** The JWT's payload, unverified (tests only). */
export const payload = (jwt: string) => JSON.parse(atob(jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
