/**
 * @module Revocation and introspection answer two error models: RFC 6749's to an OAuth client
 * that authenticates (RFC 7009 section 2.2.1, RFC 7662 section 2.3), Warden's to everyone
 * else. The document lists both at the statuses they share, and `call()` holds each answer to
 * it (a model the document does not list for that status fails the call). Found by the fuzzer.
 */
import { describe, expect, it } from "vitest";
import { buildDocument } from "../../src/openapi/document.ts";
import { apiKey, call, expectError, newTenant } from "../helpers.ts";
import { basic, expectOAuthError, newClient } from "../oauth/kit.ts";

const formOf = (o: Record<string, string>) => ({ raw: new URLSearchParams(o).toString(), headers: { "content-type": "application/x-www-form-urlencoded" } });

describe("revoke and introspect: both error models, each where it belongs", () => {
  it("the document lists RFC 6749's codes beside Warden's at a shared status", () => {
    const doc = buildDocument() as any;
    for (const path of ["/v1/{tenant}/revoke", "/v1/{tenant}/introspect"]) {
      const bad = doc.paths[path].post.responses["400"].content["application/json"].schema;
      // RFC 6749's model narrows `error` itself; Warden's narrows `error.code`.
      const [oauth, warden] = bad.anyOf.map((m: any) => m.allOf[1].properties.error);
      expect(oauth.enum).toEqual(["invalid_request"]);
      expect(warden.properties.code.enum).toContain("invalid_json");
      expect(JSON.stringify(doc.paths[path].post.responses["401"])).toContain("invalid_client");
    }
  });

  it("a client with a wrong secret or no token gets RFC 6749 errors; a JSON caller gets Warden's", async () => {
    const t = await newTenant();
    const c = await newClient(t);
    const auth = (secret: string) => ({ authorization: basic(c.client_id, secret) });
    for (const route of ["/revoke", "/introspect"]) {
      const wrong = await call("POST", `/v1/${t}${route}`, { ...formOf({ token: "x" }), headers: { ...formOf({}).headers, ...auth("wrong") } });
      expectOAuthError(wrong, 401, "invalid_client");
      const missing = await call("POST", `/v1/${t}${route}`, { ...formOf({ client_id: c.client_id }), headers: { ...formOf({}).headers, ...auth(c.client_secret!) } });
      expectOAuthError(missing, 400, "invalid_request");
    }
    expectError(await call("POST", `/v1/${t}/revoke`, { raw: "{", headers: { "content-type": "application/json" } }), 400, "invalid_json");
    const key = await apiKey(t, ["introspect"]);
    expectError(await call("POST", `/v1/${t}/introspect`, { raw: "{", headers: { "content-type": "application/json", authorization: `Bearer ${key}` } }), 400, "invalid_json");
  });
});
