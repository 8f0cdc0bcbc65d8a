/// <reference types="node" />
/** @module `audit tail` and `audit verify`: a tenant's hash-chained audit log. */
import { setTimeout as sleep } from "node:timers/promises";
import type { AuditEntry, AuditPage, AuditVerify } from "../api-types.ts";
import { emit, expectFields, intOption, stringOption, type Command, type Context } from "../command.ts";
import { UsageError } from "../errors.ts";
import { seg, type Query } from "../http.ts";
import { cell, renderTable } from "../table.ts";
import { USER_REF, USER_REF_HELP, resolveUserId } from "../user-ref.ts";

const FOLLOW_INTERVAL_MS = 2_000;
/** Entries `audit tail` shows without --limit. */
const DEFAULT_TAIL = 20;

function entryLine(entry: AuditEntry): string {
  const parts = [cell(entry.ts), entry.type];
  if (entry.user_id) parts.push(`user=${entry.user_id}`);
  if (entry.session_id) parts.push(`session=${entry.session_id}`);
  if (entry.actor) parts.push(`actor=${entry.actor}`);
  if (entry.ip) parts.push(`ip=${entry.ip}`);
  if (entry.data !== null && entry.data !== undefined) parts.push(cell(entry.data));
  return parts.join("  ");
}

/** The newest page first; on screen the entries read oldest to newest, like `tail`. */
async function latest(ctx: Context, path: string, query: Query, limit: number): Promise<AuditPage> {
  return expectFields(
    await ctx.http.request<AuditPage>("GET", path, undefined, { query: { ...query, limit, order: "newest" } }),
    ["entries"],
    "GET audit",
  );
}

/**
 * New entries as they come, polled every 2 s, oldest first from `cursor` (an entry id: the API
 * answers entries after it). Without `--since` it starts after the newest entry there is now.
 */
async function follow(ctx: Context, path: string, query: Query, fromNow: boolean): Promise<void> {
  let cursor: string | undefined;
  if (fromNow) {
    const [newest] = (await latest(ctx, path, query, 1)).entries;
    if (newest) cursor = String(newest.id);
  }
  for (;;) {
    const page = expectFields(
      await ctx.http.request<AuditPage>("GET", path, undefined, { query: { ...query, cursor, limit: 1000 } }),
      ["entries"],
      "GET audit",
    );
    for (const entry of page.entries) ctx.out(ctx.json ? JSON.stringify(entry) : entryLine(entry));
    const last = page.entries.at(-1);
    if (last) cursor = String(last.id);
    if (!page.next_cursor) await sleep(FOLLOW_INTERVAL_MS);
  }
}

export const auditCommands: Command[] = [
  {
    path: ["audit", "tail"],
    usage: `<tenant> [--user ${USER_REF}] [--type <type>] [--since <iso>] [--limit <n>] [--follow]`,
    summary: "Show a tenant's latest audit entries; --follow prints new ones as they come.",
    details:
      "GET /v1/admin/tenants/{tenant}/audit?order=newest&user&type&since&limit&cursor: the latest --limit entries\n" +
      "(default 20) that match, printed oldest to newest; --cursor pages further back. --json prints the API's\n" +
      "page as it is (newest first). With --follow, only entries written from now on are printed (from --since\n" +
      "on, if given), one JSON object per line with --json, polling every 2 s until Ctrl-C.\n" +
      USER_REF_HELP,
    options: {
      user: { type: "string", value: USER_REF, description: "only entries about this user" },
      type: { type: "string", value: "<type>", description: "only entries of this type, e.g. login.failure" },
      since: { type: "string", value: "<iso>", description: "only entries at or after this time (ISO-8601)" },
      limit: { type: "string", value: "<n>", description: "how many of the latest entries (default 20)" },
      cursor: { type: "string", value: "<c>", description: "next_cursor of a previous page: older entries" },
      follow: { type: "boolean", short: "f", description: "keep printing new entries, polling every 2 s" },
    },
    positionals: [1, 1],
    async run(ctx, { args: [tenant], opts }) {
      const since = stringOption(opts, "since");
      if (since !== undefined && Number.isNaN(Date.parse(since))) {
        throw new UsageError(`--since must be an ISO-8601 time, got ${JSON.stringify(since)}`, "audit tail");
      }
      const limit = intOption(opts, "limit", 1, 1000) ?? DEFAULT_TAIL;
      const cursor = stringOption(opts, "cursor");
      if (opts.follow && cursor !== undefined) throw new UsageError("--cursor pages back through older entries; it does not go with --follow", "audit tail");
      const userRef = stringOption(opts, "user");
      const path = `/tenants/${seg(tenant)}/audit`;
      const query: Query = {
        user: userRef === undefined ? undefined : await resolveUserId(ctx, tenant, userRef),
        type: stringOption(opts, "type"),
        since,
      };
      if (opts.follow) return follow(ctx, path, query, since === undefined);
      const page = await latest(ctx, path, { ...query, cursor }, limit);
      emit(ctx, page, () =>
        renderTable([...page.entries].reverse(), [
          { header: "ts", value: "ts" },
          { header: "type", value: "type" },
          { header: "user_id", value: "user_id" },
          { header: "session_id", value: "session_id", max: 24 },
          { header: "actor", value: "actor" },
          { header: "ip", value: "ip" },
          { header: "data", value: "data" },
        ]),
      );
      if (!ctx.json && page.next_cursor) ctx.err(`older entries: --cursor ${page.next_cursor}`);
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
