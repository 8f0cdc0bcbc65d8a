/**
 * Which JWKS keys sign access tokens (`warden_use`), and how the client library picks them:
 * an access token is accepted only from an access-token key with that key's own `alg`, among
 * the algorithms the verifier is configured for; any other header is refused locally, with
 * no call to Warden (no introspection amplification).
 */
import { runInDurableObject } from "cloudflare:test";
import { decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { signJwt } from "../../src/crypto/jwt.ts";
import type { TenantObject } from "../../objects/tenant.ts";
import { apiKey, call, introspect, newTenant, signup, stub } from "../helpers.ts";
import { hello } from "../realtime/ws.ts";
import { harness } from "./harness.ts";

afterEach(() => clock.reset());

const jwksOf = async (t: string) => (await call("GET", `/v1/${t}/.well-known/jwks.json`)).body.keys as Record<string, unknown>[];
const introspections = (requests: string[]) => requests.filter((r) => r.endsWith("/introspect")).length;

/** Re-signs a real access token's header and claims with the key `kid` of the tenant's ring. */
function resignWith(t: string, token: string, kid: string): Promise<string> {
  return runInDurableObject(stub(t), async (o: TenantObject) => {
    const k = o.ring.get(kid)!;
    return signJwt(decodeJwt(token), { alg: "EdDSA", kid, typ: "at+jwt" }, k.sign);
  });
}

/** The kid that signs the tenant's Security Event Tokens, read off a real SET. */
async function setKid(t: string, key: string): Promise<string> {
  const { sub } = await hello(t, { key, format: "set" });
  const u = await signup(t);
  await call("POST", `/v1/${t}/logout`, { token: u.access_token });
  const kid = decodeProtectedHeader(await sub.next()).kid!;
  sub.close();
  return kid;
}

describe("JWKS members", () => {
  it("every key carries kid, alg, use: sig and warden_use; access-token and SET keys are distinct", async () => {
    const t = await newTenant();
    const keys = await jwksOf(t);
    for (const k of keys) expect(k).toMatchObject({ kid: expect.any(String), alg: "EdDSA", use: "sig", warden_use: expect.stringMatching(/^(access_token|set)$/) });
    const access = keys.filter((k) => k.warden_use === "access_token");
    const set = keys.filter((k) => k.warden_use === "set");
    expect(access).toHaveLength(1);
    expect(set).toHaveLength(1);
    expect(access[0].kid).not.toBe(set[0].kid);
    const u = await signup(t);
    expect(decodeProtectedHeader(u.access_token).kid).toBe(access[0].kid);
    expect(await setKid(t, await apiKey(t))).toBe(set[0].kid);
  });

  it("ES256 tenants publish an ES256 access-token key and an EdDSA SET key; HS256 tenants only the SET key", async () => {
    const es = await jwksOf(await newTenant({ token_alg: "ES256" }));
    expect(es.map((k) => [k.alg, k.warden_use]).sort()).toEqual([["ES256", "access_token"], ["EdDSA", "set"]]);
    const hs = await jwksOf(await newTenant({ token_alg: "HS256" }));
    expect(hs.map((k) => [k.alg, k.warden_use])).toEqual([["EdDSA", "set"]]);
  });

  it("a tenant from before key purposes (one EdDSA key for both) gets its own SET key on the object's next start", async () => {
    const t = await newTenant();
    const [access] = (await jwksOf(t)).filter((k) => k.warden_use === "access_token");
    await runInDurableObject(stub(t), (o: TenantObject, state) => {
      state.storage.sql.exec("DELETE FROM signing_keys WHERE purpose = 'set'");
      o.forget();
    });
    const key = await apiKey(t);
    const kid = await setKid(t, key);
    expect(kid).not.toBe(access.kid);
    expect((await jwksOf(t)).map((k) => [k.kid, k.warden_use])).toEqual([[kid, "set"], [access.kid, "access_token"]]);
  });
});

describe("the verifier picks keys by purpose and algorithm", () => {
  // ASVS 9.2.2
  it("refuses an access token signed by the SET key, locally; so does introspection", async () => {
    const t = await newTenant();
    const key = await apiKey(t);
    const h = harness(t, key);
    await h.v.ready;
    const u = await signup(t);
    const forged = await resignWith(t, u.access_token, await setKid(t, key));
    expect(await h.v.verify(forged)).toEqual({ active: false, reason: "invalid" });
    expect(introspections(h.requests)).toBe(0);
    expect(await introspect(t, key, forged)).toEqual({ active: false });
    h.v.close();
  });

  // ASVS 9.1.2
  it("an HS256 header on an asymmetric tenant is invalid, with no introspection call", async () => {
    const t = await newTenant();
    const h = harness(t, await apiKey(t));
    await h.v.ready;
    const u = await signup(t);
    const forged = await new SignJWT(decodeJwt(u.access_token)).setProtectedHeader({ alg: "HS256", typ: "at+jwt" }).sign(new Uint8Array(32));
    const hs512 = await new SignJWT(decodeJwt(u.access_token)).setProtectedHeader({ alg: "HS512", typ: "at+jwt" }).sign(new Uint8Array(64));
    for (let i = 0; i < 5; i++) expect(await h.v.verify(forged)).toEqual({ active: false, reason: "invalid" });
    expect(await h.v.verify(hs512)).toEqual({ active: false, reason: "invalid" });
    expect(introspections(h.requests)).toBe(0);
    h.v.close();
  });

  // ASVS 9.1.2
  it("an algorithm the verifier is not configured for is invalid, without a JWKS fetch or introspection per token; ready says why", async () => {
    const t = await newTenant();
    const h = harness(t, await apiKey(t), { algorithms: ["ES256"] });
    await expect(h.v.ready).rejects.toMatchObject({ code: "no_usable_key" });
    const atStart = h.requests.length; // the start-up check: discovery and the JWKS, once
    const u = await signup(t);
    expect(await h.v.verify(u.access_token)).toEqual({ active: false, reason: "invalid" });
    expect(h.requests.slice(atStart)).toEqual([]);
    h.v.close();
  });

  // ASVS 9.1.3
  it("a kid the JWKS names for another purpose is refused without refetching the JWKS", async () => {
    const t = await newTenant();
    const key = await apiKey(t);
    const h = harness(t, key);
    await h.v.ready;
    const u = await signup(t);
    expect((await h.v.verify(u.access_token)).active).toBe(true);
    const forged = await resignWith(t, u.access_token, await setKid(t, key));
    clock.advance(60_000); // past the unknown-kid refetch cooldown
    for (let i = 0; i < 3; i++) expect(await h.v.verify(forged)).toEqual({ active: false, reason: "invalid" });
    expect(h.requests.filter((r) => r.includes("jwks"))).toHaveLength(1);
    h.v.close();
  });

  it("HS256 tenants: tokens go to introspection when the verifier is configured for HS256", async () => {
    const t = await newTenant({ token_alg: "HS256" });
    const h = harness(t, await apiKey(t), { algorithms: ["HS256"] });
    await h.v.ready;
    const u = await signup(t);
    expect(await h.v.verify(u.access_token)).toMatchObject({ active: true, via: "introspection", claims: { sub: u.user.id } });
    // a token for another tenant or already expired is refused before any call
    const before = introspections(h.requests);
    clock.advance(3601_000);
    expect(await h.v.verify(u.access_token)).toEqual({ active: false, reason: "expired" });
    expect(introspections(h.requests)).toBe(before);
    h.v.close();
  });

  it("user-HS512 tenants: configured with HS512", async () => {
    const t = await newTenant({ token_alg: "user-HS512" });
    const h = harness(t, await apiKey(t), { algorithms: ["HS512"] });
    await h.v.ready;
    const u = await signup(t);
    expect(await h.v.verify(u.access_token)).toMatchObject({ active: true, via: "introspection" });
    h.v.close();
  });
});
