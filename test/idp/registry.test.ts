/** @module The identity-provider registry: admin API and manage keys, secrets write-only and sealed, bad input refused and changing nothing. */
import { describe, expect, it } from "vitest";
import { admin, apiKey, BASE, call, count, expectError, newTenant, rows } from "../helpers.ts";
import { Browser } from "../pages/kit.ts";

const generic = (o: Record<string, unknown> = {}) => ({ id: "corp", type: "oidc", issuer: "https://idp.example.com", client_id: "warden", client_secret: "s3cret-value-0123456789", ...o });

describe("identity providers: the admin API", () => {
  it("create, list, show, update, delete; the secret is never answered and is sealed at rest", async () => {
    const t = await newTenant();
    const c = await admin("POST", `/tenants/${t}/identity-providers`, generic());
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    expect(c.body).toMatchObject({ id: "corp", type: "oidc", enabled: true, trust_verified_email: false, require_mfa: true, client_secret_set: true, scopes: "openid email profile", callback_url: `${BASE}/v1/${t}/idp/corp/callback` });
    expect(JSON.stringify(c.body)).not.toContain("s3cret");
    const [row] = await rows<{ config: string; secret_sealed: string }>(t, "SELECT config, secret_sealed FROM identity_providers");
    expect(row.config).not.toContain("s3cret");
    expect(row.secret_sealed).toMatch(/^v1\./);
    expect((await admin("GET", `/tenants/${t}/identity-providers`)).body.identity_providers).toHaveLength(1);
    const u = await admin("PATCH", `/tenants/${t}/identity-providers/corp`, { display_name: "Corp SSO", enabled: false });
    expect(u.status).toBe(200);
    expect(u.body).toMatchObject({ display_name: "Corp SSO", enabled: false, client_secret_set: true });
    const [after] = await rows<{ secret_sealed: string }>(t, "SELECT secret_sealed FROM identity_providers");
    expect(after.secret_sealed).toBe(row.secret_sealed);
    expect((await admin("GET", `/tenants/${t}/identity-providers/corp`)).body.display_name).toBe("Corp SSO");
    expect((await admin("DELETE", `/tenants/${t}/identity-providers/corp`)).status).toBe(204);
    expectError(await admin("GET", `/tenants/${t}/identity-providers/corp`), 404, "not_found");
    const audit = await rows<{ type: string }>(t, "SELECT type FROM audit_log WHERE type LIKE 'idp.%' ORDER BY id");
    expect(audit.map((a) => a.type)).toEqual(["idp.created", "idp.updated", "idp.deleted"]);
  });

  it("a manage key may look at and edit providers but never set their secrets; an introspect-only key may not", async () => {
    const t = await newTenant();
    const manage = await apiKey(t, ["manage"]);
    expectError(await call("POST", `/v1/${t}/admin/identity-providers`, { token: manage, body: generic() }), 403, "forbidden");
    // A key that is no key learns nothing but 401, whatever it sends.
    expectError(await call("POST", `/v1/${t}/admin/identity-providers`, { token: "wk_not-a-key", body: generic() }), 401, "invalid_token");
    expect(await count(t, "identity_providers")).toBe(0);
    expect((await admin("POST", `/tenants/${t}/identity-providers`, generic())).status).toBe(201);
    const [before] = await rows<{ secret_sealed: string }>(t, "SELECT secret_sealed FROM identity_providers");
    expectError(await call("PATCH", `/v1/${t}/admin/identity-providers/corp`, { token: manage, body: { client_secret: "attacker-secret-0123456789" } }), 403, "forbidden");
    const [after] = await rows<{ secret_sealed: string }>(t, "SELECT secret_sealed FROM identity_providers");
    expect(after.secret_sealed).toBe(before.secret_sealed);
    const r = await call("PATCH", `/v1/${t}/admin/identity-providers/corp`, { token: manage, body: { display_name: "Corp" } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect((await call("GET", `/v1/${t}/admin/identity-providers`, { token: manage })).body.identity_providers).toHaveLength(1);
    const weak = await apiKey(t, ["introspect"]);
    expectError(await call("GET", `/v1/${t}/admin/identity-providers`, { token: weak }), 403, "forbidden");
  });

  it("bad input is refused by name and stores nothing", async () => {
    const t = await newTenant();
    const bad: [Record<string, unknown>, string][] = [
      [generic({ issuer: undefined }), "issuer"],
      [generic({ issuer: "https://10.0.0.1/idp" }), "issuer"],
      [generic({ issuer: "https://idp.example.com/?x=1" }), "issuer"],
      [generic({ id: "Bad Id" }), "id"],
      [generic({ type: "saml" }), "type"],
      [generic({ type: "google", issuer: "https://evil.example" }), "issuer"],
      [generic({ scopes: "email profile" }), "scopes"],
      [generic({ icon_url: "http://x.example/i.png" }), "icon_url"],
      [{ id: "apple", type: "apple", client_id: "com.example.web", apple: { team_id: "ABCDE12345", key_id: "KEY1234567", private_key: "x".repeat(200) } }, "apple.private_key"],
      [generic({ unknown: 1 }), ""],
    ];
    for (const [body, path] of bad) {
      const r = await admin("POST", `/tenants/${t}/identity-providers`, body);
      expectError(r, 400, "invalid_request");
      if (path) expect(r.body.error.details.map((d: { path: string }) => d.path), JSON.stringify(body)).toContain(path);
    }
    expect(await count(t, "identity_providers")).toBe(0);
    expect((await admin("POST", `/tenants/${t}/identity-providers`, generic())).status).toBe(201);
    expectError(await admin("POST", `/tenants/${t}/identity-providers`, generic()), 409, "conflict");
    expectError(await admin("PATCH", `/tenants/${t}/identity-providers/corp`, { type: "github" }), 400, "invalid_request");
  });

  it("the sign-in page shows a button per enabled provider, linking to its start route with the flow", async () => {
    const t = await newTenant();
    await admin("POST", `/tenants/${t}/identity-providers`, generic());
    await admin("POST", `/tenants/${t}/identity-providers`, { id: "gh", type: "github", client_id: "Iv1.abc", client_secret: "x", enabled: false });
    const page = await new Browser().get(`/v1/${t}/pages/sign-in`);
    expect(page.html).toContain(`href="/v1/${t}/idp/corp/start"`);
    expect(page.html).toContain("Continue with corp");
    expect(page.html).not.toContain("/idp/gh/start");
  });
});
