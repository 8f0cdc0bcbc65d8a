/** @module `tenants list|create|show|settings|delete` over `/v1/admin/tenants`. */
import type { Tenant, TenantDeleted, TenantList, TenantStats } from "../api-types.ts";
import { emit, expectFields, intOption, jsonObjectArg, stringOption, type Command, type Context } from "../command.ts";
import { UsageError } from "../errors.ts";
import { seg } from "../http.ts";
import { bytes, cell, renderFields, renderJsonBlock, renderTable } from "../table.ts";

/**
 * The tenant with `settings.delivery.webhook_secret` shown only as whether it is set. The
 * server already masks it; the CLI does too, so no version of either prints a secret.
 */
export function maskSecrets<T extends { settings?: unknown }>(tenant: T): T {
  const settings = tenant.settings as { delivery?: { webhook_secret?: unknown } } | undefined;
  const secret = settings?.delivery?.webhook_secret;
  if (secret === undefined || secret === null || secret === "set") return tenant;
  return { ...tenant, settings: { ...settings, delivery: { ...settings!.delivery, webhook_secret: "set" } } };
}
/** Create and PATCH answer the tenant; GET adds its live stats. */
type Shown = Tenant & { stats?: TenantStats };

function tenantFields(tenant: Tenant): Record<string, unknown> {
  return {
    slug: tenant.slug,
    name: tenant.name,
    status: tenant.status,
    created_at: tenant.created_at,
    updated_at: tenant.updated_at,
  };
}

function renderTenant(tenant: Shown): string {
  const parts = [renderFields(tenantFields(tenant))];
  const stats = tenant.stats;
  if (stats) {
    parts.push(
      "",
      "stats:",
      renderFields({
        users: stats.users,
        active_sessions: stats.active_sessions,
        storage: bytes(stats.storage_bytes),
        schema_version: stats.schema_version,
        next_alarm_at: stats.next_alarm_at,
        outbox: stats.outbox
          ? `${cell(stats.outbox.depth)} pending, oldest ${stats.outbox.oldest_age_s == null ? "-" : `${stats.outbox.oldest_age_s} s`}`
          : undefined,
        event_seq: stats.event_seq,
        subscribers: stats.subscribers
          ? `${cell(stats.subscribers.service)} service, ${cell(stats.subscribers.user)} user`
          : undefined,
      }).replace(/^/gm, "  "),
    );
  }
  if (tenant.settings) parts.push("", renderJsonBlock("settings", tenant.settings));
  return parts.join("\n");
}

async function listTenants(ctx: Context, limit: number | undefined, cursor: string | undefined, all: boolean) {
  const get = async (after: string | undefined) =>
    expectFields(
      await ctx.http.request<TenantList>("GET", "/tenants", undefined, { query: { limit, cursor: after } }),
      ["tenants", "next_cursor"],
      "GET tenants",
    );
  const first = await get(cursor);
  if (!all) return first;
  const tenants = [...first.tenants];
  let next = first.next_cursor;
  while (next) {
    const page = await get(next);
    tenants.push(...page.tenants);
    next = page.next_cursor;
  }
  return { tenants, next_cursor: null };
}

