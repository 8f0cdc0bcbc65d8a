import { runInDurableObject, SELF } from "cloudflare:test";
import bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";
import { hashPassword } from "../../src/crypto/password.ts";
import { ADMIN, BASE, bodyText, call, expectError, newTenant, PASSWORD, signup, stub, uniq } from "../helpers.ts";
import { expectLogin, login, operator } from "./helpers.ts";

const NDJSON = { "content-type": "application/x-ndjson" };
const ndjson = (lines: unknown[]) => lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n") + "\n";

function importUsers(t: string, body: BodyInit, headers: Record<string, string> = NDJSON) {
  return call("POST", `/v1/admin/tenants/${t}/users/import`, { token: ADMIN, raw: body, headers });
}

async function exportUsers(t: string): Promise<any[]> {
  const res = await SELF.fetch(`${BASE}/v1/admin/tenants/${t}/users/export`, { headers: { authorization: `Bearer ${ADMIN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/x-ndjson");
  expect(res.headers.get("cache-control")).toBe("no-store");
  const text = await bodyText(res);
  return text === "" ? [] : text.trimEnd().split("\n").map((l) => JSON.parse(l));
}

const bcryptHash = (password: string, variant: "2a" | "2b" | "2y") => bcrypt.hashSync(password, bcrypt.genSaltSync(4).replace(/^\$2.\$/, `$${variant}$`));

async function credentialOf(t: string, id: string): Promise<{ hash: string; algorithm: string }> {
  return runInDurableObject(stub(t), (_o, state) => state.storage.sql.exec<{ hash: string; algorithm: string }>("SELECT hash, algorithm FROM credentials WHERE user_id = ?", id).one());
}

/** One user per supported hash format, each with its own password. */
async function fixtures() {
  const users = [
    { email: "argon@example.com", password: "argon2id password one", hash: await hashPassword("argon2id password one", "argon2id") },
    { email: "pbkdf2@example.com", password: "pbkdf2 password two", hash: await hashPassword("pbkdf2 password two", "pbkdf2-sha256") },
    { email: "bcrypt-a@example.com", password: "bcrypt password 2a", hash: bcryptHash("bcrypt password 2a", "2a") },
    { email: "bcrypt-b@example.com", password: "bcrypt password 2b", hash: bcryptHash("bcrypt password 2b", "2b") },
    { username: "bcrypt.y", password: "bcrypt password 2y", hash: bcryptHash("bcrypt password 2y", "2y") },
  ];
  return users.map((u, k) => ({ ...u, id: crypto.randomUUID(), created_at: `2020-01-0${k + 1}T10:00:00.000Z`, metadata: { k } }));
}

describe("import", () => {
  it("imports every supported hash format; each user signs in with their own password", async () => {
    const t = await newTenant();
    const users = await fixtures();
    const r = await importUsers(t, ndjson(users.map(({ password, hash, ...u }) => ({ ...u, password_hash: hash, email_verified: true }))));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ imported: 5, failed: [] });
    for (const u of users) {
      const s = await expectLogin(t, u.email ?? u.username!, u.password);
      expect(s.user).toMatchObject({ id: u.id, email_verified: true, metadata: u.metadata, created_at: u.created_at });
      expectError(await login(t, u.email ?? u.username!, PASSWORD), 401, "invalid_credentials");
    }
  });

  it("rehashes an imported bcrypt hash to the tenant's algorithm at the first login", async () => {
    const t = await newTenant();
    const id = crypto.randomUUID();
    await importUsers(t, ndjson([{ id, email: "legacy@example.com", password_hash: bcryptHash(PASSWORD, "2y") }]));
    expect((await credentialOf(t, id)).algorithm).toBe("bcrypt");
    const s = await expectLogin(t, "legacy@example.com");
    const after = await credentialOf(t, id);
    expect(after.algorithm).toBe("pbkdf2-sha256");
    expect(after.hash).toMatch(/^\$pbkdf2-sha256\$/);
    const audit = await operator(t)("GET", `/audit?user=${id}&type=login.success`);
    expect(audit.body.entries[0].data.rehashed).toBe(true);
    await expectLogin(t, "legacy@example.com");
    expect(s.user.id).toBe(id);
  });

  it("reports each bad line by number and imports the rest", async () => {
    const t = await newTenant();
    await signup(t, { email: "existing@example.com" });
    const id = crypto.randomUUID();
    const body = ndjson([
      { id, email: "ok1@example.com" }, // 1
      "{not json", // 2
      { email: "ok2@example.com", nickname: "x" }, // 3
      { email: "not an email" }, // 4
      { username: "x" }, // 5
      { metadata: {} }, // 6
      { email: "OK1@example.com" }, // 7: taken by line 1
      { id, email: "other@example.com" }, // 8: id of line 1
      { email: "existing@example.com" }, // 9
      { email: "hash@example.com", password_hash: "$md5$abc" }, // 10
      { email: "hash2@example.com", password_hash: "$2b$31$" + "a".repeat(53) }, // 11: cost beyond the verifier's limit
      { id: "not-a-uuid", email: "id@example.com" }, // 12
      { email: "date@example.com", created_at: "yesterday" }, // 13
      { email: "bool@example.com", email_verified: "yes" }, // 14
      "", // 15: blank lines are skipped
      { username: "OK.Three", email_verified: false, created_at: "2021-05-06T07:08:09+02:00" }, // 16
    ]);
    const r = await importUsers(t, body);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.imported).toBe(2);
    expect(r.body.failed.map((f: any) => f.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    for (const f of r.body.failed) expect(typeof f.error).toBe("string");
    expect(r.body.failed.find((f: any) => f.line === 3).error).toMatch(/nickname/);
    expect(r.body.failed.find((f: any) => f.line === 8).error).toMatch(/id/);
    const users = (await operator(t)("GET", "/users")).body.users;
    expect(users.map((u: any) => u.email ?? u.username).sort()).toEqual(["OK.Three", "existing@example.com", "ok1@example.com"]);
    expect(users.find((u: any) => u.username === "OK.Three").created_at).toBe("2021-05-06T05:08:09.000Z");
    const audit = await operator(t)("GET", "/audit?type=user.imported");
    expect(audit.body.entries.map((e: any) => e.actor)).toEqual(["admin", "admin"]);
  });

  it("refuses another media type, more than 1 MiB, invalid UTF-8 and an unknown tenant", async () => {
    const t = await newTenant();
    expectError(await importUsers(t, ndjson([{ email: "a@example.com" }]), { "content-type": "application/json" }), 415, "unsupported_media_type");
    const big = ndjson(Array.from({ length: 20_000 }, (_, k) => ({ email: `user${k}@example.com`, metadata: { pad: "x".repeat(40) } })));
    expect(big.length).toBeGreaterThan(1024 * 1024);
    expectError(await importUsers(t, big), 413, "payload_too_large");
    expectError(await importUsers(t, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d, 0x0a])), 400, "invalid_json");
    expectError(await importUsers(uniq("nope"), ndjson([{ email: "a@example.com" }])), 404, "tenant_not_found");
    expectError(await call("POST", `/v1/admin/tenants/${t}/users/import`, { raw: "{}", headers: NDJSON }), 401, "unauthorized");
    expect((await operator(t)("GET", "/users")).body.users).toEqual([]);
  });
});

describe("export", () => {
  it("round-trips into a new tenant: same ids, data and passwords, in all three hash formats", async () => {
    const a = await newTenant();
    const users = await fixtures();
    await importUsers(a, ndjson(users.map(({ password, hash, ...u }) => ({ ...u, password_hash: hash }))));
    const native = await signup(a, { email: "native@example.com", username: "native" });
    const noPassword = crypto.randomUUID();
    await importUsers(a, ndjson([{ id: noPassword, email: "nopw@example.com" }]));
    const disabled = await signup(a, { email: "disabled@example.com" });
    await operator(a)("PATCH", `/users/${disabled.user.id}`, { status: "disabled" });
    const deleted = await signup(a, { email: "deleted@example.com" });
    await operator(a)("DELETE", `/users/${deleted.user.id}`);

    const lines = await exportUsers(a);
    expect(lines.map((l) => l.id).sort()).toEqual([...users.map((u) => u.id), native.user.id, noPassword, disabled.user.id].sort());
    expect(lines.find((l) => l.id === disabled.user.id).status).toBe("disabled");
    expect(lines.find((l) => l.id === noPassword)).toEqual({ id: noPassword, email: "nopw@example.com", email_verified: false, metadata: {}, created_at: expect.any(String) });
    expect(lines.find((l) => l.id === native.user.id).password_hash).toMatch(/^\$pbkdf2-sha256\$/);
    expect(JSON.stringify(lines)).not.toMatch(/secret/);
    expect((await operator(a)("GET", "/audit?type=users.exported")).body.entries).toHaveLength(1);

    const b = await newTenant({ password: { hash: "argon2id" } });
    const r = await importUsers(b, ndjson(lines));
    expect(r.body).toEqual({ imported: lines.length, failed: [] });
    for (const u of users) {
      const s = await expectLogin(b, u.email ?? u.username!, u.password);
      expect(s.user).toMatchObject({ id: u.id, metadata: u.metadata, created_at: u.created_at });
    }
    expect((await expectLogin(b, "native")).user.id).toBe(native.user.id);
    // A disabled user stays disabled through the round trip.
    expectError(await login(b, "disabled@example.com"), 401, "invalid_credentials");
    expect((await operator(b)("GET", `/users/${disabled.user.id}`)).body.user.status).toBe("disabled");
    // Signing in moved every hash to tenant b's algorithm; the users themselves are unchanged.
    const again = await exportUsers(b);
    expect(again.map((l) => l.id)).toEqual(lines.map((l) => l.id));
    expect(again.filter((l) => l.password_hash && l.status !== "disabled").every((l) => l.password_hash.startsWith("$argon2id$"))).toBe(true);
    expect(again.find((l) => l.id === noPassword)).toEqual(lines.find((l) => l.id === noPassword));
  });

  it("streams more than one page", async () => {
    const t = await newTenant();
    const n = 1_234;
    const r = await importUsers(t, ndjson(Array.from({ length: n }, (_, k) => ({ username: `user${String(k).padStart(5, "0")}` }))));
    expect(r.body).toEqual({ imported: n, failed: [] });
    const lines = await exportUsers(t);
    expect(lines).toHaveLength(n);
    expect(new Set(lines.map((l) => l.id)).size).toBe(n);
    expect(lines.map((l) => l.id)).toEqual([...lines.map((l) => l.id)].sort());
  });

  it("of an unknown tenant is a 404 before anything is streamed", async () => {
    expectError(await call("GET", `/v1/admin/tenants/${uniq("nope")}/users/export`, { token: ADMIN }), 404, "tenant_not_found");
  });
});
