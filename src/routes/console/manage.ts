/**
 * @module A tenant's keys, roles and OAuth clients in the console. API keys and signing keys
 * are the operator's only (as in the admin API, where manage keys cannot reach them); roles
 * and clients are open to a manage key, as `/v1/{tenant}/admin/...` is. Each change is the
 * admin API's RPC; a refused one comes back on the same page with the object's message (a
 * client's edit form: next to the field). A client secret is shown once, on the page that
 * made it (register, a new secret, or an edit that makes a public client confidential).
 */
import { Hono } from "hono";
import { z } from "zod";
import { unwrap, type Result } from "../../errors.ts";
import { meta } from "../../http/helpers.ts";
import { createApiKeyBody, createRoleBody, ROLE_RE } from "../../../schema/requests.ts";
import type { listClients, showClient, updateClientFlow } from "../../../objects/tenant/flows/clients.ts";
import { CLIENT_ID_RE, type PublicClient } from "../../../objects/tenant/clients.ts";
import { GRANT_TYPES } from "../../../schema/clients.ts";
import { ClientPage, clientValues } from "../../pages/console/client.tsx";
import { emptyForm, type FormState } from "../../pages/console/layout.tsx";
import { changed, place } from "./form.ts";
import { ClientsPage, KeysPage, RolesPage } from "../../pages/console/manage.tsx";
import { renderConsole } from "../../pages/console/render.ts";
import { texts } from "../../pages/console/texts.ts";
import { ConsoleRefusal, frame, operatorOnly, readForm, readRawForm, rpc, type ConsoleContext, type ConsoleEnv } from "./auth.ts";

export const managePages = new Hono<ConsoleEnv>();

const failure = (r: Result<unknown>): string | null => (r.ok ? null : (r.error.message ?? r.error.code));
const issues = (e: z.ZodError) => e.issues.map((i) => `${i.path.join(".") || "form"}: ${i.message}`).join("; ");

// ---------------------------------------------------------------- keys (operator)

async function keysPage(c: ConsoleContext, o: { created?: string | null; notice?: string | null; error?: string | null } = {}, status: 200 | 400 = 200) {
  const keys = unwrap(await c.get("tenant").listApiKeys()).api_keys;
  return renderConsole(c, KeysPage({ frame: frame(c, "keys"), slug: c.get("slug"), keys, ...o }), { status });
}

managePages.get("/keys", (c) => {
  operatorOnly(c);
  return keysPage(c);
});

managePages.post("/keys/api-keys", async (c) => {
  operatorOnly(c);
  const f = await readRawForm(c);
  const parsed = createApiKeyBody.safeParse({ name: (f.name ?? "").trim(), scopes: ["introspect", "subscribe", "manage"].filter((s) => f[`scope.${s}`] === "1") });
  if (!parsed.success) return keysPage(c, { error: issues(parsed.error) }, 400);
  const k = unwrap(await c.get("tenant").createApiKey(parsed.data));
  // The key itself, this once.
  return keysPage(c, { created: k.key });
});

managePages.post("/keys/api-keys/:id/revoke", async (c) => {
  operatorOnly(c);
  await readForm(c, {});
  const id = c.req.param("id");
  if (!/^[0-9a-f]{16}$/.test(id)) throw new ConsoleRefusal(texts.error.notFound, 404);
  unwrap(await c.get("tenant").revokeApiKey({ id }));
  return c.redirect(`/admin/t/${c.get("slug")}/keys`, 303);
});

managePages.post("/keys/signing-keys/rotate", async (c) => {
  operatorOnly(c);
  await readForm(c, {});
  const k = unwrap(await c.get("tenant").rotateSigningKey());
  // An HS256 secret is not shown here: the console keeps secrets write-only (the API's answer has it once).
  return keysPage(c, { notice: texts.keys.rotated(k.kid) });
});

// ---------------------------------------------------------------- roles