export const tenantCommands: Command[] = [
  {
    path: ["tenants", "list"],
    usage: "[--limit <n>] [--cursor <c>] [--all]",
    summary: "List tenants (from the D1 index).",
    details: "GET /v1/admin/tenants. With --all, follows next_cursor to the end.",
    options: {
      limit: { type: "string", value: "<n>", description: "tenants per page" },
      cursor: { type: "string", value: "<c>", description: "start after this cursor (next_cursor of a previous page)" },
      all: { type: "boolean", description: "fetch every page" },
    },
    positionals: [0, 0],
    async run(ctx, { opts }) {
      const result = await listTenants(ctx, intOption(opts, "limit", 1, 1000), stringOption(opts, "cursor"), opts.all === true);
      emit(ctx, result, () =>
        renderTable(result.tenants, [
          { header: "slug", value: "slug" },
          { header: "name", value: "name", max: 40 },
          { header: "status", value: "status" },
          { header: "users", value: "user_count" },
          { header: "sessions", value: "session_count" },
          { header: "created_at", value: "created_at" },
        ]),
      );
      if (!ctx.json && result.next_cursor) ctx.err(`more tenants: --cursor ${result.next_cursor} (or --all)`);
    },
  },
  {
    path: ["tenants", "create"],
    usage: "<slug> --name <name> [--settings <json>]",
    summary: "Create a tenant.",
    details:
      "POST /v1/admin/tenants {slug, name, settings?}. The slug matches ^[a-z0-9][a-z0-9-]{1,62}$ and never changes.",
    options: {
      name: { type: "string", value: "<name>", description: "display name (required)" },
      settings: { type: "string", value: "<json>", description: "initial settings, a JSON object" },
    },
    positionals: [1, 1],
    async run(ctx, { args: [slug], opts }) {
      const name = stringOption(opts, "name");
      if (!name) throw new UsageError("--name is required", "tenants create");
      const settingsText = stringOption(opts, "settings");
      const body = {
        slug,
        name,
        ...(settingsText === undefined ? {} : { settings: jsonObjectArg(settingsText, "--settings") }),
      };
      const tenant = expectFields(await ctx.http.request<Tenant>("POST", "/tenants", body), ["slug"], "POST tenants");
      const shown = maskSecrets(tenant);
      emit(ctx, shown, () => `Created tenant ${shown.slug}.\n\n${renderTenant(shown)}`);
    },
  },
  {
    path: ["tenants", "show"],
    usage: "<slug>",
    summary: "Show a tenant's settings and live stats.",
    details: "GET /v1/admin/tenants/{slug}: stats come from the tenant object itself.",
    positionals: [1, 1],
    async run(ctx, { args: [slug] }) {
      const tenant = expectFields(
        await ctx.http.request<Shown>("GET", `/tenants/${seg(slug)}`),
        ["slug"],
        "GET tenants/{slug}",
      );
      const shown = maskSecrets(tenant);
      emit(ctx, shown, () => renderTenant(shown));
    },
  },
  {
    path: ["tenants", "settings"],
    usage: "<slug> [<json-patch>] [--name <name>]",
    summary: "Change a tenant's settings (deep-merged) and/or name.",
    details:
      "PATCH /v1/admin/tenants/{slug} {settings?, name?}. The patch names only what changes, e.g.\n" +
      `  npx warden tenants settings acme '{"password":{"min_length":14}}'`,
    options: { name: { type: "string", value: "<name>", description: "new display name" } },
    positionals: [1, 2],
    async run(ctx, { args: [slug, patch], opts }) {
      const name = stringOption(opts, "name");
      if (patch === undefined && name === undefined) {
        throw new UsageError("nothing to change: give a JSON settings patch and/or --name", "tenants settings");
      }
      const body = {
        ...(patch === undefined ? {} : { settings: jsonObjectArg(patch, "the settings patch") }),
        ...(name === undefined ? {} : { name }),
      };
      const tenant = expectFields(
        await ctx.http.request<Tenant>("PATCH", `/tenants/${seg(slug)}`, body),
        ["slug"],
        "PATCH tenants/{slug}",
      );
      const shown = maskSecrets(tenant);
      emit(ctx, shown, () => `Updated tenant ${shown.slug}.\n\n${renderTenant(shown)}`);
    },
  },
  {
    path: ["tenants", "delete"],
    usage: "<slug>",
    summary: "Soft-delete a tenant; its data is purged after the grace period.",
    details: "DELETE /v1/admin/tenants/{slug}.",
    positionals: [1, 1],
    async run(ctx, { args: [slug] }) {
      const result = expectFields(
        await ctx.http.request<TenantDeleted>("DELETE", `/tenants/${seg(slug)}`),
        ["slug"],
        "DELETE tenants/{slug}",
      );
      emit(ctx, result, () => `Deleted tenant ${result.slug}; everything is purged at ${cell(result.purge_at)}.`);
    },
  },
];
