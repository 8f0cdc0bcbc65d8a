/**
 * @module An OAuth client's console page: the fields the admin API's PATCH takes, sent only
 * when changed, the object's refusal next to its field; the secret write-only (never a field,
 * a new one shown once on the page that made it, the old one dead); audited with the actor.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { admin, apiKey, BASE, newTenant, rows } from "../helpers.ts";
import { Console, operator } from "./kit.ts";

const keyId = (key: string) => /^wk_([0-9a-f]{16})\./.exec(key)![1];

/** client_credentials at the token endpoint with HTTP Basic (RFC 6749 section 2.3.1): the status. */
async function machineToken(t: string, id: string, secret: string): Promise<number> {
  const res = await SELF.fetch(`${BASE}/v1/${t}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}` },
    body: "grant_type=client_credentials",
  });
  await res.body?.cancel();
  return res.status;
}

async function newClient(t: string) {
  const r = await admin("POST", `/tenants/${t}/clients`, { client_name: "App", redirect_uris: ["https://app.example/cb"], grant_types: ["authorization_code", "refresh_token", "client_credentials"], token_endpoint_auth_method: "client_secret_basic" });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { id: r.body.client_id as string, secret: r.body.client_secret as string };
}

/** The edit form as the browser submits it for the stored client, with `o` changed. */
function formOf(o: Record<string, string> = {}): Record<string, string> {
  return {
    client_name: "App",
    redirect_uris: "https://app.example/cb",
    post_logout_redirect_uris: "",
    grants: "1",
    "grant.authorization_code": "1",
    "grant.refresh_token": "1",
    "grant.client_credentials": "1",
    scope: "openid profile email offline_access",
    token_endpoint_auth_method: "client_secret_basic",
    id_token_signed_response_alg: "RS256",
    backchannel_logout_uri: "",
    backchannel_logout_session_required: "",
    logo_uri: "",
    client_uri: "",
    first_party: "false",
    ...o,
  };
}

