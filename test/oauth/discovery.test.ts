/** @module Discovery: OIDC Discovery under the issuer, RFC 8414 under the issuer and at the root with path insertion. */
import { describe, expect, it } from "vitest";
import { admin, BASE, call, expectError, newTenant, uniq } from "../helpers.ts";

describe("discovery", () => {
  it("the three addresses answer the same document, whose issuer is {PUBLIC_URL}/v1/{tenant}", async () => {
    const t = await newTenant();
    const a = await call("GET", `/v1/${t}/.well-known/openid-configuration`);
    const b = await call("GET", `/v1/${t}/.well-known/oauth-authorization-server`);
    const c = await call("GET", `/.well-known/oauth-authorization-server/v1/${t}`);
    expect(a.status).toBe(200);
    expect(b.body).toEqual(a.body);
    expect(c.body).toEqual(a.body);
    const iss = `${BASE}/v1/${t}`;
    expect(a.body).toMatchObject({
      issuer: iss,
      authorization_endpoint: `${iss}/oauth/authorize`,
      token_endpoint: `${iss}/oauth/token`,
      jwks_uri: `${iss}/.well-known/jwks.json`,
      end_session_endpoint: `${iss}/oauth/logout`,
      response_types_supported: ["code"],
      code_challenge_methods_supported: ["S256"],
      authorization_response_iss_parameter_supported: true,
      subject_types_supported: ["public"],
    });
    expect(a.body.id_token_signing_alg_values_supported).toContain("RS256");
    expect(a.body.id_token_signing_alg_values_supported).not.toContain("HS256");
    expect(a.body.token_endpoint_auth_methods_supported).toEqual(["client_secret_basic", "client_secret_post", "none"]);
    expect(a.headers.get("cache-control")).toMatch(/max-age=300/);
    // Off by default: no registration endpoint is advertised.
    expect(a.body).not.toHaveProperty("registration_endpoint");
  });

  it("the registration endpoint is listed once the tenant opens dynamic registration", async () => {
    const t = await newTenant({ oauth: { dynamic_registration: { enabled: true } } });
    const a = await call("GET", `/v1/${t}/.well-known/openid-configuration`);
    expect(a.body.registration_endpoint).toBe(`${BASE}/v1/${t}/oauth/register`);
  });

  it("an unknown tenant is 404 at every address", async () => {
    const t = uniq("nx");
    expectError(await call("GET", `/v1/${t}/.well-known/openid-configuration`), 404, "tenant_not_found");
    expectError(await call("GET", `/.well-known/oauth-authorization-server/v1/${t}`), 404, "tenant_not_found");
  });

  it("every tenant offers RS256, EdDSA and ES256 ID tokens, each with its own id_token key", async () => {
    const t = await newTenant({ token_alg: "HS256" });
    const a = await call("GET", `/v1/${t}/.well-known/openid-configuration`);
    expect(a.body.id_token_signing_alg_values_supported).toEqual(["RS256", "EdDSA", "ES256"]);
    const r = await admin("POST", `/tenants/${t}/clients`, { redirect_uris: ["https://a.example/cb"], id_token_signed_response_alg: "ES256" });
    expect(r.status).toBe(201);
  });
});
