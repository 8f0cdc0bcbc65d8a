/**
 * @module The console's pages and actions: tenants (live counts, create with its validation,
 * delete), the settings editor (zod's message next to the field, the merged result, save),
 * users (search, a user's sessions, each action audited with the console's actor), the audit
 * log (newest first, the chain check), the overview's hourly charts, and the live events
 * WebSocket (Origin checked, cookie-authenticated, `session.revoked` arriving).
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { admin, apiKey, BASE, call, login, newTenant, rows, signup, uniq } from "../helpers.ts";
import { collect } from "../realtime/ws.ts";
import { Console, operator } from "./kit.ts";

const keyId = (key: string) => /^wk_([0-9a-f]{16})\./.exec(key)![1];

async function keySession(t: string, scopes = ["manage"]): Promise<{ c: Console; key: string }> {
  const key = await apiKey(t, scopes);
  const c = new Console();
  expect((await c.signIn(key, t)).status).toBe(303);
  return { c, key };
}

describe("tenants", () => {
  it("lists tenants with live counts and creates one, showing the slug's validation error next to its field", async () => {
    const t = await newTenant();
    await signup(t);
    const c = await operator();
    const list = await c.open("/admin/tenants");
    expect(list.html).toMatch(new RegExp(`>${t}</a></td><td>[^<]*</td><td>active</td><td>1</td><td>1</td>`));
    const bad = await c.post("/admin/tenants", { slug: "A!", name: "Bad" });
    expect(bad.status).toBe(400);
    expect(bad.html).toMatch(/id="f-slug-error">slug must match/);
    expect(bad.html).toContain('aria-invalid="true"');
    const slug = uniq("c");
    const ok = await c.post("/admin/tenants", { slug, name: "Console Co" });
    expect(ok.location).toBe(`/admin/tenants?created=${slug}`);
    expect((await c.open(ok.location!)).html).toContain(`Tenant ${slug} created.`);
    expect((await admin("GET", `/tenants/${slug}`)).body.name).toBe("Console Co");
    const dup = await c.post("/admin/tenants", { slug, name: "Again" });
    expect(dup.status).toBe(400);
    expect(dup.html).toContain("already exists");
  });

  it("deletes a tenant only when the slug is typed back", async () => {
    const t = await newTenant();
    const c = await operator();
    await c.open(`/admin/t/${t}`);
    expect((await c.post(`/admin/t/${t}/delete`, { confirm: "nope" })).status).toBe(400);
    expect((await admin("GET", `/tenants/${t}`)).body.status).toBe("active");
    const gone = await c.post(`/admin/t/${t}/delete`, { confirm: t });
    expect((await c.open(gone.location!)).html).toContain(`Tenant ${t} deleted`);
    expect((await admin("GET", `/tenants/${t}`)).body.status).toBe("deleted");
  });
});

describe("settings editor", () => {
  it("shows zod's message next to the field and saves nothing; a valid change is previewed merged, then saved and audited", async () => {
    const t = await newTenant();
    const c = await operator();
    const page = await c.open(`/admin/t/${t}/settings`);
    expect(page.html).toContain('name="s.lockout.threshold"');
    // The webhook secret is write-only: an empty password field, never its value.
    expect(page.html).toMatch(/name="s.delivery.webhook_secret" type="password"(?![^>]*value="[^"])/);
    const bad = await c.post(`/admin/t/${t}/settings`, { "s.access_ttl_s": "10", intent: "save" });
    expect(bad.status).toBe(400);
    expect(bad.html).toMatch(/id="f-s-access_ttl_s-error">Too small: expected number to be &gt;=60/);
    expect((await admin("GET", `/tenants/${t}`)).body.settings.access_ttl_s).toBe(3600);

    const preview = await c.post(`/admin/t/${t}/settings`, { "s.lockout.threshold": "7", intent: "preview" });
    expect(preview.status).toBe(200);
    expect(preview.html).toContain("The merged settings are valid");
    expect(preview.html).toMatch(/&quot;threshold&quot;: 7/);
    expect((await admin("GET", `/tenants/${t}`)).body.settings.lockout.threshold).toBe(5);

    const saved = await c.post(`/admin/t/${t}/settings`, { "s.lockout.threshold": "7", "s.signup.identifiers": '["email"]', intent: "save" });
    expect(saved.location).toBe(`/admin/t/${t}/settings?saved=1`);
    const s = (await admin("GET", `/tenants/${t}`)).body.settings;
    expect(s.lockout.threshold).toBe(7);
    expect(s.signup.identifiers).toEqual(["email"]);
    const [row] = await rows<{ actor: string; data: string }>(t, "SELECT actor, data FROM audit_log WHERE type = 'tenant.updated'");
    expect(row.actor).toBe("admin");
    expect(JSON.parse(row.data).settings.sort()).toEqual(["lockout", "signup"]);
  });

  it("a field that is not JSON is marked, and an unknown enum value gets zod's message", async () => {
    const t = await newTenant();
    const c = await operator();
    await c.open(`/admin/t/${t}/settings`);
    const r = await c.post(`/admin/t/${t}/settings`, { "s.signup.identifiers": "[email", "s.token_alg": "none", intent: "preview" });
    expect(r.status).toBe(400);
    expect(r.html).toMatch(/id="f-s-signup-identifiers-error">Not valid JSON/);
    expect(r.html).toMatch(/id="f-s-token_alg-error">Invalid option/);
  });
});

describe("users", () => {
  it("finds a user by email prefix, shows the sessions, revokes one: audited with the key as actor, gone from the user's GET /sessions", async () => {
    const t = await newTenant();
    const email = `${uniq("ada")}@example.com`;
    const u = await signup(t, { email });
    const second = (await login(t, email)).body;
    const { c, key } = await keySession(t);
    const found = await c.open(`/admin/t/${t}/users?q=${encodeURIComponent(email.slice(0, 6).toUpperCase())}`);
    expect(found.html).toContain(`/admin/t/${t}/users/${u.user.id}`);
    expect((await c.open(`/admin/t/${t}/users?q=zzz`)).html).toContain("No users found.");

    const page = await c.open(`/admin/t/${t}/users/${u.user.id}`);
    const sid = (await call("GET", `/v1/${t}/sessions`, { token: second.access_token })).body.sessions.find((s: any) => s.current).id;
    expect(page.html).toContain(`/sessions/${sid}/revoke`);
    const r = await c.post(`/admin/t/${t}/users/${u.user.id}/sessions/${sid}/revoke`);
    expect(r.location).toBe(`/admin/t/${t}/users/${u.user.id}?done=session`);
    const left = (await call("GET", `/v1/${t}/sessions`, { token: u.access_token })).body.sessions.map((s: any) => s.id);
    expect(left).not.toContain(sid);
    expect(left.length).toBe(1);
    const [row] = await rows<{ actor: string; session_id: string }>(t, "SELECT actor, session_id FROM audit_log WHERE type = 'session.revoked'");
    expect(row).toEqual({ actor: `key:${keyId(key)}`, session_id: sid });
    expect((await c.open(`/admin/t/${t}/users/${u.user.id}?done=session`)).html).toContain("Session revoked.");
  });

  it("each user action goes through the operator flow and is audited with the operator as actor", async () => {
    const t = await newTenant();
    const u = await signup(t);
    await admin("POST", `/tenants/${t}/roles`, { name: "support", scopes: ["tickets:read"] });
    const c = await operator();
    const base = `/admin/t/${t}/users/${u.user.id}`;
    await c.open(base);
    const steps: [string, Record<string, string>, string][] = [
      ["disable", {}, "user.disabled"],
      ["enable", {}, "user.enabled"],
      ["unlock", {}, "user.unlocked"],
      ["password-reset", {}, "password.reset_requested"],
      ["mfa-reset", {}, "mfa.reset"],
      ["revoke", {}, "user.revoked"],
      ["roles/grant", { role: "support" }, "role.granted"],
      ["roles/remove", { role: "support" }, "role.removed"],
    ];
    for (const [path, fields, type] of steps) {
      const r = await c.post(`${base}/${path}`, fields);
      expect(r.status, `${path}: ${r.html}`).toBe(303);
      const [row] = await rows<{ actor: string }>(t, "SELECT actor FROM audit_log WHERE type = ? ORDER BY id DESC LIMIT 1", type);
      expect(row?.actor, type).toBe("admin");
    }
    expect((await admin("GET", `/tenants/${t}/users/${u.user.id}`)).body.roles).toEqual([]);
  });

  it("an unknown user or session is a 404 page", async () => {
    const t = await newTenant();
    const u = await signup(t);
    const c = await operator();
    expect((await c.open(`/admin/t/${t}/users/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    await c.open(`/admin/t/${t}/users/${u.user.id}`);
    expect((await c.post(`/admin/t/${t}/users/${u.user.id}/sessions/${"A".repeat(22)}/revoke`)).status).toBe(404);
  });
});

describe("audit", () => {
  it("newest first, filtered by type, and the chain check's result", async () => {
    const t = await newTenant();
    const u = await signup(t);
    await login(t, u.user.email, "wrong password!!");
    const c = await operator();
    const all = await c.open(`/admin/t/${t}/audit`);
    const types = [...all.html.matchAll(/<td>\d+<\/td><td>[^<]+<\/td><td>([a-z_.]+)<\/td>/g)].map((m) => m[1]);
    expect(types[0]).toBe("login.failure");
    expect(types[types.length - 1]).toBe("tenant.created");
    const only = await c.open(`/admin/t/${t}/audit?type=signup`);
    expect([...only.html.matchAll(/<td>signup<\/td>/g)].length).toBe(1);
    expect(only.html).not.toContain("<td>login.failure</td>");
    const verified = await c.open(`/admin/t/${t}/audit?verify=1`);
    expect(verified.html).toMatch(/The chain is intact: \d+ entries checked/);
    expect((await c.open(`/admin/t/${t}/audit?since=yesterday`)).status).toBe(400);
  });
});

describe("overview", () => {
  it("draws the last 24 hours from the hourly counters as inline SVG", async () => {
    const t = await newTenant();
    const u = await signup(t);
    await login(t, u.user.email);
    await login(t, u.user.email, "wrong password!!");
    const counts = await rows<{ kind: string; n: number }>(t, "SELECT kind, n FROM hourly_counts ORDER BY kind");
    expect(counts).toEqual([{ kind: "failures", n: 1 }, { kind: "sign_ins", n: 1 }]);
    const c = await operator();
    const page = await c.open(`/admin/t/${t}`);
    expect(page.html).toContain("Sign-ins: 1 in the last 24 hours");
    expect(page.html).toContain("Failed sign-ins: 1 in the last 24 hours");
    expect(page.html).toMatch(/<svg class="chart"/);
    // The sign-up's session and the sign-in's.
    expect(page.html).toMatch(/Active sessions<\/dt><dd>2</);
  });
});

describe("live events", () => {
  const ws = (c: Console, t: string, origin: string | null) =>
    SELF.fetch(`${BASE}/admin/t/${t}/events/ws`, { headers: { Upgrade: "websocket", cookie: [...c.jar].map(([k, v]) => `${k}=${v}`).join("; "), ...(origin ? { origin } : {}) }, redirect: "manual" });

  it("the upgrade needs this Origin and the console cookie", async () => {
    const t = await newTenant();
    const c = await operator();
    expect((await ws(c, t, null)).status).toBe(403);
    expect((await ws(c, t, "https://evil.example")).status).toBe(403);
    expect((await ws(new Console(), t, BASE)).status).toBe(303);
    const page = await c.open(`/admin/t/${t}/events`);
    const csp = page.headers.get("content-security-policy")!;
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).toContain("connect-src 'self'");
  });

  it("the operator's socket receives the session.revoked of a revocation made in the console", async () => {
    const t = await newTenant();
    const u = await signup(t);
    const c = await operator();
    const res = await ws(c, t, BASE);
    expect(res.status).toBe(101);
    const sock = res.webSocket!;
    sock.accept();
    const sub = collect(sock);
    expect((await sub.next()).type).toBe("hello");
    const sid = (await call("GET", `/v1/${t}/sessions`, { token: u.access_token })).body.sessions[0].id;
    await c.open(`/admin/t/${t}/users/${u.user.id}`);
    await c.post(`/admin/t/${t}/users/${u.user.id}/sessions/${sid}/revoke`);
    const e = await sub.next();
    expect(e).toMatchObject({ type: "session.revoked", sub: u.user.id, sid });
    sub.close();
  });

  it("a manage key without subscribe is refused by the object, as through the API", async () => {
    const t = await newTenant();
    const { c } = await keySession(t, ["manage"]);
    expect((await ws(c, t, BASE)).status).toBe(403);
    const both = await keySession(t, ["manage", "subscribe"]);
    const ok = await ws(both.c, t, BASE);
    expect(ok.status).toBe(101);
    ok.webSocket!.accept();
    ok.webSocket!.close();
  });
});

describe("keys, roles and clients", () => {
  it("an API key is shown once, on the page that created it; rotation names the new key; both audited", async () => {
    const t = await newTenant();
    const c = await operator();
    await c.open(`/admin/t/${t}/keys`);
    const created = await c.post(`/admin/t/${t}/keys/api-keys`, { name: "ci", "scope.introspect": "1" });
    const key = /class="secret">(wk_[^<]+)</.exec(created.html)![1];
    expect((await call("POST", `/v1/${t}/introspect`, { token: key, body: { token: "x" } })).status).toBe(200);
    const again = await c.open(`/admin/t/${t}/keys`);
    expect(again.html).not.toContain(key);
    expect(again.html).toContain(keyId(key));
    expect((await c.post(`/admin/t/${t}/keys/api-keys`, { name: "none" })).status).toBe(400);
    const rotated = await c.post(`/admin/t/${t}/keys/signing-keys/rotate`);
    expect(rotated.html).toMatch(/New signing key [^ ]+ is current/);
    expect((await c.post(`/admin/t/${t}/keys/api-keys/${keyId(key)}/revoke`)).status).toBe(303);
    const types = (await rows<{ type: string }>(t, "SELECT type FROM audit_log WHERE type IN ('api_key.created', 'api_key.revoked', 'signing_key.rotated') ORDER BY id")).map((r) => r.type);
    expect(types).toEqual(["api_key.created", "signing_key.rotated", "api_key.revoked"]);
  });

  it("a manage key creates and deletes roles and clients (the secret shown once), and cannot touch API keys", async () => {
    const t = await newTenant();
    const { c, key } = await keySession(t);
    await c.open(`/admin/t/${t}/roles`);
    expect((await c.post(`/admin/t/${t}/roles`, { name: "Bad Name", scopes: "" })).status).toBe(400);
    expect((await c.post(`/admin/t/${t}/roles`, { name: "support", description: "Help desk", scopes: "tickets:read tickets:write" })).status).toBe(303);
    expect((await c.open(`/admin/t/${t}/roles`)).html).toContain("tickets:read tickets:write");
    expect((await c.post(`/admin/t/${t}/roles/support/delete`)).status).toBe(303);
    const client = await c.post(`/admin/t/${t}/clients`, { client_name: "App", redirect_uris: "https://app.example/cb", token_endpoint_auth_method: "client_secret_basic" });
    expect(client.status).toBe(200);
    const secret = /class="secret">([^<]+)</.exec(client.html)![1];
    const list = await c.open(`/admin/t/${t}/clients`);
    expect(list.html).not.toContain(secret);
    const id = /(wc_[A-Za-z0-9_-]{22})/.exec(list.html)![1];
    expect((await c.post(`/admin/t/${t}/clients/${id}/delete`)).status).toBe(303);
    const actors = await rows<{ type: string; actor: string }>(t, "SELECT type, actor FROM audit_log WHERE type LIKE 'role.%' OR type LIKE 'client.%' ORDER BY id");
    expect(actors.map((a) => a.type)).toEqual(["role.created", "role.deleted", "client.created", "client.deleted"]);
    expect(new Set(actors.map((a) => a.actor))).toEqual(new Set([`key:${keyId(key)}`]));
    expect((await c.post(`/admin/t/${t}/keys/api-keys`, { name: "x", "scope.manage": "1" })).status).toBe(403);
    expect((await c.post(`/admin/t/${t}/keys/signing-keys/rotate`)).status).toBe(403);
  });
});
