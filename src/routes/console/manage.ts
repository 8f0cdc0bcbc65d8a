/**
 * @module A tenant's keys, roles and OAuth clients in the console. API keys and signing keys
 * are the operator's only (as in the admin API, where manage keys cannot reach them); roles
 * and clients are open to a manage key, as `/v1/{tenant}/admin/...` is. Each change is the
 * admin API's RPC; a refused one comes back on the same page with the object's message.
 */
import { Hono } from "hono";
import { z } from "zod";
import { unwrap, type Result } from "../../errors.ts";
import { meta } from "../../http/helpers.ts";
import { createApiKeyBody, createRoleBody, ROLE_RE } from "../../../schema/requests.ts";
import type { listClients } from "../../../objects/tenant/flows/clients.ts";
import { CLIENT_ID_RE } from "../../../objects/tenant/clients.ts";
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

managePages.post("/clients/:id/secret", async (c) => {
  await readForm(c, {});
  const id = c.req.param("id");
  if (!CLIENT_ID_RE.test(id)) throw new ConsoleRefusal(texts.error.notFound, 404);
  const r = unwrap(await c.get("tenant").rotateClientSecret({ by: c.get("who").by, clientId: id, meta: meta(c) }));
  return clientsPage(c, { secret: { id: r.client_id, value: r.client_secret } });
});

managePages.post("/clients/:id/delete", async (c) => {
  await readForm(c, {});
  const id = c.req.param("id");
  if (!CLIENT_ID_RE.test(id)) throw new ConsoleRefusal(texts.error.notFound, 404);
  unwrap(await c.get("tenant").deleteClient({ by: c.get("who").by, clientId: id, meta: meta(c) }));
  return c.redirect(`/admin/t/${c.get("slug")}/clients`, 303);
});
