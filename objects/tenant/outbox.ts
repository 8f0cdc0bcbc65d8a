/**
 * @module The outbox: everything that must leave the object (D1 index rows, Analytics Engine
 * points, webhooks) is written here in the same transaction as the change, then delivered
 * after the commit and retried by the alarm with exponential backoff until it succeeds.
 * Deliveries are idempotent (D1 upserts guarded by `updated_at`), so at-least-once is safe.
 */
import { webhookHeaders } from "../../src/crypto/webhook-signature.ts";
import { due, type TenantCtx } from "./context.ts";
import type { BackchannelPayload } from "./oauth/backchannel.ts";
import { all, one } from "./sql.ts";

/** `backchannel`: an OIDC back-channel logout, sent by its own drain (oauth/backchannel.ts). */
export type OutboxKind = "d1" | "analytics" | "webhook" | "backchannel";

export interface D1Statement {
  sql: string;
  params: (string | number | null)[];
}

export interface WebhookDelivery {
  url: string;
  secret: string;
  body: string;
}

/** Outside services, behind an interface so tests can fail and recover them. */
export interface Delivery {
  d1(statements: D1Statement[]): Promise<void>;
  analytics(point: AnalyticsEngineDataPoint): void;
  webhook(w: WebhookDelivery): Promise<void>;
}

export function enqueue(ctx: TenantCtx, kind: "d1", payload: D1Statement[]): void;
export function enqueue(ctx: TenantCtx, kind: "analytics", payload: AnalyticsEngineDataPoint): void;
export function enqueue(ctx: TenantCtx, kind: "webhook", payload: WebhookDelivery): void;
export function enqueue(ctx: TenantCtx, kind: "backchannel", payload: BackchannelPayload): void;
export function enqueue(ctx: TenantCtx, kind: OutboxKind, payload: unknown): void {
  const { id } = one<{ id: number }>(
    ctx.sql,
    "INSERT INTO outbox (kind, payload, created_at, next_attempt_at) VALUES (?, ?, ?, ?) RETURNING id",
    kind,
    JSON.stringify(payload),
    ctx.now,
    ctx.now,
  )!;
  ctx.effects.outbox.push({ id, kind, payload });
  due(ctx, ctx.now + RETRY_BASE_MS);
}

/** Deletes delivered rows: one statement for the whole list, which costs less than the rows it deletes. */
export function deleteDelivered(sql: SqlStorage, ids: number[]): void {
  if (ids.length) sql.exec("DELETE FROM outbox WHERE id IN (SELECT value FROM json_each(?))", JSON.stringify(ids));
}

export const RETRY_BASE_MS = 5_000;
const RETRY_MAX_MS = 15 * 60_000;
/** Analytics Engine accepts a bounded number of points per invocation (SPEC: 25). */
const ANALYTICS_PER_RUN = 25;
const BATCH = 200;

export const backoff = (attempts: number): number => Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, attempts - 1));

interface OutboxRow {
  id: number;
  kind: OutboxKind;
  payload: string;
  attempts: number;
}

/**
 * Delivers what is due. Reads the batch, awaits delivery outside any transaction, then
 * deletes what went out and reschedules what failed. Returns how many are still pending.
 */
export async function drainOutbox(sql: SqlStorage, deliver: Delivery, now: number): Promise<{ delivered: number; failed: number }> {
  const rows = all<OutboxRow>(sql, "SELECT id, kind, payload, attempts FROM outbox WHERE next_attempt_at <= ? AND kind != 'backchannel' ORDER BY id LIMIT ?", now, BATCH);
  const done: number[] = [];
  const failed: { id: number; attempts: number; error: string }[] = [];

  const d1Rows = rows.filter((r) => r.kind === "d1");
  if (d1Rows.length) {
    try {
      await deliver.d1(d1Rows.flatMap((r) => JSON.parse(r.payload) as D1Statement[]));
      done.push(...d1Rows.map((r) => r.id));
    } catch (e) {
      failed.push(...d1Rows.map((r) => ({ id: r.id, attempts: r.attempts, error: String(e).slice(0, 200) })));
    }
  }

  let points = 0;
  for (const r of rows.filter((r) => r.kind === "analytics")) {
    if (points++ >= ANALYTICS_PER_RUN) break;
    try {
      deliver.analytics(JSON.parse(r.payload));
      done.push(r.id);
    } catch (e) {
      failed.push({ id: r.id, attempts: r.attempts, error: String(e).slice(0, 200) });
    }
  }

  await Promise.all(
    rows
      .filter((r) => r.kind === "webhook")
      .map(async (r) => {
        try {
          await deliver.webhook(JSON.parse(r.payload));
          done.push(r.id);
        } catch (e) {
          failed.push({ id: r.id, attempts: r.attempts, error: String(e).slice(0, 200) });
        }
      }),
  );

  deleteDelivered(sql, done);
  for (const f of failed) {
    sql.exec("UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?", f.attempts + 1, now + backoff(f.attempts + 1), f.error, f.id);
  }
  return { delivered: done.length, failed: failed.length };
}

export function outboxStats(sql: SqlStorage, now: number): { depth: number; oldest_age_s: number | null } {
  const r = all<{ n: number; oldest: number | null }>(sql, "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox")[0];
  return { depth: r.n, oldest_age_s: r.oldest === null ? null : Math.max(0, Math.round((now - r.oldest) / 1000)) };
}

/** The real outside services. `fetch` is looked up per call, so a test's mock of the global applies to live objects too. */
export function liveDelivery(env: { DB: D1Database; AUDIT?: AnalyticsEngineDataset }, fetcher: typeof fetch = (input, init) => fetch(input, init)): Delivery {
  return {
    async d1(statements) {
      await env.DB.batch(statements.map((s) => env.DB.prepare(s.sql).bind(...s.params)));
    },
    analytics(point) {
      env.AUDIT?.writeDataPoint(point);
    },
    async webhook(w) {
      const headers = webhookHeaders(w.secret, w.body, Math.floor(Date.now() / 1000));
      const res = await fetcher(w.url, { method: "POST", body: w.body, headers: { "content-type": "application/json", ...headers } });
      if (!res.ok) throw new Error(`webhook answered ${res.status}`);
    },
  };
}
