/**
 * @module The audit log for operators: filtered pages, and a walk of the keyed hash chain that
 * finds the first row edited, inserted or deleted after it was written, the newest rows cut
 * off, and retention purges told apart from both (see ../audit.ts).
 */
import { ok, type Result } from "../../../src/errors.ts";
import { queryAudit, verifyAudit, type AuditEntry, type AuditVerification } from "../audit.ts";
import { beginAs, type Operator } from "../operator.ts";
import type { Runtime } from "../runtime.ts";

export interface AuditQueryInput {
  by: Operator;
  user?: string;
  type?: string;
  /** Milliseconds since the epoch: entries at or after it. */
  since?: number;
  /** The `next_cursor` of the previous page (an entry id). */
  cursor?: number;
  limit: number;
  /** Newest first (the console); the API pages oldest first. */
  newest?: boolean;
}

export async function auditQuery(rt: Runtime, i: AuditQueryInput): Promise<Result<{ entries: AuditEntry[]; next_cursor: string | null }>> {
  const b = await beginAs(rt, i.by);
  if (!b.ok) return b;
  return ok(queryAudit(b.value.ctx.sql, { user: i.user, type: i.type, since: i.since, cursor: i.cursor, limit: i.limit, newest: i.newest }));
}

/** Reads every retained row once (synchronously): an operator check, not something to poll. */
export async function auditVerify(rt: Runtime, i: { by: Operator }): Promise<Result<AuditVerification>> {
  const b = await beginAs(rt, i.by);
  if (!b.ok) return b;
  return ok(verifyAudit(b.value.ctx.sql, b.value.ctx.auditKeys));
}
