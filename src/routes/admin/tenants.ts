/**
 * @module Operator API for tenants: create, list (from D1), show with live stats (from the
 * object), update settings, soft delete; API keys and signing-key rotation.
 */
import { Hono } from "hono";
import { AuthError, unwrap } from "../../errors.ts";
import { iso } from "../../clock.ts";
import { createApiKeyBody, createTenantBody, listQuery, patchTenantBody } from "../../../schema/requests.ts";
import type { AppEnv } from "../../app-env.ts";
import { readBody, readQuery } from "../../http/body.ts";
import { answer, noContent, noStore } from "../../http/helpers.ts";
import { tenant } from "../../middleware/tenant.ts";

export const tenantAdminRoutes = new Hono<AppEnv>();

tenantAdminRoutes.post("/tenants", async (c) => {
  const b = await readBody(c, createTenantBody);
  return answer(c, c.env.TENANT.getByName(b.slug).createTenant({ slug: b.slug, name: b.name, settings: b.settings }), 201);
});

tenantAdminRoutes.get("/tenants", async (c) => {
  const q = readQuery(c, listQuery);
  const limit = q.limit ?? 50;
  const rows = await c.env.DB.prepare(
    "SELECT slug, name, status, created_at, updated_at, deleted_at, user_count, session_count FROM tenants WHERE slug > ? ORDER BY slug LIMIT ?",
  )
    .bind(q.cursor ?? "", limit + 1)
    .all<{ slug: string; name: string; status: string; created_at: number; updated_at: number; deleted_at: number | null; user_count: number; session_count: number }>();
  const page = rows.results.slice(0, limit);
  return noStore(c, {
    tenants: page.map((t) => ({ ...t, created_at: iso(t.created_at), updated_at: iso(t.updated_at), deleted_at: iso(t.deleted_at) })),
    next_cursor: rows.results.length > limit ? page[page.length - 1].slug : null,
  });
});

/** Sub-router for one tenant: validates the slug before any object is addressed. */
export const oneTenant = new Hono<AppEnv>();
oneTenant.use("*", tenant("slug"));

oneTenant.get("/", (c) => answer(c, c.get("tenant").getTenant()));
oneTenant.patch("/", async (c) => {
  const b = await readBody(c, patchTenantBody);
  return answer(c, c.get("tenant").updateTenant(b));
});
oneTenant.delete("/", (c) => answer(c, c.get("tenant").deleteTenant()));

oneTenant.post("/api-keys", async (c) => {
  const b = await readBody(c, createApiKeyBody);
  return answer(c, c.get("tenant").createApiKey(b), 201);
});
oneTenant.get("/api-keys", (c) => answer(c, c.get("tenant").listApiKeys()));
oneTenant.delete("/api-keys/:id", async (c) => {
  const id = c.req.param("id");
  if (!/^[0-9a-f]{16}$/.test(id)) throw new AuthError("not_found", "No such API key.");
  unwrap(await c.get("tenant").revokeApiKey({ id }));
  return noContent(c);
});

oneTenant.post("/signing-keys/rotate", (c) => answer(c, c.get("tenant").rotateSigningKey(), 201));

tenantAdminRoutes.route("/tenants/:slug", oneTenant);
