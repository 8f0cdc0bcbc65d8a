/** @module RFC 7009 revocation and RFC 7662 introspection. */
import { decodeJwt, SignJWT, type JWTPayload } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { fromB64url } from "../../src/crypto/bytes.ts";
import { admin, apiKey, BASE, call, expectError, introspect, login, newTenant, refresh, rows, signup, snapshot, tenantWith, uniq } from "../helpers.ts";

afterEach(() => clock.reset());

const revoke = (t: string, body: Record<string, unknown>) => call("POST", `/v1/${t}/revoke`, { body });

describe("POST /revoke (RFC 7009)", () => {
  it("a refresh token revokes its session: 200, and every token of that session is dead", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const other = await login(t, s.user.email);
    const key = await apiKey(t);
    const r = await revoke(t, { token: s.refresh_token, token_type_hint: "refresh_token" });
    expect(r.status).toBe(200);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect((await introspect(t, key, s.access_token)).active).toBe(false);
    expectError(await refresh(t, s.refresh_token), 401, "invalid_token");
    expect((await introspect(t, key, other.body.access_token)).active).toBe(true);
    const [session] = await rows(t, "SELECT revoke_reason FROM sessions WHERE id = ?", s.session_id);
    expect(session.revoke_reason).toBe("revoked");
    expect(await rows(t, "SELECT type FROM events")).toEqual([{ type: "session.revoked" }]);
  });

  it("a superseded refresh token also revokes its session; one forged with a real session id does not", async () => {
    const t = await tenantWith({ refresh_reuse_grace_s: 0 });
    const s = await signup(t);
    const next = await refresh(t, s.refresh_token);
    const forged = `${s.session_id}.0.${"D".repeat(64)}`;
    expect((await revoke(t, { token: forged })).status).toBe(200);
    expect((await refresh(t, next.body.refresh_token)).status).toBe(200);
    expect((await revoke(t, { token: s.refresh_token })).status).toBe(200);
    const [session] = await rows(t, "SELECT revoke_reason FROM sessions WHERE id = ?", s.session_id);
    expect(session.revoke_reason).toBe("revoked");
  });

  it("an access token revokes its session", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const key = await apiKey(t);
    expect((await revoke(t, { token: s.access_token })).status).toBe(200);
    expect((await introspect(t, key, s.access_token)).active).toBe(false);
    expectError(await refresh(t, s.refresh_token), 401, "invalid_token");
  });

  it("the token_type_hint is only a hint", async () => {
    const t = await newTenant();
    const s = await signup(t);
    expect((await revoke(t, { token: s.access_token, token_type_hint: "refresh_token" })).status).toBe(200);
    expectError(await refresh(t, s.refresh_token), 401, "invalid_token");
  });

  it("accepts a form-encoded body", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const r = await call("POST", `/v1/${t}/revoke`, { raw: `token=${encodeURIComponent(s.refresh_token)}`, headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(r.status).toBe(200);
    expectError(await refresh(t, s.refresh_token), 401, "invalid_token");
  });

  it.each([
    ["garbage", "garbage"],
    ["a refresh-shaped token for a real session with a wrong secret", "REAL"],
    ["an unknown refresh-shaped token", `${"A".repeat(22)}.${"B".repeat(43)}`],
  ])("%s: 200 and nothing changes", async (_what, token) => {
    const t = await newTenant();
    const s = await signup(t);
    const before = await snapshot(t);
    const r = await revoke(t, { token: token === "REAL" ? `${s.session_id}.${"C".repeat(43)}` : token });
    expect(r.status).toBe(200);
    expect(await snapshot(t)).toEqual(before);
    expect((await refresh(t, s.refresh_token)).status).toBe(200);
  });

  it("a dead access token (from before a password change) cannot revoke the session that continued", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const changed = await call("PATCH", `/v1/${t}/me`, { token: s.access_token, body: { current_password: "correct horse battery staple", new_password: "another good passphrase" } });
    expect(changed.status).toBe(200);
    const before = await snapshot(t);
    expect((await revoke(t, { token: s.access_token })).status).toBe(200);
    expect(await snapshot(t)).toEqual(before);
    expect((await call("GET", `/v1/${t}/me`, { token: changed.body.access_token })).status).toBe(200);
  });

  it("another tenant's token: 200 and nothing changes on either side", async () => {
    const t = await newTenant();
    const other = await newTenant();
    const s = await signup(other);
    expect((await revoke(t, { token: s.access_token })).status).toBe(200);
    expect((await revoke(t, { token: s.refresh_token })).status).toBe(200);
    expect((await refresh(other, s.refresh_token)).status).toBe(200);
  });

  it("a missing token is 400 invalid_request", async () => {
    const t = await newTenant();
    expectError(await revoke(t, {}), 400, "invalid_request");
    expectError(await revoke(t, { token: "x", token_type_hint: "id_token" }), 400, "invalid_request");
  });
});

