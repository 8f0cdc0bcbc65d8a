/**
 * `?format=set`: each event as a Security Event Token (RFC 8417) with the OpenID CAEP event
 * types, signed with the tenant key and verifiable with the tenant JWKS.
 */
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from "jose";
import { describe, expect, it } from "vitest";
import { admin, apiKey, BASE, call, newTenant, signup } from "../helpers.ts";
import { emit } from "./emit.ts";
import { hello } from "./ws.ts";

const CAEP = "https://schemas.openid.net/secevent/caep/event-type/";

async function verifySet(slug: string, set: string, audience = slug): Promise<JWTPayload & Record<string, any>> {
  const jwks = (await call("GET", `/v1/${slug}/.well-known/jwks.json`)).body;
  // RFC 8417 section 2.3: explicit typing with `secevent+jwt`
  const { payload, protectedHeader } = await jwtVerify(set, createLocalJWKSet(jwks), { typ: "secevent+jwt", issuer: `${BASE}/v1/${slug}`, audience, algorithms: ["EdDSA"] });
  expect(protectedHeader.kid).toEqual(expect.any(String));
  return payload as JWTPayload & Record<string, any>;
}

describe("Security Event Tokens", () => {
  it("session.revoked → CAEP session-revoked, subject user + session, verifiable with the JWKS", async () => {
    const t = await newTenant();
    const { sub, hello: h } = await hello(t, { key: await apiKey(t), format: "set" });
    expect(h.type).toBe("hello"); // control messages stay JSON
    const u = await signup(t);
    await call("POST", `/v1/${t}/logout`, { token: u.access_token });
    const set = await sub.next();
    expect(typeof set).toBe("string");
    const p = await verifySet(t, set);
    expect(p.iat).toEqual(expect.any(Number));
    expect(p.jti).toEqual(expect.any(String));
    expect(p.exp).toBeUndefined(); // RFC 8417 section 2.2: a SET is not a time-limited credential
    expect(p.txn).toBe("1");
    expect(p.sub_id).toEqual({ format: "complex", user: { format: "opaque", id: u.user.id }, session: { format: "opaque", id: u.session_id } });
    expect(Object.keys(p.events)).toEqual([`${CAEP}session-revoked`]);
    expect(p.events[`${CAEP}session-revoked`]).toMatchObject({ event_timestamp: expect.any(Number), initiating_entity: "user", reason_admin: { en: "logout" } });
    expect(p.warden).toMatchObject({ seq: 1, type: "session.revoked", sid: u.session_id });
    sub.close();
  });

  it("user.revoked and user.deleted → CAEP credential-change", async () => {
    const t = await newTenant();
    const { sub } = await hello(t, { key: await apiKey(t), format: "set" });
    const u = await signup(t);
    await call("POST", `/v1/${t}/logout-all`, { token: u.access_token });
    const p = await verifySet(t, await sub.next());
    expect(p.sub_id).toEqual({ format: "complex", user: { format: "opaque", id: u.user.id } });
    expect(p.events[`${CAEP}credential-change`]).toMatchObject({ credential_type: "password", change_type: "revoke" });
    expect(p.warden).toMatchObject({ type: "user.revoked", ver: 2 });
    await emit(t, [{ type: "user.deleted", sub: u.user.id, ver: 3 }]);
    const d = await verifySet(t, await sub.next());
    expect(d.events[`${CAEP}credential-change`]).toMatchObject({ change_type: "delete" });
    sub.close();
  });

  it("tenant.revoked → CAEP session-revoked, subject the tenant alone (RFC 9493 complex), initiated by an admin", async () => {
    const t = await newTenant();
    const { sub } = await hello(t, { key: await apiKey(t), format: "set" });
    await signup(t);
    expect((await admin("POST", `/tenants/${t}/sessions/revoke`)).body).toEqual({ sessions: 1 });
    const p = await verifySet(t, await sub.next());
    expect(p.sub_id).toEqual({ format: "complex", tenant: { format: "opaque", id: t } });
    expect(Object.keys(p.events)).toEqual([`${CAEP}session-revoked`]);
    expect(p.events[`${CAEP}session-revoked`]).toMatchObject({ event_timestamp: p.iat, initiating_entity: "admin", reason_admin: { en: "admin_revoked" } });
    expect(p.warden).toMatchObject({ seq: 1, type: "tenant.revoked" });
    sub.close();
  });

  it("replayed events are SETs too, and a tampered one fails verification", async () => {
    const t = await newTenant();
    const u = await signup(t);
    await call("POST", `/v1/${t}/logout`, { token: u.access_token });
    const { sub } = await hello(t, { key: await apiKey(t), format: "set", since: 0 });
    const set: string = await sub.next();
    expect((await verifySet(t, set)).warden.seq).toBe(1);
    const [h, b, s] = set.split(".");
    const forged = `${h}.${b.slice(0, -2)}${b.endsWith("A") ? "B" : "A"}${b.slice(-1)}.${s}`;
    await expect(verifySet(t, forged)).rejects.toThrow();
    sub.close();
  });

  it("a user subscriber gets its own events as SETs and is closed with 4001", async () => {
    const t = await newTenant();
    const u = await signup(t);
    const { sub } = await hello(t, { token: u.access_token, format: "set" });
    await call("POST", `/v1/${t}/logout`, { token: u.access_token });
    expect((await verifySet(t, await sub.next())).sub_id.session.id).toBe(u.session_id);
    expect((await sub.closed).code).toBe(4001);
  });

  it("an ES256 tenant still signs SETs with its EdDSA key, published in the same JWKS", async () => {
    const t = await newTenant({ token_alg: "ES256", audience: "api.example" });
    const { sub } = await hello(t, { key: await apiKey(t), format: "set" });
    const u = await signup(t);
    expect(decodeProtectedHeader(u.access_token).alg).toBe("ES256");
    await call("POST", `/v1/${t}/logout`, { token: u.access_token });
    const set = await sub.next();
    expect(decodeProtectedHeader(set)).toMatchObject({ alg: "EdDSA", typ: "secevent+jwt" });
    await verifySet(t, set, "api.example");
    sub.close();
  });

  it("after a signing-key rotation, SETs use the new key and the JWKS has it", async () => {
    const t = await newTenant();
    const setKeys = async () => (await call("GET", `/v1/${t}/.well-known/jwks.json`)).body.keys.filter((k: any) => k.warden_use === "set").map((k: any) => k.kid);
    const [before] = await setKeys();
    const { sub } = await hello(t, { key: await apiKey(t), format: "set" });
    const rotated = await admin("POST", `/tenants/${t}/signing-keys/rotate`);
    expect(rotated.status).toBeLessThan(300);
    const k = await sub.next();
    const kid = decodeProtectedHeader(k).kid;
    expect(kid).not.toBe(before);
    expect(kid).not.toBe(rotated.body.kid); // the access-token key, rotated with it
    expect(await setKeys()).toEqual([kid, before]); // the old one stays published
    expect((await verifySet(t, k)).events).toHaveProperty("urn:warden:event-type:key-rotated");
    sub.close();
  });

  it("JSON and SET subscribers on the same tenant each get their format, in the same order", async () => {
    const t = await newTenant();
    const key = await apiKey(t);
    const json = (await hello(t, { key })).sub;
    const set = (await hello(t, { key, format: "set" })).sub;
    await emit(t, [{ type: "session.revoked", sub: "a", sid: "1" }, { type: "user.revoked", sub: "b", ver: 2 }]);
    await emit(t, [{ type: "session.expired", sub: "c", sid: "2" }]);
    const j = [await json.next(), await json.next(), await json.next()];
    const s = await Promise.all([await set.next(), await set.next(), await set.next()].map((x) => verifySet(t, x)));
    expect(j.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(s.map((p) => p.warden.seq)).toEqual([1, 2, 3]);
    expect(s[2].events[`${CAEP}session-revoked`].initiating_entity).toBe("system");
    json.close();
    set.close();
  });
});
