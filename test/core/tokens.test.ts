/** @module Access tokens: claims, header, JWKS verification per algorithm, and every verification refusal. */
import { runInDurableObject } from "cloudflare:test";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT, type JWTPayload } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { fromB64url } from "../../src/crypto/bytes.ts";
import { admin, apiKey, BASE, call, expectError, introspect, newTenant, rows, signup, stub, tenantWith } from "../helpers.ts";

afterEach(() => clock.reset());

const jwks = async (t: string) => createLocalJWKSet((await call("GET", `/v1/${t}/.well-known/jwks.json`)).body);
const me = (t: string, token: string) => call("GET", `/v1/${t}/me`, { token });

/** Signs `claims` with the tenant's own current key (read inside the object), with header overrides. */
function forge(t: string, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return runInDurableObject(stub(t), async (o) => {
    const b = await o.begin();
    if (!b.ok) throw new Error("no tenant");
    const alg = b.value.settings.token_alg === "user-HS512" ? "EdDSA" : b.value.settings.token_alg;
    const key = (b.value.settings.token_alg === "user-HS512" ? o.ring.current("set") : o.ring.current("access_token", alg))!;
    return new SignJWT(claims).setProtectedHeader({ alg, kid: key.kid, typ: "at+jwt", ...header } as never).sign(key.sign);
  });
}