describe("OAuth client edit", () => {
  it("refuses a bad field next to it and changes nothing; a good edit sends only what changed, audited with the key", async () => {
    const t = await newTenant();
    const cl = await newClient(t);
    const key = await apiKey(t, ["manage"]);
    const c = new Console();
    expect((await c.signIn(key, t)).status).toBe(303);
    const list = await c.open(`/admin/t/${t}/clients`);
    expect(list.html).toContain(`href="/admin/t/${t}/clients/${cl.id}"`);
    const page = await c.open(`/admin/t/${t}/clients/${cl.id}`);
    expect(page.html).toContain('value="App"');
    expect(page.html).toMatch(/<input type="checkbox" id="f-grant-client_credentials" name="grant.client_credentials" value="1" checked=""/);
    expect(page.html).not.toContain(cl.secret);

    expect((await c.post(`/admin/t/${t}/clients/${cl.id}`, formOf())).location).toBe(`/admin/t/${t}/clients/${cl.id}?done=unchanged`);
    const bad = await c.post(`/admin/t/${t}/clients/${cl.id}`, formOf({ redirect_uris: "http://evil.example/cb" }));
    expect(bad.status).toBe(400);
    expect(bad.html).toMatch(/id="f-redirect_uris-error">http is allowed only for loopback redirects/);
    expect(bad.html).toContain("http://evil.example/cb</textarea>");
    const none = formOf();
    for (const g of ["authorization_code", "refresh_token", "client_credentials"]) delete none[`grant.${g}`];
    expect((await c.post(`/admin/t/${t}/clients/${cl.id}`, none)).html).toMatch(/id="f-grant_types-error">/);
    const pub = await c.post(`/admin/t/${t}/clients/${cl.id}`, formOf({ token_endpoint_auth_method: "none" }));
    expect(pub.html).toMatch(/id="f-grant_types-error">a public client \(token_endpoint_auth_method none\) cannot use client_credentials/);
    expect((await admin("GET", `/tenants/${t}/clients/${cl.id}`)).body.redirect_uris).toEqual(["https://app.example/cb"]);
    expect(await rows(t, "SELECT 1 FROM audit_log WHERE type = 'client.updated'")).toEqual([]);

    const ok = await c.post(`/admin/t/${t}/clients/${cl.id}`, formOf({ client_name: "App Two", redirect_uris: "https://app.example/cb\r\nhttps://app.example/cb2", logo_uri: "https://app.example/logo.png" }));
    expect(ok.location).toBe(`/admin/t/${t}/clients/${cl.id}?done=saved`);
    expect((await c.open(ok.location!)).html).toContain("Client saved.");
    const now = (await admin("GET", `/tenants/${t}/clients/${cl.id}`)).body;
    expect(now).toMatchObject({ client_name: "App Two", redirect_uris: ["https://app.example/cb", "https://app.example/cb2"], logo_uri: "https://app.example/logo.png", grant_types: ["authorization_code", "refresh_token", "client_credentials"] });
    const [row] = await rows<{ actor: string; data: string }>(t, "SELECT actor, data FROM audit_log WHERE type = 'client.updated'");
    expect(row.actor).toBe(`key:${keyId(key)}`);
    expect(JSON.parse(row.data).fields.sort()).toEqual(["client_name", "logo_uri", "redirect_uris"]);
    // An emptied optional field is unset.
    await c.post(`/admin/t/${t}/clients/${cl.id}`, formOf({ client_name: "App Two", redirect_uris: "https://app.example/cb https://app.example/cb2", logo_uri: "" }));
    expect((await admin("GET", `/tenants/${t}/clients/${cl.id}`)).body.logo_uri).toBeUndefined();
    // The secret was never touched by the edits.
    expect(await machineToken(t, cl.id, cl.secret)).toBe(200);
  });

  it("a new secret is shown once, on the page that made it; the old one stops working", async () => {
    const t = await newTenant();
    const cl = await newClient(t);
    const c = await operator();
    await c.open(`/admin/t/${t}/clients/${cl.id}`);
    const r = await c.post(`/admin/t/${t}/clients/${cl.id}/secret`);
    expect(r.status).toBe(200);
    const secret = /class="secret">([^<]+)</.exec(r.html)![1];
    expect(secret).not.toBe(cl.secret);
    expect(await machineToken(t, cl.id, cl.secret)).toBe(401);
    expect(await machineToken(t, cl.id, secret)).toBe(200);
    expect((await c.open(`/admin/t/${t}/clients/${cl.id}`)).html).not.toContain(secret);
    expect((await c.open(`/admin/t/${t}/clients`)).html).not.toContain(secret);
    expect((await rows<{ actor: string }>(t, "SELECT actor FROM audit_log WHERE type = 'client.secret_rotated'")).map((x) => x.actor)).toEqual(["admin"]);
  });

  it("a public client made confidential gets its first secret, shown once", async () => {
    const t = await newTenant();
    const made = await admin("POST", `/tenants/${t}/clients`, { client_name: "SPA", redirect_uris: ["https://app.example/cb"], token_endpoint_auth_method: "none" });
    const id = made.body.client_id;
    const c = await operator();
    await c.open(`/admin/t/${t}/clients/${id}`);
    const form = formOf({ client_name: "SPA", token_endpoint_auth_method: "client_secret_post" });
    delete form["grant.client_credentials"];
    const r = await c.post(`/admin/t/${t}/clients/${id}`, form);
    expect(r.status, r.html).toBe(200);
    const secret = /class="secret">([^<]+)</.exec(r.html)![1];
    expect(secret.length).toBeGreaterThan(20);
    expect((await c.open(`/admin/t/${t}/clients/${id}`)).html).not.toContain(secret);
    expect((await c.post(`/admin/t/${t}/clients/wc_${"A".repeat(22)}`, form)).status).toBe(404);
  });

  it("an edit needs this Origin and the CSRF token", async () => {
    const t = await newTenant();
    const cl = await newClient(t);
    const c = await operator();
    await c.open(`/admin/t/${t}/clients/${cl.id}`);
    expect((await c.post(`/admin/t/${t}/clients/${cl.id}`, formOf({ client_name: "X" }), { origin: "https://evil.example" })).status).toBe(403);
    expect((await c.post(`/admin/t/${t}/clients/${cl.id}`, formOf({ client_name: "X" }), { csrf: null })).status).toBe(403);
    expect((await c.post(`/admin/t/${t}/clients/${cl.id}/secret`, {}, { csrf: null })).status).toBe(403);
    expect((await admin("GET", `/tenants/${t}/clients/${cl.id}`)).body.client_name).toBe("App");
    expect(await machineToken(t, cl.id, cl.secret)).toBe(200);
  });
});
