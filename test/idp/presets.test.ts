/**
 * @module The Google, Microsoft and Apple presets against a stand-in for each provider (its
 * discovery, JWKS and token endpoint answered by the outbound mock, ID tokens signed with a key
 * made here): the fixed issuers, Microsoft's `{tenantid}` template checked per token and keyed
 * by (tid, oid) with its `email` never trusted, Apple's client-secret JWT and form_post.
 */
import { exportJWK, exportPKCS8, generateKeyPair, jwtVerify, SignJWT, type JWK } from "jose";
import { describe, expect, it, vi } from "vitest";
import { admin, bodyText, count, newTenant, rows, signup, uniq } from "../helpers.ts";
import { Browser } from "../pages/kit.ts";
import { callbackOf, identitiesIn, useUpstream } from "./kit.ts";

useUpstream();

interface FakeOp {
  claims: Record<string, unknown>;
  tokenRequests: URLSearchParams[];
}

/** Answers `issuerBase`'s discovery, JWKS and token endpoint; the ID token carries `op.claims` (plus aud, iat, exp, nonce). */
async function fakeOp(issuerBase: string, discoveredIssuer: string, clientId: string): Promise<FakeOp> {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  const op: FakeOp = { claims: {}, tokenRequests: [] };
  const origin = new URL(issuerBase).origin;
  const mocked = vi.mocked(globalThis.fetch).getMockImplementation()!;
  vi.mocked(globalThis.fetch).mockImplementation(async (input, init) => {
    const req = new Request(input, init);
    if (!req.url.startsWith(origin)) return mocked(req);
    if (req.url === `${issuerBase}/.well-known/openid-configuration`) {
      return Response.json({ issuer: discoveredIssuer, authorization_endpoint: `${origin}/authorize`, token_endpoint: `${origin}/token`, jwks_uri: `${origin}/jwks`, token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"] });
    }
    if (req.url === `${origin}/jwks`) return Response.json({ keys: [jwk] });
    if (req.url === `${origin}/token`) {
      op.tokenRequests.push(new URLSearchParams(await bodyText(req)));
      const now = Math.floor(Date.now() / 1000);
      const idToken = await new SignJWT({ ...op.claims }).setProtectedHeader({ alg: "RS256", kid: "k1" }).setAudience(clientId).setIssuedAt(now).setExpirationTime(now + 600).sign(privateKey);
      return Response.json({ access_token: "at", token_type: "Bearer", id_token: idToken });
    }
    return new Response("not found", { status: 404 });
  });
  return op;
}

async function start(a: string, id: string, browser: Browser) {
  const s = await browser.get(`/v1/${a}/idp/${id}/start`);
  expect(s.status, s.html.slice(0, 300)).toBe(303);
  return new URL(s.location!).searchParams;
}

describe("Google", () => {
  it("signs in with Google's fixed issuer and trusts its email_verified", async () => {
    const a = await newTenant();
    await admin("POST", `/tenants/${a}/identity-providers`, { id: "google", type: "google", client_id: "g.apps.googleusercontent.com", client_secret: "gsecret" });
    const op = await fakeOp("https://accounts.google.com", "https://accounts.google.com", "g.apps.googleusercontent.com");
    const b = new Browser();
    const q = await start(a, "google", b);
    const email = `${uniq("g")}@gmail.com`;
    op.claims = { iss: "https://accounts.google.com", sub: "1098", email, email_verified: true, nonce: q.get("nonce") };
    const page = await b.get(`${callbackOf(a, "google")}?code=c&state=${q.get("state")}`);
    expect(page.status, page.html.slice(0, 300)).toBe(200);
    expect((await rows(a, "SELECT email, email_verified FROM users"))[0]).toEqual({ email, email_verified: 1 });
    // client_secret_basic where the provider takes it: the secret is not in the body.
    expect(op.tokenRequests[0].get("client_secret")).toBeNull();
  });
});

describe("Microsoft", () => {
  const TID = "9188040d-6c67-4c5b-b112-36a304b66dad";

  it("common: the {tenantid} issuer is checked against the token's tid; the identity is keyed by (tid, oid); email is never trusted", async () => {
    const a = await newTenant();
    const email = `${uniq("m")}@contoso.example`;
    const victim = await signup(a, { email });
    await rows(a, "UPDATE users SET email_verified = 1 WHERE id = ?", victim.user.id);
    await admin("POST", `/tenants/${a}/identity-providers`, { id: "ms", type: "microsoft", client_id: "ms-client", client_secret: "mssecret" });
    const op = await fakeOp("https://login.microsoftonline.com/common/v2.0", "https://login.microsoftonline.com/{tenantid}/v2.0", "ms-client");
    // An Entra tenant admin can put any address in `email`: it must not reach the victim's account.
    const b1 = new Browser();
    const q1 = await start(a, "ms", b1);
    op.claims = { iss: `https://login.microsoftonline.com/${TID}/v2.0`, tid: TID, oid: "oid-1", sub: "pairwise", email, email_verified: true, nonce: q1.get("nonce") };
    const refused = await b1.get(`${callbackOf(a, "ms")}?code=c&state=${q1.get("state")}`);
    expect(refused.status).toBe(409);
    expect(await count(a, "identities")).toBe(0);
    // A token whose iss names another tenant than its tid is refused.
    const b2 = new Browser();
    const q2 = await start(a, "ms", b2);
    op.claims = { iss: "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0", tid: TID, oid: "oid-2", sub: "x", nonce: q2.get("nonce") };
    expect((await b2.get(`${callbackOf(a, "ms")}?code=c&state=${q2.get("state")}`)).status).toBe(400);
    // A fresh address: an account (email unverified), identity keyed by the tid's issuer and the oid.
    const b3 = new Browser();
    const q3 = await start(a, "ms", b3);
    const fresh = `${uniq("m")}@contoso.example`;
    op.claims = { iss: `https://login.microsoftonline.com/${TID}/v2.0`, tid: TID, oid: "oid-3", sub: "pairwise-3", email: fresh, nonce: q3.get("nonce") };
    expect((await b3.get(`${callbackOf(a, "ms")}?code=c&state=${q3.get("state")}`)).status).toBe(200);
    const [idn] = await identitiesIn(a);
    expect(idn).toMatchObject({ issuer: `https://login.microsoftonline.com/${TID}/v2.0`, subject: "oid-3", email_verified: 0 });
    expect((await rows<{ email_verified: number }>(a, "SELECT email_verified FROM users WHERE email = ?", fresh))[0].email_verified).toBe(0);
  });
});

describe("Microsoft with require_email_verification", () => {
  it("an unverified Microsoft email signs nobody in on a tenant that requires verified emails: a clear page, not an error", async () => {
    const a = await newTenant({ signup: { require_email_verification: true } });
    await admin("POST", `/tenants/${a}/identity-providers`, { id: "ms", type: "microsoft", tenant: "9188040d-6c67-4c5b-b112-36a304b66dad", client_id: "ms-client", client_secret: "s" });
    const op = await fakeOp("https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0", "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0", "ms-client");
    const b = new Browser();
    const q = await start(a, "ms", b);
    op.claims = { iss: "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0", tid: "9188040d-6c67-4c5b-b112-36a304b66dad", oid: "o", sub: "s", email: `${uniq("m")}@contoso.example`, nonce: q.get("nonce") };
    const page = await b.get(`${callbackOf(a, "ms")}?code=c&state=${q.get("state")}`);
    expect(page.status).toBe(400);
    expect(page.html).toContain("idp_unverified");
    expect(await count(a, "sessions")).toBe(0);
  });
});

describe("Apple", () => {
  it("answers by form_post; the client secret is an ES256 JWT from the developer's key; email_verified \"true\" counts", async () => {
    const a = await newTenant();
    const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
    const pem = await exportPKCS8(privateKey);
    const r = await admin("POST", `/tenants/${a}/identity-providers`, { id: "apple", type: "apple", client_id: "com.example.web", apple: { team_id: "ABCDE12345", key_id: "KEY1234567", private_key: pem } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(JSON.stringify(r.body)).not.toContain("PRIVATE KEY");
    const op = await fakeOp("https://appleid.apple.com", "https://appleid.apple.com", "com.example.web");
    const b = new Browser();
    const q = await start(a, "apple", b);
    expect(q.get("response_mode")).toBe("form_post");
    expect(q.get("scope")).toBe("openid email name");
    const email = `${uniq("ap")}@privaterelay.appleid.com`;
    op.claims = { iss: "https://appleid.apple.com", sub: "001234.abcd", email, email_verified: "true", nonce: q.get("nonce") };
    const page = await b.request("POST", callbackOf(a, "apple"), { code: "c", state: q.get("state")! });
    expect(page.status, page.html.slice(0, 300)).toBe(200);
    const secret = op.tokenRequests[0].get("client_secret")!;
    const { payload, protectedHeader } = await jwtVerify(secret, publicKey, { issuer: "ABCDE12345", subject: "com.example.web", audience: "https://appleid.apple.com" });
    expect(protectedHeader).toMatchObject({ alg: "ES256", kid: "KEY1234567" });
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(15_552_000);
    expect((await rows(a, "SELECT email_verified FROM users"))[0]).toEqual({ email_verified: 1 });
  });
});