describe("access token", () => {
  it("carries every access-token claim with the right values", async () => {
    const t = await newTenant();
    const s = await signup(t, { email: "Claims@Example.com", username: "claims_user" });
    const c = decodeJwt(s.access_token);
    expect(Object.keys(c).sort()).toEqual(["amr", "auth_time", "aud", "email", "exp", "iat", "iss", "jti", "roles", "scope", "sid", "sub", "tid", "username", "ver"].sort());
    expect(c).toMatchObject({
      iss: `${BASE}/v1/${t}`,
      aud: t,
      sub: s.user.id,
      tid: t,
      sid: s.session_id,
      ver: 1,
      roles: [],
      scope: "",
      amr: ["pwd"],
      email: "Claims@Example.com",
      username: "claims_user",
    });
    expect(c.jti).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    // OIDC Core section 2: seconds, when the user signed in (here: signed up).
    expect(c.auth_time).toBe(c.iat);
    expect(c.exp! - c.iat!).toBe(3600);
    expect(Math.abs(c.iat! - Date.now() / 1000)).toBeLessThan(60);
    expect(s.expires_in).toBe(3600);
    const h = decodeProtectedHeader(s.access_token);
    expect(h).toMatchObject({ alg: "EdDSA", typ: "at+jwt", kid: expect.any(String) });
  });

  it("roles and scope come from the user's memberships: role names, and the sorted union of their scopes", async () => {
    const t = await newTenant();
    const s = await signup(t);
    await rows(t, "INSERT INTO roles (name, description, scopes, created_at) VALUES ('editor', NULL, '[\"posts:write\",\"posts:read\"]', 0), ('viewer', NULL, '[\"posts:read\"]', 0), ('other', NULL, '[\"x\"]', 0)");
    await rows(t, "INSERT INTO memberships (user_id, role, created_at) VALUES (?, 'viewer', 0), (?, 'editor', 0)", s.user.id, s.user.id);
    const r = await call("POST", `/v1/${t}/refresh`, { body: { refresh_token: s.refresh_token } });
    expect(decodeJwt(r.body.access_token)).toMatchObject({ roles: ["editor", "viewer"], scope: "posts:read posts:write" });
    expect(await introspect(t, await apiKey(t), r.body.access_token)).toMatchObject({ roles: ["editor", "viewer"], scope: "posts:read posts:write" });
  });

  // ASVS 9.2.4
  it("exp - iat is the tenant's access_ttl_s, and aud its audience setting", async () => {
    const t = await tenantWith({ access_ttl_s: 120, audience: "https://api.example.com" });
    const s = await signup(t);
    const c = decodeJwt(s.access_token);
    expect(c.exp! - c.iat!).toBe(120);
    expect(s.expires_in).toBe(120);
    expect(c.aud).toBe("https://api.example.com");
    expect((await me(t, s.access_token)).status).toBe(200);
  });

  // ASVS 7.2.2
  it("each token has its own jti", async () => {
    const t = await newTenant();
    const a = await signup(t);
    const b = await call("POST", `/v1/${t}/refresh`, { body: { refresh_token: a.refresh_token } });
    expect(decodeJwt(a.access_token).jti).not.toBe(decodeJwt(b.body.access_token).jti);
  });

  it("verifies with jose against the JWKS, which may be cached at most 5 minutes", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const r = await call("GET", `/v1/${t}/.well-known/jwks.json`);
    expect(r.status).toBe(200);
    const maxAge = Number(/max-age=(\d+)/.exec(r.headers.get("cache-control") ?? "")?.[1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(300);
    for (const k of r.body.keys) {
      expect(k).not.toHaveProperty("d");
      expect(k).toMatchObject({ kid: expect.any(String), alg: expect.any(String), use: "sig" });
    }
    const { payload, protectedHeader } = await jwtVerify(s.access_token, createLocalJWKSet(r.body), { issuer: `${BASE}/v1/${t}`, audience: t, typ: "at+jwt", algorithms: ["EdDSA"] });
    expect(payload.sub).toBe(s.user.id);
    expect(r.body.keys.map((k: { kid: string }) => k.kid)).toContain(protectedHeader.kid);
  });

  it.each(["ES256", "RS256"])("a %s tenant signs tokens that verify against its JWKS", async (alg) => {
    const t = await tenantWith({ token_alg: alg });
    const s = await signup(t);
    expect(decodeProtectedHeader(s.access_token).alg).toBe(alg);
    const { payload } = await jwtVerify(s.access_token, await jwks(t), { issuer: `${BASE}/v1/${t}`, audience: t, algorithms: [alg] });
    expect(payload.sub).toBe(s.user.id);
    expect((await me(t, s.access_token)).status).toBe(200);
  });

  it("an HS256 tenant: the PATCH response shows the secret once, and tokens verify with it", async () => {
    const t = await newTenant();
    const r = await admin("PATCH", `/tenants/${t}`, { settings: { token_alg: "HS256" } });
    expect(r.status).toBe(200);
    expect(r.body.signing_key).toMatchObject({ alg: "HS256", kid: expect.any(String), secret: expect.any(String) });
    const secret = fromB64url(r.body.signing_key.secret);
    expect(secret.length).toBeGreaterThanOrEqual(32);
    const s = await signup(t);
    expect(decodeProtectedHeader(s.access_token)).toMatchObject({ alg: "HS256", kid: r.body.signing_key.kid });
    const { payload } = await jwtVerify(s.access_token, secret, { issuer: `${BASE}/v1/${t}`, audience: t, algorithms: ["HS256"] });
    expect(payload.sub).toBe(s.user.id);
    // Not published, and not shown again.
    expect(JSON.stringify((await call("GET", `/v1/${t}/.well-known/jwks.json`)).body)).not.toContain(r.body.signing_key.kid);
    expect((await admin("GET", `/tenants/${t}`)).body).not.toHaveProperty("signing_key");
    expect((await admin("PATCH", `/tenants/${t}`, { name: "again" })).body).not.toHaveProperty("signing_key");
  });

  it("an HS256 tenant: a rotation shows the new secret once, and new tokens verify with it", async () => {
    const t = await tenantWith({ token_alg: "HS256" });
    const r = await admin("POST", `/tenants/${t}/signing-keys/rotate`);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ alg: "HS256", secret: expect.any(String) });
    const s = await signup(t);
    await jwtVerify(s.access_token, fromB64url(r.body.secret), { algorithms: ["HS256"] });
  });

  it("an HS256 tenant created with it shows its secret once, in the create response", async () => {
    const slug = `hs-${Date.now().toString(36)}`;
    const r = await admin("POST", "/tenants", { slug, name: "hs", settings: { token_alg: "HS256", password: { hash: "pbkdf2-sha256" } } });
    expect(r.status).toBe(201);
    expect(r.body.signing_key).toMatchObject({ alg: "HS256", secret: expect.any(String) });
    const s = await signup(slug);
    await jwtVerify(s.access_token, fromB64url(r.body.signing_key.secret), { algorithms: ["HS256"] });
  });

  it("a user-HS512 tenant: tokens verify through introspection and /me, not through the JWKS", async () => {
    const t = await tenantWith({ token_alg: "user-HS512" });
    const s = await signup(t);
    expect(decodeProtectedHeader(s.access_token)).toMatchObject({ alg: "HS512", typ: "at+jwt" });
    const key = await apiKey(t);
    expect(await introspect(t, key, s.access_token)).toMatchObject({ active: true, sub: s.user.id, sid: s.session_id });
    expect((await me(t, s.access_token)).status).toBe(200);
    await expect(jwtVerify(s.access_token, await jwks(t))).rejects.toThrow();
    // Another user's token cannot be replayed with a swapped subject.
    const other = await signup(t);
    const forged = [s.access_token.split(".")[0], btoa(JSON.stringify({ ...decodeJwt(s.access_token), sub: other.user.id })).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_"), s.access_token.split(".")[2]].join(".");
    expectError(await me(t, forged), 401, "invalid_token");
    await call("POST", `/v1/${t}/logout-all`, { token: s.access_token });
    expect((await introspect(t, key, s.access_token)).active).toBe(false);
  });

  it("a signing-key rotation keeps old tokens valid and publishes both keys", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const r = await admin("POST", `/tenants/${t}/signing-keys/rotate`);
    expect(r.status).toBe(201);
    expect(r.body).not.toHaveProperty("secret");
    const s2 = await signup(t);
    expect(decodeProtectedHeader(s2.access_token).kid).toBe(r.body.kid);
    expect(decodeProtectedHeader(s.access_token).kid).not.toBe(r.body.kid);
    const set = await jwks(t);
    await jwtVerify(s.access_token, set);
    await jwtVerify(s2.access_token, set);
    expect((await me(t, s.access_token)).status).toBe(200);
  });
});

