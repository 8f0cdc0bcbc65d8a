/**
 * @module The console's identity-provider pages: operator only (a manage key gets 403 and no
 * nav entry, though the admin API lets it in), add with zod's issue next to its field, edit
 * sending only what changed, the client secret write-only (never rendered, an empty field
 * keeps it, a filled one replaces it), delete; each audited with the operator as actor.
 */
import { describe, expect, it } from "vitest";
import { admin, apiKey, newTenant, rows } from "../helpers.ts";
import { Console, operator } from "./kit.ts";

const SECRET = "gsecret-do-not-show-0123456789";

async function sealed(t: string, id: string): Promise<string | null> {
  const [r] = await rows<{ secret_sealed: string | null }>(t, "SELECT secret_sealed FROM identity_providers WHERE id = ?", id);
  return r?.secret_sealed ?? null;
}

describe("identity providers", () => {
  it("adds a provider, refusing a bad one with zod's message next to the field; the secret is never rendered", async () => {
    const t = await newTenant();
    const c = await operator();
    const list = await c.open(`/admin/t/${t}/idps`);
    expect(list.status).toBe(200);
    expect(list.html).toContain("No identity providers.");
    expect(list.html).toMatch(/<label for="f-client_secret">Client secret<\/label><input id="f-client_secret" name="client_secret" type="password"/);

    const bad = await c.post(`/admin/t/${t}/idps`, { id: "corp", type: "oidc", client_id: "abc", client_secret: SECRET, issuer: "", scopes: "email", enabled: "true", trust_verified_email: "false", require_mfa: "true" });
    expect(bad.status).toBe(400);
    expect(bad.html).toMatch(/id="f-issuer-error">an oidc provider needs its issuer</);
    expect(bad.html).toMatch(/id="f-scopes-error">an OpenID Connect provider needs the openid scope</);
    expect(bad.html).toMatch(/id="f-issuer"[^>]*aria-invalid="true"/);
    // What was typed comes back, except the secret.
    expect(bad.html).toContain('value="corp"');
    expect(bad.html).not.toContain(SECRET);
    expect((await admin("GET", `/tenants/${t}/identity-providers`)).body.identity_providers).toEqual([]);

    const idErr = await c.post(`/admin/t/${t}/idps`, { id: "Bad Id", type: "google", client_id: "x" });
    expect(idErr.html).toMatch(/id="f-id-error">lower-case letters, digits and &#39;-&#39;, up to 40</);

    const made = await c.post(`/admin/t/${t}/idps`, { id: "google", type: "google", client_id: "g.apps.googleusercontent.com", client_secret: SECRET, display_name: "", enabled: "true", trust_verified_email: "false", require_mfa: "true" });
    expect(made.status, made.html).toBe(303);
    expect(made.location).toBe(`/admin/t/${t}/idps/google?done=created`);
    const page = await c.open(made.location!);
    expect(page.html).toContain("Register the callback URL below");
    expect(page.html).toContain(`/v1/${t}/idp/google/callback`);
    expect(page.html).not.toContain(SECRET);
    expect(page.html).toMatch(/name="client_secret" type="password"(?![^>]*value=)/);
    const dup = await c.post(`/admin/t/${t}/idps`, { id: "google", type: "google", client_id: "again" });
    expect(dup.status).toBe(400);
    expect(dup.html).toMatch(/id="f-id-error">An identity provider with this id exists/);

    const [row] = await rows<{ actor: string; data: string }>(t, "SELECT actor, data FROM audit_log WHERE type = 'idp.created'");
    expect(row.actor).toBe("admin");
    expect(JSON.parse(row.data)).toEqual({ id: "google", type: "google" });
    expect((await c.open(`/admin/t/${t}/idps`)).html).not.toContain(SECRET);
  });

  it("an edit sends only the changed fields; an empty secret field keeps the secret, a filled one replaces it", async () => {
    const t = await newTenant();
    expect((await admin("POST", `/tenants/${t}/identity-providers`, { id: "gh", type: "github", client_id: "Iv1.0123456789abcdef", client_secret: SECRET, display_name: "GitHub Co" })).status).toBe(201);
    const c = await operator();
    const before = await sealed(t, "gh");
    const form = await c.open(`/admin/t/${t}/idps/gh`);
    expect(form.html).toContain('value="GitHub Co"');
    expect(form.html).toContain("Replace the client secret");
    // No issuer, tenant or Apple fields for a GitHub provider.
    expect(form.html).not.toContain('name="issuer"');
    const fields = { display_name: "GitHub Co", client_id: "Iv1.0123456789abcdef", client_secret: "", scopes: "read:user user:email", icon_url: "", enabled: "true", trust_verified_email: "false", require_mfa: "true" };

    expect((await c.post(`/admin/t/${t}/idps/gh`, fields)).location).toBe(`/admin/t/${t}/idps/gh?done=unchanged`);
    const bad = await c.post(`/admin/t/${t}/idps/gh`, { ...fields, icon_url: "http://icons.example/gh.png" });
    expect(bad.status).toBe(400);
    expect(bad.html).toMatch(/id="f-icon_url-error">/);
    expect(bad.html).toContain('value="http://icons.example/gh.png"');

    const saved = await c.post(`/admin/t/${t}/idps/gh`, { ...fields, display_name: "", enabled: "false" });
    expect(saved.location).toBe(`/admin/t/${t}/idps/gh?done=saved`);
    const p = (await admin("GET", `/tenants/${t}/identity-providers/gh`)).body;
    expect(p.enabled).toBe(false);
    // Emptied: back to the preset's name.
    expect(p.display_name).toBe("GitHub");
    expect(await sealed(t, "gh")).toBe(before);
    const [u] = await rows<{ actor: string; data: string }>(t, "SELECT actor, data FROM audit_log WHERE type = 'idp.updated'");
    expect(u.actor).toBe("admin");
    expect(JSON.parse(u.data).fields.sort()).toEqual(["display_name", "enabled"]);

    // As the browser sends the form back: the default name is in its field now.
    expect((await c.open(`/admin/t/${t}/idps/gh`)).html).toContain('value="GitHub"');
    await c.post(`/admin/t/${t}/idps/gh`, { ...fields, enabled: "false", display_name: "GitHub", client_secret: "a-new-secret-abcdef" });
    expect(await sealed(t, "gh")).not.toBe(before);
    expect((await c.open(`/admin/t/${t}/idps/gh`)).html).not.toContain("a-new-secret-abcdef");
    const [last] = await rows<{ data: string }>(t, "SELECT data FROM audit_log WHERE type = 'idp.updated' ORDER BY id DESC LIMIT 1");
    expect(JSON.parse(last.data).fields).toEqual(["client_secret"]);
  });

  it("deletes a provider, unlinking its identities, audited", async () => {
    const t = await newTenant();
    await admin("POST", `/tenants/${t}/identity-providers`, { id: "gh", type: "github", client_id: "Iv1.x", client_secret: SECRET });
    const c = await operator();
    await c.open(`/admin/t/${t}/idps/gh`);
    const r = await c.post(`/admin/t/${t}/idps/gh/delete`);
    expect(r.location).toBe(`/admin/t/${t}/idps?deleted=gh`);
    expect((await c.open(r.location!)).html).toContain("Identity provider gh deleted");
    expect((await admin("GET", `/tenants/${t}/identity-providers/gh`)).status).toBe(404);
    expect((await rows(t, "SELECT 1 FROM audit_log WHERE type = 'idp.deleted' AND actor = 'admin'")).length).toBe(1);
    expect((await c.post(`/admin/t/${t}/idps/gh/delete`)).status).toBe(404);
  });

  it("a manage key cannot see or change them: no nav entry, 403 on every page and change", async () => {
    const t = await newTenant();
    await admin("POST", `/tenants/${t}/identity-providers`, { id: "gh", type: "github", client_id: "Iv1.x", client_secret: SECRET });
    const c = new Console();
    expect((await c.signIn(await apiKey(t, ["manage"]), t)).status).toBe(303);
    const users = await c.open(`/admin/t/${t}/users`);
    expect(users.html).not.toContain(`/admin/t/${t}/idps`);
    for (const p of ["idps", "idps/gh"]) expect((await c.get(`/admin/t/${t}/${p}`)).status, p).toBe(403);
    expect((await c.post(`/admin/t/${t}/idps`, { id: "google", type: "google", client_id: "x", client_secret: "y" })).status).toBe(403);
    expect((await c.post(`/admin/t/${t}/idps/gh`, { enabled: "false" })).status).toBe(403);
    expect((await c.post(`/admin/t/${t}/idps/gh/delete`)).status).toBe(403);
    const left = (await admin("GET", `/tenants/${t}/identity-providers`)).body.identity_providers;
    expect(left.map((p: any) => [p.id, p.enabled])).toEqual([["gh", true]]);
  });

  it("changes need this Origin and the CSRF token", async () => {
    const t = await newTenant();
    const c = await operator();
    await c.open(`/admin/t/${t}/idps`);
    const body = { id: "google", type: "google", client_id: "x", client_secret: "y" };
    expect((await c.post(`/admin/t/${t}/idps`, body, { origin: "https://evil.example" })).status).toBe(403);
    expect((await c.post(`/admin/t/${t}/idps`, body, { csrf: null })).status).toBe(403);
    expect((await admin("GET", `/tenants/${t}/identity-providers`)).body.identity_providers).toEqual([]);
  });
});
