/// <reference types="node" />
/** @module `audit tail` and `audit verify`: a tenant's hash-chained audit log. */
import { setTimeout as sleep } from "node:timers/promises";
import type { AuditEntry, AuditPage, AuditVerify } from "../api-types.ts";
import { emit, expectFields, intOption, stringOption, type Command, type Context } from "../command.ts";
import { UsageError } from "../errors.ts";
import { seg, type Query } from "../http.ts";
import { cell, renderTable } from "../table.ts";

const FOLLOW_INTERVAL_MS = 2_000;

function entryLine(entry: AuditEntry): string {
  const parts = [cell(entry.ts), entry.type];
  if (entry.user_id) parts.push(`user=${entry.user_id}`);
  if (entry.session_id) parts.push(`session=${entry.session_id}`);
  if (entry.actor) parts.push(`actor=${entry.actor}`);
  if (entry.ip) parts.push(`ip=${entry.ip}`);
  if (entry.data !== null && entry.data !== undefined) parts.push(cell(entry.data));
  return parts.join("  ");
}

/**
 * Pages through the log, then (with --follow) asks again every 2 s. When the last page has no
 * next_cursor the same cursor is asked again, and entries already printed are skipped.
 */
async function follow(ctx: Context, path: string, query: Query): Promise<void> {
  let cursor: string | undefined;
  let seen = new Set<string>();
  for (;;) {
    const page = expectFields(
      await ctx.http.request<AuditPage>("GET", path, undefined, { query: { ...query, cursor } }),
      ["entries"],
      "GET audit",
    );
    for (const entry of page.entries) {
      const id = String(entry.id);
      if (seen.has(id)) continue;
      seen.add(id);
      ctx.out(ctx.json ? JSON.stringify(entry) : entryLine(entry));
    }
    if (page.next_cursor) {
      cursor = page.next_cursor;
      seen = new Set();
      continue;
    }
    await sleep(FOLLOW_INTERVAL_MS);
  }
}

export const auditCommands: Command[] = [
  {
    path: ["audit", "tail"],
    usage: "<tenant> [--user <id>] [--type <type>] [--since <iso>] [--limit <n>] [--follow]",
    summary: "Show a tenant's audit log; --follow keeps polling for new entries.",
    details:
      "GET /v1/admin/tenants/{tenant}/audit?user&type&since&cursor. With --follow, every page is printed as it\n" +
      "comes (one JSON object per line with --json), then the log is polled every 2 s until Ctrl-C.",
    options: {
      user: { type: "string", value: "<id>", description: "only entries about this user" },
      type: { type: "string", value: "<type>", description: "only entries of this type, e.g. login.failed" },
      since: { type: "string", value: "<iso>", description: "only entries at or after this time (ISO-8601)" },
      limit: { type: "string", value: "<n>", description: "entries per page" },
      cursor: { type: "string", value: "<c>", description: "next_cursor of a previous page" },
      follow: { type: "boolean", short: "f", description: "keep polling every 2 s" },
    },
    positionals: [1, 1],
    async run(ctx, { args: [tenant], opts }) {
      const since = stringOption(opts, "since");
      if (since !== undefined && Number.isNaN(Date.parse(since))) {
        throw new UsageError(`--since must be an ISO-8601 time, got ${JSON.stringify(since)}`, "audit tail");
      }
      const path = `/tenants/${seg(tenant)}/audit`;
      const query: Query = {
        user: stringOption(opts, "user"),
        type: stringOption(opts, "type"),
        since,
        limit: intOption(opts, "limit", 1, 1000),
      };
      if (opts.follow) return follow(ctx, path, { ...query, cursor: stringOption(opts, "cursor") });
      const page = expectFields(
        await ctx.http.request<AuditPage>("GET", path, undefined, { query: { ...query, cursor: stringOption(opts, "cursor") } }),
        ["entries"],
        "GET audit",
      );
      emit(ctx, page, () =>
        renderTable(page.entries, [
          { header: "ts", value: "ts" },
          { header: "type", value: "type" },
          { header: "user_id", value: "user_id" },
          { header: "session_id", value: "session_id", max: 24 },
          { header: "actor", value: "actor" },
          { header: "ip", value: "ip" },
          { header: "data", value: "data" },
        ]),
      );
      if (!ctx.json && page.next_cursor) ctx.err(`more entries: --cursor ${page.next_cursor}`);
    },
  },
  {
    path: ["audit", "verify"],
    usage: "<tenant>",
    summary: "Check the audit log's keyed hash chain; exits 1 if it is broken or truncated.",
    details: "GET /v1/admin/tenants/{tenant}/audit/verify → {ok, checked, broken_at?, reason?, keyed_from, purged}",
    positionals: [1, 1],
    async run(ctx, { args: [tenant] }) {
      const result = expectFields(
        await ctx.http.request<AuditVerify>("GET", `/tenants/${seg(tenant)}/audit/verify`),
        ["ok", "checked"],
        "GET audit/verify",
      );
      emit(ctx, result, () =>
        result.ok
          ? `Audit chain intact: ${result.checked} entries checked${result.purged ? `, ${result.purged} purged by retention` : ""}.`
          : `Audit chain BROKEN (${cell(result.reason)}) at entry ${cell(result.broken_at)} (${result.checked} entries checked).`,
      );
      if (!result.ok) process.exitCode = 1;
    },
  },
];