describe("verification refuses", () => {
  async function setup() {
    const t = await newTenant();
    const s = await signup(t);
    return { t, s, claims: decodeJwt(s.access_token) };
  }
  const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");

  it("no Authorization header: 401 unauthorized", async () => {
    const { t } = await setup();
    expectError(await call("GET", `/v1/${t}/me`), 401, "unauthorized");
  });

  it("a non-Bearer Authorization header: 401 invalid_token", async () => {
    const { t, s } = await setup();
    expectError(await call("GET", `/v1/${t}/me`, { headers: { authorization: `Token ${s.access_token}` } }), 401, "invalid_token");
  });

  // ASVS 6.8.2, 9.1.2
  it("alg none", async () => {
    const { t, s } = await setup();
    const [, payload] = s.access_token.split(".");
    expectError(await me(t, `${b64({ alg: "none", typ: "at+jwt" })}.${payload}.`), 401, "invalid_token");
    expectError(await me(t, `${b64({ alg: "none", typ: "at+jwt" })}.${payload}.AAAA`), 401, "invalid_token");
  });

  // ASVS 9.1.2
  it("algorithm confusion: HS256 signed with the public key as the secret, on an EdDSA tenant", async () => {
    const { t, s, claims } = await setup();
    const pub = (await call("GET", `/v1/${t}/.well-known/jwks.json`)).body.keys[0];
    const kid = decodeProtectedHeader(s.access_token).kid;
    for (const secret of [new TextEncoder().encode(JSON.stringify(pub)), fromB64url(pub.x)]) {
      const token = await new SignJWT(claims).setProtectedHeader({ alg: "HS256", kid, typ: "at+jwt" }).sign(secret);
      expectError(await me(t, token), 401, "invalid_token");
    }
  });

  // ASVS 9.1.3
  it.each([
    ["jku", { jku: "https://evil.example/jwks.json" }],
    ["jwk", { jwk: { kty: "OKP", crv: "Ed25519", x: "AAAA" } }],
    ["x5u", { x5u: "https://evil.example/cert.pem" }],
  ])("a key from the %s header, even on a token our key signed", async (_name, header) => {
    const { t, claims } = await setup();
    expect((await me(t, await forge(t, claims))).status).toBe(200); // the control: our signature passes
    expectError(await me(t, await forge(t, claims, header)), 401, "invalid_token");
  });

  it("a wrong iss", async () => {
    const { t, claims } = await setup();
    expectError(await me(t, await forge(t, { ...claims, iss: "https://evil.example/v1/x" })), 401, "invalid_token");
  });

  // ASVS 9.2.3
  it("a wrong aud", async () => {
    const { t, claims } = await setup();
    expectError(await me(t, await forge(t, { ...claims, aud: "someone-else" })), 401, "invalid_token");
  });

  // ASVS 9.2.2
  it.each([["JWT"], ["jwt"], [undefined]])("a wrong typ (%s)", async (typ) => {
    const { t, claims } = await setup();
    expectError(await me(t, await forge(t, claims, { typ })), 401, "invalid_token");
  });

  // ASVS 9.2.1
  it("an expired token (moved clock)", async () => {
    const { t, s } = await setup();
    clock.advance(3601_000);
    expectError(await me(t, s.access_token), 401, "invalid_token");
  });

  // ASVS 9.2.1
  it("a token not valid yet (nbf in the future)", async () => {
    const { t, claims } = await setup();
    expectError(await me(t, await forge(t, { ...claims, nbf: Math.floor(Date.now() / 1000) + 600 })), 401, "invalid_token");
  });

  // ASVS 9.2.1
  it("a token issued in the future (iat ahead of the clock)", async () => {
    const { t, claims } = await setup();
    const iat = Math.floor(Date.now() / 1000) + 600;
    expectError(await me(t, await forge(t, { ...claims, iat, exp: iat + 3600 })), 401, "invalid_token");
  });

  // ASVS 9.2.3
  it("a token of another tenant", async () => {
    const { t } = await setup();
    const other = await newTenant();
    const s2 = await signup(other);
    expectError(await me(t, s2.access_token), 401, "invalid_token");
    // Even re-signed by the other tenant's key with this tenant's iss/aud/tid.
    const claims = { ...decodeJwt(s2.access_token), iss: `${BASE}/v1/${t}`, aud: t, tid: t };
    expectError(await me(t, await forge(other, claims)), 401, "invalid_token");
  });

  // ASVS 9.2.4
  it("a token naming another tenant in tid", async () => {
    const { t, claims } = await setup();
    expectError(await me(t, await forge(t, { ...claims, tid: "other-tenant" })), 401, "invalid_token");
  });

  // ASVS 9.1.1
  it("a truncated token", async () => {
    const { t, s } = await setup();
    expectError(await me(t, s.access_token.slice(0, -5)), 401, "invalid_token");
    expectError(await me(t, s.access_token.split(".").slice(0, 2).join(".")), 401, "invalid_token");
  });

  // ASVS 6.8.2, 9.1.1
  it("a tampered payload", async () => {
    const { t, s, claims } = await setup();
    const [h, , sig] = s.access_token.split(".");
    expectError(await me(t, `${h}.${b64({ ...claims, roles: ["admin"] })}.${sig}`), 401, "invalid_token");
  });

  it.each([["garbage"], ["a.b.c"], ["eyJ.eyJ.eyJ"], ["\u00e9t\u00e9"]])("garbage %j", async (token) => {
    const { t } = await setup();
    const r = await call("GET", `/v1/${t}/me`, { headers: { authorization: `Bearer ${encodeURIComponent(token)}` } });
    expectError(r, 401, "invalid_token");
  });

  // ASVS 7.2.1
  it("a token whose sid or sub does not match a live session", async () => {
    const { t, claims } = await setup();
    expectError(await me(t, await forge(t, { ...claims, sid: "A".repeat(22) })), 401, "invalid_token");
    const other = await signup(t);
    expectError(await me(t, await forge(t, { ...claims, sub: other.user.id })), 401, "invalid_token");
    expectError(await me(t, await forge(t, { ...claims, ver: 2 })), 401, "invalid_token");
  });
});

