/**
 * @module Bodies say what is stored: invisible code points (Default_Ignorable_Code_Point,
 * Bidi_Control) are refused in emails and usernames, and `__proto__`, `constructor` and
 * `prototype` keys are refused in settings and metadata instead of being dropped.
 */
import { describe, expect, it } from "vitest";
import { hasInvisible, normalizeEmail, normalizeLogin, normalizeUsername } from "../../schema/identifiers.ts";
import { ADMIN, admin, call, expectError, newTenant, PASSWORD, signup, snapshot, uniq } from "../helpers.ts";

const json = { "content-type": "application/json" };

const INVISIBLES = [
  ["zero-width space", "\u200B"],
  ["zero-width joiner", "\u200D"],
  ["zero-width non-joiner", "\u200C"],
  ["soft hyphen", "\u00AD"],
  ["word joiner", "\u2060"],
  ["byte order mark", "\uFEFF"],
  ["right-to-left override", "\u202E"],
  ["left-to-right mark", "\u200E"],
  ["right-to-left isolate", "\u2067"],
  ["Arabic letter mark", "\u061C"],
  ["variation selector 16", "\uFE0F"],
  ["Hangul filler", "\u3164"],
  ["halfwidth Hangul filler", "\uFFA0"],
  ["tag letter a", "\u{E0061}"],
] as const;

describe("identifiers refuse invisible code points", () => {
  it.each(INVISIBLES)("%s in an email or a username is no identifier", (_name, ch) => {
    expect(hasInvisible(`a${ch}b`)).toBe(true);
    expect(normalizeEmail(`ali${ch}ce@example.com`)).toBeNull();
    expect(normalizeEmail(`alice@exam${ch}ple.com`)).toBeNull();
    expect(normalizeUsername(`ali${ch}ce`)).toBeNull();
    expect(normalizeLogin(`ali${ch}ce@example.com`)).toBeNull();
  });

  it("visible non-ASCII addresses and NFKC folding still work", () => {
    expect(normalizeEmail("Jürgen@Example.com")).toBe("jürgen@example.com");
    expect(normalizeEmail("ｊｏｅ@example.com")).toBe("joe@example.com");
    expect(normalizeUsername("Ａlice")).toBe("alice");
    expect(hasInvisible("jürgen@example.com")).toBe(false);
  });

  it("sign-up, login, magic links and PATCH /me answer 400 invalid_request and change nothing", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const before = await snapshot(t);
    expectError(await call("POST", `/v1/${t}/signup`, { body: { email: `ad\u200Bmin@example.com`, password: PASSWORD } }), 400, "invalid_request");
    expectError(await call("POST", `/v1/${t}/signup`, { body: { username: `evil\u202Egnp.exe`, password: PASSWORD } }), 400, "invalid_request");
    expectError(await call("POST", `/v1/${t}/login`, { body: { login: `a\u00ADdmin@example.com`, password: PASSWORD } }), 400, "invalid_request");
    expectError(await call("POST", `/v1/${t}/magic-link`, { body: { email: `a\u2060dmin@example.com` } }), 400, "invalid_request");
    expectError(await call("POST", `/v1/${t}/password/forgot`, { body: { email: `admin\uFEFF@example.com` } }), 400, "invalid_request");
    expectError(await call("PATCH", `/v1/${t}/me`, { token: s.access_token, body: { current_password: PASSWORD, new_email: `ad\u200Dmin@example.com` } }), 400, "invalid_request");
    expectError(await call("PATCH", `/v1/${t}/me`, { token: s.access_token, body: { current_password: PASSWORD, new_username: `ad\u200Cmin` } }), 400, "invalid_request");
    expectError(await admin("PATCH", `/tenants/${t}/users/${s.user.id}`, { email: `ad\u200Bmin@example.com` }), 400, "invalid_request");
    expect(await snapshot(t)).toEqual(before);
  });
});

describe("prototype keys are refused, not dropped", () => {
  it.each(["__proto__", "constructor", "prototype"])("%s in sign-up metadata, at the top or nested: 400 with its path", async (key) => {
    const t = await newTenant();
    const before = await snapshot(t);
    for (const [metadata, path] of [
      [`{"${key}":{"admin":true}}`, `metadata.${key}`],
      [`{"a":{"b":[{"${key}":1}]}}`, `metadata.a.b.0.${key}`],
    ]) {
      const raw = `{"email":"${uniq("u")}@example.com","password":"${PASSWORD}","metadata":${metadata}}`;
      const r = await call("POST", `/v1/${t}/signup`, { raw, headers: json });
      expectError(r, 400, "invalid_request");
      expect(r.body.error.details).toEqual([expect.objectContaining({ path, code: "forbidden_key" })]);
    }
    expect(await snapshot(t)).toEqual(before);
  });

  it("in PATCH /me and the operator's user PATCH metadata", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const r1 = await call("PATCH", `/v1/${t}/me`, { token: s.access_token, raw: `{"current_password":"${PASSWORD}","metadata":{"__proto__":{"x":1}}}`, headers: json });
    expectError(r1, 400, "invalid_request");
    const r2 = await call("PATCH", `/v1/admin/tenants/${t}/users/${s.user.id}`, { token: ADMIN, raw: `{"metadata":{"constructor":{"prototype":{"x":1}}}}`, headers: json });
    expectError(r2, 400, "invalid_request");
    expect((await call("GET", `/v1/${t}/me`, { token: s.access_token })).body.metadata).toEqual({});
  });

  it("in tenant settings, on create and on PATCH; the settings stay as they were", async () => {
    const slug = uniq("t");
    const headers = { ...json, authorization: `Bearer ${ADMIN}` };
    const created = await call("POST", "/v1/admin/tenants", { raw: `{"slug":"${slug}","name":"x","settings":{"__proto__":{"signup":{"enabled":false}}}}`, headers });
    expectError(created, 400, "invalid_request");
    expect((await admin("GET", `/tenants/${slug}`)).status).toBe(404);
    const t = await newTenant();
    const settings = (await admin("GET", `/tenants/${t}`)).body.settings;
    for (const raw of [`{"settings":{"__proto__":{"lockout":{"threshold":1000}}}}`, `{"settings":{"lockout":{"constructor":{"threshold":1000}}}}`]) {
      const r = await call("PATCH", `/v1/admin/tenants/${t}`, { raw, headers });
      expectError(r, 400, "invalid_request");
      expect(r.body.error.details[0].code).toBe("forbidden_key");
    }
    expect((await admin("GET", `/tenants/${t}`)).body.settings).toEqual(settings);
  });

  it("in an import line: that line is reported, the others are imported", async () => {
    const t = await newTenant();
    const body = [`{"email":"${uniq("u")}@example.com","metadata":{"__proto__":{"x":1}}}`, `{"email":"${uniq("u")}@example.com"}`].join("\n");
    const r = await call("POST", `/v1/admin/tenants/${t}/users/import`, { token: ADMIN, raw: body, headers: { "content-type": "application/x-ndjson" } });
    expect(r.body).toEqual({ imported: 1, failed: [{ line: 1, error: "metadata.__proto__: not allowed as a key" }] });
  });
});
