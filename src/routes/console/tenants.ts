/**
 * @module The operator's tenant pages: the list (live counts from each object), create, a
 * tenant's overview (live stats and the last 24 hours' charts), the settings editor (preview
 * with zod's issues and the merged result, then save) and delete. The same object RPCs as
 * routes/admin/tenants.ts, so the same validation and the same audit entries.
 */
import { Hono } from "hono";
import { z } from "zod";
import { unwrap, type Result } from "../../errors.ts";
import { createTenantBody, SLUG_RE } from "../../../schema/requests.ts";
import { zodDetails } from "../../http/body.ts";
import { renderConsole } from "../../pages/console/render.ts";
import { TenantsPage, type TenantRow } from "../../pages/console/tenants.tsx";
import { OverviewPage } from "../../pages/console/overview.tsx";
import { SettingsPage } from "../../pages/console/settings.tsx";
import { texts } from "../../pages/console/texts.ts";
import { ConsoleRefusal, frame, operatorOnly, readForm, readRawForm, type ConsoleContext, type ConsoleEnv } from "./auth.ts";
import { errorsByField, flatten, preview, readEdit } from "./settings-form.ts";

const PAGE = 25;

export const tenantsPage = new Hono<ConsoleEnv>();

async function listTenants(c: ConsoleContext, cursor: string): Promise<{ tenants: TenantRow[]; next: string | null }> {
  const rows = await c.env.DB.prepare("SELECT slug, name, status FROM tenants WHERE slug > ? ORDER BY slug LIMIT ?").bind(cursor, PAGE + 1).all<{ slug: string; name: string; status: string }>();
  const page = rows.results.slice(0, PAGE);
  // Live counts from each tenant's object (D1 holds the watchdog's copy, which lags).
  const tenants = await Promise.all(
    page.map(async (t): Promise<TenantRow> => {
      if (t.status !== "active") return { ...t, users: null, sessions: null };
      const live = await c.env.TENANT.getByName(t.slug).getTenant().catch(() => null);
      return live?.ok ? { ...t, users: live.value.stats.users, sessions: live.value.stats.active_sessions } : { ...t, users: null, sessions: null };
    }),
  );
  return { tenants, next: rows.results.length > PAGE ? page[page.length - 1].slug : null };
}

const notice = (c: ConsoleContext): string | null => {
  const created = c.req.query("created");
  const deleted = c.req.query("deleted");
  return created ? texts.tenants.created(created) : deleted ? texts.tenants.deleted(deleted) : null;
};

tenantsPage.get("/tenants", async (c) => {
  operatorOnly(c);
  const cursor = c.req.query("cursor") ?? "";
  const list = await listTenants(c, SLUG_RE.test(cursor) ? cursor : "");
  return renderConsole(c, TenantsPage({ frame: frame(c), ...list, notice: notice(c) }));
});

tenantsPage.post("/tenants", async (c) => {
  operatorOnly(c);
  const f = await readForm(c, { slug: z.string().max(200), name: z.string().max(400) });
  const parsed = createTenantBody.safeParse({ slug: f.slug.trim(), name: f.name.trim() });
  const fail = async (errors: Record<string, string>, error: string | null = null) =>
    renderConsole(c, TenantsPage({ frame: frame(c), ...(await listTenants(c, "")), errors, error, form: f }), { status: 400 });
  if (!parsed.success) return fail(Object.fromEntries(zodDetails(parsed.error.issues).map((d) => [d.path, d.message])));
  const r = (await c.env.TENANT.getByName(parsed.data.slug).createTenant({ slug: parsed.data.slug, name: parsed.data.name })) as Result<unknown>;
  if (!r.ok) return fail(r.error.code === "conflict" ? { slug: r.error.message ?? "conflict" } : {}, r.error.code === "conflict" ? null : (r.error.message ?? r.error.code));
  return c.redirect(`/admin/tenants?created=${encodeURIComponent(parsed.data.slug)}`, 303);
});

export const tenantPages = new Hono<ConsoleEnv>();

tenantPages.get("/", async (c) => {
  if (c.get("who").kind !== "admin") return c.redirect(`/admin/t/${c.get("slug")}/users`, 303);
  const t = unwrap(await c.get("tenant").getTenant());
  const charts = unwrap(await c.get("tenant").hourlyCounts({ by: c.get("who").by }));
  return renderConsole(c, OverviewPage({ frame: frame(c, "overview"), tenant: t, charts }));
});

tenantPages.post("/delete", async (c) => {
  operatorOnly(c);
  const f = await readForm(c, { confirm: z.string().max(100) });
  const slug = c.get("slug");
  if (f.confirm.trim() !== slug) throw new ConsoleRefusal(texts.overview.mismatch, 400);
  const r = unwrap(await c.get("tenant").deleteTenant());
  return c.redirect(`/admin/tenants?deleted=${encodeURIComponent(r.slug)}`, 303);
});

async function settingsPage(c: ConsoleContext, o: { form?: Record<string, string>; notice?: string } = {}): Promise<Response> {
  const t = unwrap(await c.get("tenant").getTenant());
  const leaves = flatten(t.settings as unknown as Record<string, unknown>);
  const base = { frame: frame(c, "settings"), slug: c.get("slug"), leaves };
  if (!o.form) return renderConsole(c, SettingsPage({ ...base, name: t.name, texts: {}, errors: {}, other: [], merged: null, notice: o.notice }));
  const edit = readEdit(leaves, o.form);
  const name = (o.form.name ?? t.name).trim();
  const p = preview(t.settings as unknown as Record<string, unknown>, edit.patch, c.env.JWT_EXPIRATION_MINUTES);
  for (const path of edit.unreadable) p.errors[path] = texts.settings.notJson;
  if (name.length < 1 || name.length > 200) p.errors.name = "1 to 200 characters";
  const shown = errorsByField(leaves, p.errors);
  const page = (errors: Record<string, string>, other: [string, string][], notice: string | null = null, status: 200 | 400 = 200) =>
    renderConsole(c, SettingsPage({ ...base, name, texts: edit.texts, errors, other, merged: p.merged, notice }), { status });
  const invalid = Object.keys(p.errors).length > 0;
  if (o.form.intent !== "save" || invalid) return page(shown.fields, shown.other, null, invalid ? 400 : 200);
  // The object merges and validates again (and checks a new webhook URL's destination).
  const r = (await c.get("tenant").updateTenant({ name, settings: edit.patch })) as Result<unknown>;
  if (!r.ok) {
    const details = ((r.error.details ?? []) as { path: string; message: string }[]).map((d) => [d.path.replace(/^settings\./, ""), d.message] as const);
    const again = errorsByField(leaves, Object.fromEntries(details));
    return page(again.fields, details.length ? again.other : [["", r.error.message ?? r.error.code]], null, 400);
  }
  return c.redirect(`/admin/t/${c.get("slug")}/settings?saved=1`, 303);
}

tenantPages.get("/settings", (c) => {
  operatorOnly(c);
  return settingsPage(c, { notice: c.req.query("saved") ? texts.settings.saved : undefined });
});

tenantPages.post("/settings", async (c) => {
  operatorOnly(c);
  return settingsPage(c, { form: await readRawForm(c) });
});