// The tenant object remembers tokens whose signature it verified (tokens.ts VerifiedTokens):
// what can change since is checked again on every use.
describe("a token verified before", () => {
  /** A tenant and a token the object has verified once (and so remembers). */
  async function verifiedOnce() {
    const t = await newTenant();
    const s = await signup(t);
    expect((await me(t, s.access_token)).status).toBe(200);
    return { t, s };
  }

  it("is refused once it expires", async () => {
    const { t, s } = await verifiedOnce();
    clock.advance(3599_000);
    expect((await me(t, s.access_token)).status).toBe(200);
    clock.advance(1_000);
    expectError(await me(t, s.access_token), 401, "invalid_token");
    expect((await introspect(t, await apiKey(t, ["introspect"]), s.access_token)).active).toBe(false);
  });

  it("is refused once the tenant's audience changes, and again accepted when it changes back", async () => {
    const { t, s } = await verifiedOnce();
    expect((await admin("PATCH", `/tenants/${t}`, { settings: { audience: "https://api.example" } })).status).toBe(200);
    expectError(await me(t, s.access_token), 401, "invalid_token");
    expect((await admin("PATCH", `/tenants/${t}`, { settings: { audience: t } })).status).toBe(200);
    expect((await me(t, s.access_token)).status).toBe(200);
  });

  it("is refused once the tenant signs with another algorithm", async () => {
    const { t, s } = await verifiedOnce();
    expect((await admin("PATCH", `/tenants/${t}`, { settings: { token_alg: "ES256" } })).status).toBe(200);
    expectError(await me(t, s.access_token), 401, "invalid_token");
  });

  it("a tampered copy of it is still refused", async () => {
    const { t, s } = await verifiedOnce();
    const [h, p, sig] = s.access_token.split(".");
    const flipped = sig.slice(0, -2) + (sig.at(-2) === "A" ? "B" : "A") + sig.at(-1);
    expectError(await me(t, [h, p, flipped].join(".")), 401, "invalid_token");
  });
});