async function rolesPage(c: ConsoleContext, o: { notice?: string | null; error?: string | null } = {}, status: 200 | 400 = 200) {
  const roles = unwrap(await c.get("tenant").listRoles({ by: c.get("who").by })).roles;
  return renderConsole(c, RolesPage({ frame: frame(c, "roles"), slug: c.get("slug"), roles, ...o }), { status });
}

managePages.get("/roles", (c) => rolesPage(c));

managePages.post("/roles", async (c) => {
  const f = await readRawForm(c);
  const parsed = createRoleBody.safeParse({ name: (f.name ?? "").trim(), description: f.description?.trim() || undefined, scopes: (f.scopes ?? "").split(/\s+/).filter(Boolean) });
  if (!parsed.success) return rolesPage(c, { error: issues(parsed.error) }, 400);
  const r = (await c.get("tenant").createRole({ by: c.get("who").by, name: parsed.data.name, description: parsed.data.description ?? null, scopes: parsed.data.scopes, meta: meta(c) })) as Result<unknown>;
  return r.ok ? c.redirect(`/admin/t/${c.get("slug")}/roles`, 303) : rolesPage(c, { error: failure(r) }, 400);
});

managePages.post("/roles/:name/delete", async (c) => {
  await readForm(c, {});
  const name = c.req.param("name");
  if (!ROLE_RE.test(name)) throw new ConsoleRefusal(texts.error.notFound, 404);
  unwrap(await c.get("tenant").deleteRole({ by: c.get("who").by, name, meta: meta(c) }));
  return c.redirect(`/admin/t/${c.get("slug")}/roles`, 303);
});

// ---------------------------------------------------------------- OAuth clients

async function clientsPage(c: ConsoleContext, o: { secret?: { id: string; value: string } | null; error?: string | null } = {}, status: 200 | 400 = 200) {
  const clients = unwrap(rpc<typeof listClients>(await c.get("tenant").listClients({ by: c.get("who").by }))).clients;
  return renderConsole(c, ClientsPage({ frame: frame(c, "clients"), slug: c.get("slug"), clients, ...o }), { status });
}


managePages.get("/clients", (c) => clientsPage(c));

managePages.post("/clients", async (c) => {
  const f = await readRawForm(c);
  const metadata = {
    client_name: f.client_name?.trim() || undefined,
    redirect_uris: (f.redirect_uris ?? "").split(/\s+/).filter(Boolean),
    token_endpoint_auth_method: f.token_endpoint_auth_method,
  };
  const r = (await c.get("tenant").createClient({ by: c.get("who").by, metadata, meta: meta(c) })) as Result<{ client_id: string; client_secret?: string }>;
  if (!r.ok) {
    const details = (r.error.details ?? []) as { path?: string; message?: string }[];
    return clientsPage(c, { error: details.length ? details.map((d) => `${d.path ?? ""}: ${d.message ?? ""}`).join("; ") : failure(r) }, 400);
  }
  return clientsPage(c, { secret: r.value.client_secret ? { id: r.value.client_id, value: r.value.client_secret } : null });
});

function clientParam(c: ConsoleContext): string {
  const id = c.req.param("id") ?? "";
  if (!CLIENT_ID_RE.test(id)) throw new ConsoleRefusal(texts.error.notFound, 404);
  return id;
}

async function clientPage(c: ConsoleContext, client: PublicClient, o: { form?: FormState; secret?: string | null } = {}, status: 200 | 400 = 200) {
  const done = c.req.query("done");
  const notice = o.form || o.secret ? null : done === "saved" ? texts.clients.saved : done === "unchanged" ? texts.clients.unchanged : null;
  const form = o.form ?? { ...emptyForm, values: clientValues(client) };
  return renderConsole(c, ClientPage({ frame: frame(c, "clients"), slug: c.get("slug"), client, form, secret: o.secret, notice }), { status });
}

