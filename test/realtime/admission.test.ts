/**
 * Admission to `GET /v1/{tenant}/events`: every refused credential gets the error model's
 * body before any upgrade, and the tenant object stores nothing and holds no socket.
 */
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { ADMIN, admin, apiKey, call, newTenant, signup, stub, uniq } from "../helpers.ts";
import { contractViolation } from "../contract.ts";
import { eventsUrl, hello, upgrade, type SubscribeOptions } from "./ws.ts";

afterEach(() => clock.reset());

/** Everything the object holds: every table's rows, the KV entries, the alarm, the sockets. */
function snapshot(slug: string): Promise<string> {
  return runInDurableObject(stub(slug), async (_o, state) => {
    const sql = state.storage.sql;
    const tables = [...sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")].map((r) => r.name).filter((n) => !n.startsWith("_cf_"));
    const rows = Object.fromEntries(tables.map((t) => [t, [...sql.exec(`SELECT * FROM "${t}"`)]]));
    return JSON.stringify({ tables, rows, kv: [...(await state.storage.list()).entries()], alarm: await state.storage.getAlarm(), sockets: state.getWebSockets().length });
  });
}

async function expectRefused(slug: string, o: SubscribeOptions, status: number, code: string, headers: Record<string, string> = {}): Promise<void> {
  const res = await upgrade(slug, o, headers);
  expect(res.webSocket).toBeNull();
  expect(res.status).toBe(status);
  expect(res.headers.get("cache-control")).toBe("no-store");
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  const body: any = await res.json();
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  expect(JSON.stringify(body)).not.toMatch(/\bat \S+:\d+/); // no stack trace
  // An upgrade goes around `call()`: the refusal is held to the OpenAPI document here.
  const url = new URL(eventsUrl(slug, o));
  expect(contractViolation("GET", url.pathname + url.search, res.status, res.headers.get("content-type"), body)).toBeNull();
}

describe("refused before the upgrade", () => {
  it("no credential → 401 unauthorized", async () => {
    const t = await newTenant();
    await expectRefused(t, {}, 401, "unauthorized");
  });

  it("a malformed, unknown or revoked API key → 401 invalid_token", async () => {
    const t = await newTenant();
    await expectRefused(t, { key: "nope" }, 401, "invalid_token");
    await expectRefused(t, { key: `wk_0123456789abcdef.${"A".repeat(43)}` }, 401, "invalid_token");
    const key = await apiKey(t, ["subscribe"]);
    const id = /^wk_([0-9a-f]{16})\./.exec(key)![1];
    await admin("DELETE", `/tenants/${t}/api-keys/${id}`);
    await expectRefused(t, { key }, 401, "invalid_token");
  });

  it("a wrong admin token is just an invalid key", async () => {
    const t = await newTenant();
    await expectRefused(t, { key: `${ADMIN}x` }, 401, "invalid_token");
  });

  it("an API key without the subscribe scope → 403 forbidden", async () => {
    const t = await newTenant();
    await expectRefused(t, { key: await apiKey(t, ["introspect", "manage"]) }, 403, "forbidden");
  });

  it("a revoked, forged, expired or foreign access token → 401 invalid_token", async () => {
    const t = await newTenant();
    const other = await newTenant();
    const u = await signup(t);
    const stranger = await signup(other);
    await expectRefused(t, { token: "not.a.jwt" }, 401, "invalid_token");
    await expectRefused(t, { token: `${u.access_token.slice(0, -4)}AAAA` }, 401, "invalid_token");
    await expectRefused(t, { token: stranger.access_token }, 401, "invalid_token");
    await call("POST", `/v1/${t}/logout`, { token: u.access_token });
    await expectRefused(t, { token: u.access_token }, 401, "invalid_token");
    const v = await signup(t);
    await call("POST", `/v1/${t}/logout-all`, { token: (await signup(t)).access_token });
    clock.advance(3601_000);
    await expectRefused(t, { token: v.access_token }, 401, "invalid_token");
  });

  it("an access token made stale by logout-all → 401 invalid_token", async () => {
    const t = await newTenant();
    const u = await signup(t);
    await call("POST", `/v1/${t}/logout-all`, { token: u.access_token });
    await expectRefused(t, { token: u.access_token }, 401, "invalid_token");
  });

  it("an unknown tenant → 404 tenant_not_found, and its object stays empty", async () => {
    const ghost = uniq("ghost");
    await expectRefused(ghost, { key: ADMIN }, 404, "tenant_not_found");
    await expectRefused(ghost, {}, 404, "tenant_not_found");
    const s = JSON.parse(await snapshot(ghost));
    expect(s.tables.filter((n: string) => !n.startsWith("_cf_") && !n.startsWith("sqlite_"))).toEqual([]);
    expect(s.kv).toEqual([]);
    expect(s.sockets).toBe(0);
  });

  it("a bad `since` or `format` → 400 invalid_request", async () => {
    const t = await newTenant();
    const key = await apiKey(t);
    await expectRefused(t, { key, since: "-1" }, 400, "invalid_request");
    await expectRefused(t, { key, since: "1e3" }, 400, "invalid_request");
    await expectRefused(t, { key, format: "xml" as never }, 400, "invalid_request");
  });

  it("a plain GET without Upgrade → 400 invalid_request", async () => {
    const t = await newTenant();
    const r = await call("GET", `/v1/${t}/events`, { token: await apiKey(t) });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("invalid_request");
  });

  it("refusals store nothing and hold no socket", async () => {
    const t = await newTenant();
    const u = await signup(t);
    const noScope = await apiKey(t, ["introspect"]);
    await call("POST", `/v1/${t}/logout`, { token: u.access_token });
    // the object has settled (outbox drained) before the snapshot
    await call("GET", `/v1/${t}/.well-known/jwks.json`);
    const before = await snapshot(t);
    await expectRefused(t, {}, 401, "unauthorized");
    await expectRefused(t, { key: "wk_nope" }, 401, "invalid_token");
    await expectRefused(t, { key: noScope }, 403, "forbidden");
    await expectRefused(t, { token: u.access_token }, 401, "invalid_token");
    await expectRefused(t, { key: noScope, since: "x" }, 400, "invalid_request");
    expect(await snapshot(t)).toBe(before);
    expect(JSON.parse(before).sockets).toBe(0);
  });

  it("client-supplied partyserver props cannot reach the object (no stack trace either)", async () => {
    const t = await newTenant();
    const res = await upgrade(t, { key: await apiKey(t) }, { "x-partykit-props": "!!!not-base64" });
    expect(res.status).toBe(101);
    const ws = res.webSocket!;
    const first = new Promise<string>((r) => ws.addEventListener("message", (e) => r(String(e.data)), { once: true }));
    ws.accept();
    expect(JSON.parse(await first).type).toBe("hello");
    ws.close();
  });
});

describe("admitted", () => {
  it("a key with subscribe (and other scopes) is a service subscriber", async () => {
    const t = await newTenant();
    const { sub } = await hello(t, { key: await apiKey(t, ["introspect", "subscribe"]) });
    expect((await admin("GET", `/tenants/${t}`)).body.stats.subscribers).toEqual({ service: 1, user: 0 });
    sub.close();
  });

  it("a live access token is a user subscriber", async () => {
    const t = await newTenant();
    const u = await signup(t);
    const { sub } = await hello(t, { token: u.access_token });
    expect((await admin("GET", `/tenants/${t}`)).body.stats.subscribers).toEqual({ service: 0, user: 1 });
    sub.close();
  });
});
