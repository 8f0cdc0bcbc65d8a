/**
 * @module Request bodies nested deeper than the router's limit are refused with 400
 * `invalid_request` before any validator walks them (a stack overflow used to answer 500).
 */
import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH } from "../../src/http/body.ts";
import { ADMIN, call, expectError, newTenant, PASSWORD, snapshot, uniq } from "../helpers.ts";

const json = { "content-type": "application/json" };
/** `levels` nested arrays around a number (the arrays alone are `levels` deep). */
const arrays = (levels: number) => `${"[".repeat(levels)}1${"]".repeat(levels)}`;

describe("JSON nesting depth", () => {
  it.each([3600, 100, MAX_JSON_DEPTH])("a sign-up whose metadata is %i levels deep is 400 invalid_request and changes nothing", async (levels) => {
    const t = await newTenant();
    const before = await snapshot(t);
    // The body object and `metadata` are two levels already.
    const raw = `{"email":"${uniq("u")}@example.com","password":"${PASSWORD}","metadata":{"x":${arrays(levels)}}}`;
    expectError(await call("POST", `/v1/${t}/signup`, { raw, headers: json }), 400, "invalid_request");
    expectError(await call("POST", `/v1/${t}/login`, { raw: arrays(levels), headers: json }), 400, "invalid_request");
    await expect(snapshot(t)).resolves.toEqual(before);
  });

  it("a body exactly at the limit is read (and judged on its content)", async () => {
    const t = await newTenant();
    const raw = `{"email":"${uniq("u")}@example.com","password":"${PASSWORD}","metadata":{"x":${arrays(MAX_JSON_DEPTH - 2)}}}`;
    const r = await call("POST", `/v1/${t}/signup`, { raw, headers: json });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  });

  it.each([3600, 100])("admin: tenant settings %i levels deep are 400 invalid_request", async (levels) => {
    const t = await newTenant();
    const headers = { ...json, authorization: `Bearer ${ADMIN}` };
    const deepObject = `${'{"a":'.repeat(Math.min(levels, 2000))}1${"}".repeat(Math.min(levels, 2000))}`;
    expectError(await call("PATCH", `/v1/admin/tenants/${t}`, { raw: `{"settings":{"lockout":${arrays(levels)}}}`, headers }), 400, "invalid_request");
    expectError(await call("POST", "/v1/admin/tenants", { raw: `{"slug":"${uniq("t")}","name":"x","settings":${deepObject}}`, headers }), 400, "invalid_request");
  });
});

describe("JSON nesting depth in a user import", () => {
  it("a line nested 3,600 levels deep is reported by number; the other lines are imported", async () => {
    const t = await newTenant();
    const body = [`{"email":"${uniq("u")}@example.com","metadata":{"x":${arrays(3600)}}}`, `{"email":"${uniq("u")}@example.com"}`].join("\n");
    const r = await call("POST", `/v1/admin/tenants/${t}/users/import`, { token: ADMIN, raw: body, headers: { "content-type": "application/x-ndjson" } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ imported: 1, failed: [{ line: 1, error: `nested deeper than ${MAX_JSON_DEPTH} levels` }] });
  });
});
