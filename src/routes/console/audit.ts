/**
 * @module A tenant's audit log in the console: the admin API's query (user, type, since,
 * newest first, a cursor for older pages) and, on request, the hash-chain check.
 */
import { Hono } from "hono";
import { z } from "zod";
import { unwrap } from "../../errors.ts";
import { AuditPage } from "../../pages/console/audit.tsx";
import { renderConsole } from "../../pages/console/render.ts";
import { frame, rpc, type ConsoleEnv } from "./auth.ts";
import type { auditQuery } from "../../../objects/tenant/flows/audit.ts";

export const auditPages = new Hono<ConsoleEnv>();

const query = z.strictObject({
  user: z.string().max(64).optional(),
  type: z.string().max(64).optional(),
  since: z.string().max(40).optional(),
  cursor: z.string().regex(/^\d{1,15}$/).optional(),
  verify: z.literal("1").optional(),
});

auditPages.get("/audit", async (c) => {
  const parsed = query.safeParse(c.req.query());
  const q = parsed.success ? parsed.data : {};
  const filters = { user: q.user?.trim() ?? "", type: q.type?.trim() ?? "", since: q.since?.trim() ?? "" };
  const since = filters.since ? Date.parse(filters.since) : undefined;
  const error = !parsed.success || (since !== undefined && Number.isNaN(since)) ? "Invalid filter: `since` is an ISO time such as 2026-01-31T00:00:00Z." : null;
  const by = c.get("who").by;
  const tenant = c.get("tenant");
  const [page, chain] = await Promise.all([
    tenant.auditQuery({ by, user: filters.user || undefined, type: filters.type || undefined, since: error ? undefined : since, cursor: q.cursor === undefined ? undefined : Number(q.cursor), limit: 50, newest: true }),
    q.verify ? tenant.auditVerify({ by }) : null,
  ]);
  const r = unwrap(rpc<typeof auditQuery>(page));
  return renderConsole(c, AuditPage({ frame: frame(c, "audit"), slug: c.get("slug"), filters, entries: r.entries, next: r.next_cursor, chain: chain ? unwrap(chain) : null, error }), { status: error ? 400 : 200 });
});