describe("POST /introspect (RFC 7662)", () => {
  it("an active access token: active true with its claims", async () => {
    const t = await newTenant();
    const s = await signup(t, { username: "intro_user" });
    const key = await apiKey(t, ["introspect"]);
    const r = await call("POST", `/v1/${t}/introspect`, { token: key, body: { token: s.access_token } });
    expect(r.status).toBe(200);
    expect(r.headers.get("cache-control")).toBe("no-store");
    const c = decodeJwt(s.access_token);
    expect(r.body).toMatchObject({
      active: true,
      token_type: "access_token",
      sub: s.user.id,
      sid: s.session_id,
      ver: 1,
      scope: "",
      roles: [],
      exp: c.exp,
      iat: c.iat,
      iss: `${BASE}/v1/${t}`,
      aud: t,
      tid: t,
      username: "intro_user",
    });
  });

  // ASVS 7.2.1
  it("after logout: active false, and nothing else", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const key = await apiKey(t);
    await call("POST", `/v1/${t}/logout`, { token: s.access_token });
    const r = await call("POST", `/v1/${t}/introspect`, { token: key, body: { token: s.access_token } });
    expect(r.body).toEqual({ active: false });
  });

  it("a refresh token is introspectable: active while current, false once rotated", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const key = await apiKey(t);
    const r = await introspect(t, key, s.refresh_token);
    expect(r).toMatchObject({ active: true, token_type: "refresh_token", sub: s.user.id, sid: s.session_id, tid: t, exp: expect.any(Number) });
    await refresh(t, s.refresh_token);
    expect(await introspect(t, key, s.refresh_token)).toEqual({ active: false });
  });

  it("an expired access token is inactive", async () => {
    const t = await tenantWith({ access_ttl_s: 60 });
    const s = await signup(t);
    const key = await apiKey(t);
    clock.advance(61_000);
    expect(await introspect(t, key, s.access_token)).toEqual({ active: false });
  });

  it.each([["garbage"], [`${"A".repeat(22)}.${"B".repeat(43)}`], ["eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."]])("garbage %j is inactive", async (token) => {
    const t = await newTenant();
    const key = await apiKey(t);
    expect(await introspect(t, key, token)).toEqual({ active: false });
  });

  it("another tenant's token is inactive", async () => {
    const t = await newTenant();
    const other = await newTenant();
    const s = await signup(other);
    const key = await apiKey(t);
    expect(await introspect(t, key, s.access_token)).toEqual({ active: false });
    expect(await introspect(t, key, s.refresh_token)).toEqual({ active: false });
  });

  it("accepts a form-encoded body", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const key = await apiKey(t);
    const r = await call("POST", `/v1/${t}/introspect`, { token: key, raw: `token=${s.access_token}`, headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(r.body.active).toBe(true);
  });
});

describe("POST /introspect answers from live state, not from the token", () => {
  /** An HS256 tenant and its shared secret, which anyone the operator gave it to can sign with. */
  async function hs256(): Promise<{ t: string; secret: Uint8Array; kid: string }> {
    const t = uniq("hs");
    const r = await admin("POST", "/tenants", { slug: t, name: "hs", settings: { token_alg: "HS256", password: { hash: "pbkdf2-sha256" } } });
    expect(r.status).toBe(201);
    return { t, secret: fromB64url(r.body.signing_key.secret), kid: r.body.signing_key.kid };
  }
  const sign = (claims: JWTPayload, secret: Uint8Array, kid: string) => new SignJWT(claims).setProtectedHeader({ alg: "HS256", kid, typ: "at+jwt" }).sign(secret);

  it("a validly signed HS256 token with extra roles and scope gets the user's real ones, and its other claims are not echoed", async () => {
    const { t, secret, kid } = await hs256();
    const s = await signup(t);
    const key = await apiKey(t);
    const real = decodeJwt(s.access_token);
    const forged = await sign({ ...real, roles: ["admin"], scope: "admin:all users:delete", amr: ["mfa"], auth_time: real.iat! + 100, email: "boss@example.com", is_admin: true }, secret, kid);
    const r = await introspect(t, key, forged);
    expect(r).toMatchObject({ active: true, sub: s.user.id, sid: s.session_id, roles: [], scope: "", amr: ["pwd"], auth_time: real.auth_time, email: s.user.email });
    expect(r).not.toHaveProperty("is_admin");
  });

  // ASVS 9.2.1
  it("a validly signed HS256 token living longer than access_ttl_s is inactive", async () => {
    const { t, secret, kid } = await hs256();
    const s = await signup(t);
    const key = await apiKey(t);
    const real = decodeJwt(s.access_token);
    const ttl = real.exp! - real.iat!;
    expect((await introspect(t, key, await sign({ ...real, exp: real.iat! + ttl }, secret, kid))).active).toBe(true);
    expect(await introspect(t, key, await sign({ ...real, exp: real.iat! + ttl + 1 }, secret, kid))).toEqual({ active: false });
    expect(await introspect(t, key, await sign({ ...real, exp: real.iat! + 365 * 86_400 }, secret, kid))).toEqual({ active: false });
    // The same rule holds for every Bearer route of the object.
    expectError(await call("GET", `/v1/${t}/me`, { token: await sign({ ...real, exp: real.iat! + 86_400 }, secret, kid) }), 401, "invalid_token");
  });

  it("roles and scope are the user's current ones: a role removed after signing no longer shows", async () => {
    const t = await newTenant();
    expect((await admin("POST", `/tenants/${t}/roles`, { name: "editor", scopes: ["posts:write"] })).status).toBe(201);
    const s = await signup(t);
    expect((await admin("PUT", `/tenants/${t}/users/${s.user.id}/roles/editor`)).status).toBe(204);
    const r = await refresh(t, s.refresh_token);
    expect(decodeJwt(r.body.access_token)).toMatchObject({ roles: ["editor"], scope: "posts:write" });
    const key = await apiKey(t);
    expect(await introspect(t, key, r.body.access_token)).toMatchObject({ active: true, roles: ["editor"], scope: "posts:write" });
    expect((await admin("DELETE", `/tenants/${t}/users/${s.user.id}/roles/editor`)).status).toBe(204);
    expect(await introspect(t, key, r.body.access_token)).toMatchObject({ active: true, roles: [], scope: "" });
  });
});