const CLIENT_FIELDS = ["client_name", "redirect_uris", "post_logout_redirect_uris", "grant_types", "scope", "token_endpoint_auth_method", "backchannel_logout_uri", "backchannel_logout_session_required", "id_token_signed_response_alg", "logo_uri", "client_uri", "first_party"] as const;

/** The edit form as client metadata, as the PATCH body names it: lists one per line, an empty optional field unset. */
function clientForm(f: Record<string, string>): Record<string, unknown> {
  const opt = (k: string) => (f[k] ?? "").trim() || undefined;
  const lines = (k: string) => (f[k] ?? "").split(/\s+/).filter(Boolean);
  const bool = (k: string) => (f[k] === "true" ? true : f[k] === "false" ? false : f[k] ? f[k] : undefined);
  return {
    client_name: opt("client_name"),
    redirect_uris: lines("redirect_uris"),
    post_logout_redirect_uris: lines("post_logout_redirect_uris"),
    grant_types: GRANT_TYPES.filter((g) => f[`grant.${g}`] === "1"),
    scope: (f.scope ?? "").trim().split(/\s+/).filter(Boolean).join(" "),
    token_endpoint_auth_method: f.token_endpoint_auth_method,
    backchannel_logout_uri: opt("backchannel_logout_uri"),
    backchannel_logout_session_required: bool("backchannel_logout_session_required"),
    id_token_signed_response_alg: f.id_token_signed_response_alg,
    logo_uri: opt("logo_uri"),
    client_uri: opt("client_uri"),
    first_party: bool("first_party"),
  };
}

/** The texts to show again: what was typed (the grant checkboxes as one list). */
const clientTexts = (f: Record<string, string>): Record<string, string> => ({ ...f, grant_types: GRANT_TYPES.filter((g) => f[`grant.${g}`] === "1").join(" ") });

managePages.get("/clients/:id", async (c) => clientPage(c, unwrap(rpc<typeof showClient>(await c.get("tenant").showClient({ by: c.get("who").by, clientId: clientParam(c) })))));

managePages.post("/clients/:id", async (c) => {
  const f = await readRawForm(c);
  const id = clientParam(c);
  const by = c.get("who").by;
  const current = unwrap(rpc<typeof showClient>(await c.get("tenant").showClient({ by, clientId: id })));
  // Only what changed: the object merges it over the stored metadata and validates the whole.
  const wanted = Object.fromEntries(Object.entries(clientForm(f)).filter(([k]) => k in f || (k === "grant_types" && f.grants === "1")));
  const patch = changed(current as unknown as Record<string, unknown>, wanted);
  const back = `/admin/t/${c.get("slug")}/clients/${id}`;
  if (!Object.keys(patch).length) return c.redirect(`${back}?done=unchanged`, 303);
  const r = rpc<typeof updateClientFlow>(await c.get("tenant").updateClient({ by, clientId: id, patch, meta: meta(c) }));
  if (!r.ok) {
    const p = place(r, CLIENT_FIELDS);
    return clientPage(c, current, { form: { values: clientTexts(f), errors: p.fields, other: p.other } }, 400);
  }
  // A client made confidential gets its first secret: shown this once.
  if (r.value.client_secret) return clientPage(c, r.value, { secret: r.value.client_secret });
  return c.redirect(`${back}?done=saved`, 303);
});

managePages.post("/clients/:id/secret", async (c) => {
  await readForm(c, {});
  const id = clientParam(c);
  const by = c.get("who").by;
  const r = unwrap(await c.get("tenant").rotateClientSecret({ by, clientId: id, meta: meta(c) }));
  const client = unwrap(rpc<typeof showClient>(await c.get("tenant").showClient({ by, clientId: id })));
  return clientPage(c, client, { secret: r.client_secret });
});

managePages.post("/clients/:id/delete", async (c) => {
  await readForm(c, {});
  const id = clientParam(c);
  unwrap(await c.get("tenant").deleteClient({ by: c.get("who").by, clientId: id, meta: meta(c) }));
  return c.redirect(`/admin/t/${c.get("slug")}/clients`, 303);
});
