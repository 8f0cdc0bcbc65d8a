/**
 * @module The outbox: everything that must leave the object (D1 index rows, Analytics Engine
 * points, webhooks) is written here in the same transaction as the change (webhook messages
 * right after it, once sealed), then delivered after the commit and retried by the alarm with
 * exponential backoff until it succeeds. Deliveries are idempotent (D1 upserts guarded by
 * `updated_at`), so at-least-once is safe.
 *
 * Every delivery has a deadline, and no destination waits for another: the drain awaits only
 * the D1 batch (bounded by D1_TIMEOUT_MS) and the Analytics Engine points; each webhook row
 * is leased (its next attempt moved past its deadline, its attempt counted) and then sent on
 * its own, recording its own outcome when it settles. A receiver that hangs costs one failed
 * attempt after WEBHOOK_TIMEOUT_MS and is retried with backoff; if the object goes away
 * meanwhile, the lease runs out and the alarm sends the row again.
 */
import { clock } from "../../src/clock.ts";
import { b64url, utf8 } from "../../src/crypto/bytes.ts";
import { randomBytes } from "../../src/crypto/random.ts";
import type { Sealer } from "../../src/crypto/seal.ts";
import { webhookHeaders } from "../../src/crypto/webhook-signature.ts";
import { outboundFetch, withDeadline, type OutboundEnv } from "../../src/http/outbound.ts";
import { due, type TenantCtx } from "./context.ts";
import type { BackchannelPayload } from "./oauth/backchannel.ts";
import { all, one } from "./sql.ts";
/** `backchannel`: an OIDC back-channel logout, sent by its own drain (oauth/backchannel.ts). */
export type OutboxKind = "d1" | "analytics" | "webhook" | "backchannel";

export interface D1Statement {
  sql: string;
  params: (string | number | null)[];
}

/** A webhook as it goes out: the body opened, addressed and signed with the current settings. */
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
/**
 * A webhook body carries a one-time token: it is sealed (synchronously, `Sealer.sealSync`)
 * and written in the same transaction as the change that made the token, so the token never
 * reaches storage in clear and the message is never lost between two commits. The URL and
 * secret are the tenant's at send time.
 */
export function enqueue(ctx: TenantCtx, kind: "webhook", body: string): void;
export function enqueue(ctx: TenantCtx, kind: "backchannel", payload: BackchannelPayload): void;
export function enqueue(ctx: TenantCtx, kind: OutboxKind, payload: unknown): void {
  if (kind === "webhook") payload = sealMessage(ctx.sealer(), ctx.slug, payload as string);
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

/** Writes sealed webhook rows (see `enqueue`); due at once. */
/** A webhook row's payload: the body sealed (purpose `outbox-message`, row `outbox:{ref}`). */
export interface SealedMessage {
  ref: string;
  sealed: string;
}

/** Seals a webhook body under its own random row reference (128 bits). */
export function sealMessage(sealer: Sealer, slug: string, body: string): SealedMessage {
  const ref = b64url(randomBytes(16));
  return { ref, sealed: sealer.sealSync(utf8(body), "outbox-message", slug, `outbox:${ref}`) };
}

/** The body of a webhook row. A row queued before messages were sealed carries it in clear. */
export async function openMessage(sealer: Sealer, slug: string, payload: string): Promise<string> {
  const p = JSON.parse(payload) as Partial<SealedMessage> & { body?: string };
  if (!p.sealed) return p.body!;
  return new TextDecoder().decode(await sealer.open(p.sealed, "outbox-message", slug, `outbox:${p.ref}`));
}

export const RETRY_BASE_MS = 5_000;
/** A webhook receiver has this long to answer; then the attempt counts as failed. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** A D1 batch that takes longer counts as failed (it may still land: the upserts are idempotent). */
export const D1_TIMEOUT_MS = 15_000;
const RETRY_MAX_MS = 15 * 60_000;
/** Analytics Engine accepts a bounded number of points per invocation (25). */
const ANALYTICS_PER_RUN = 25;
const BATCH = 200;

export const backoff = (attempts: number): number => Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, attempts - 1));

interface OutboxRow {
  id: number;
  kind: OutboxKind;
  payload: string;
  attempts: number;
}

/** What the drain needs from the object. */
export interface DrainSource {
  sql: SqlStorage;
  deliver: Delivery;
  now: number;
  /** Opens a webhook row's payload and addresses it with the current settings; null drops the row (no webhook configured). */
  openWebhook(payload: string): Promise<WebhookDelivery | null>;
  /** Told of every webhook attempt started; each settles on its own and records its outcome. */
  started(attempt: Promise<void>): void;
}

/**
 * Delivers what is due. Webhooks are leased and started first, not awaited; then the D1
 * batch is awaited (with its deadline) and the points written, and their outcomes recorded.
 * Returns the D1 and Analytics Engine outcomes.
 */
export async function drainOutbox(src: DrainSource): Promise<{ delivered: number; failed: number; started: number }> {
  const { sql, deliver, now } = src;
  const rows = all<OutboxRow>(sql, "SELECT id, kind, payload, attempts FROM outbox WHERE next_attempt_at <= ? AND kind != 'backchannel' ORDER BY id LIMIT ?", now, BATCH);
  const done: number[] = [];
  const failed: { id: number; attempts: number; error: string }[] = [];

  const webhooks = rows.filter((r) => r.kind === "webhook");
  for (const r of webhooks) {
    // The lease: another drain (or the alarm) leaves the row alone until the attempt is over,
    // and if this object dies mid-attempt the row is due again once it runs out.
    sql.exec("UPDATE outbox SET attempts = ?, next_attempt_at = ? WHERE id = ?", r.attempts + 1, now + WEBHOOK_TIMEOUT_MS + backoff(r.attempts + 1), r.id);
    src.started(attemptWebhook(src, r));
  }

  const d1Rows = rows.filter((r) => r.kind === "d1");
  if (d1Rows.length) {
    try {
      await withDeadline(deliver.d1(d1Rows.flatMap((r) => JSON.parse(r.payload) as D1Statement[])), D1_TIMEOUT_MS);
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

  deleteDelivered(sql, done);
  for (const f of failed) {
    sql.exec("UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?", f.attempts + 1, now + backoff(f.attempts + 1), f.error, f.id);
  }
  return { delivered: done.length, failed: failed.length, started: webhooks.length };
}

/** One leased webhook row: sent, then deleted, or rescheduled from the moment it failed. */
async function attemptWebhook(src: DrainSource, r: OutboxRow): Promise<void> {
  let error: string;
  try {
    const w = await src.openWebhook(r.payload);
    if (w === null) {
      console.warn(JSON.stringify({ level: "warn", msg: "webhook message dropped: the tenant has no delivery.webhook_url and webhook_secret", outbox_id: r.id }));
      deleteDelivered(src.sql, [r.id]);
      return;
    }
    await src.deliver.webhook(w);
    deleteDelivered(src.sql, [r.id]);
    return;
  } catch (e) {
    error = String(e).slice(0, 200);
  }
  src.sql.exec("UPDATE outbox SET next_attempt_at = ?, last_error = ? WHERE id = ?", clock.now() + backoff(r.attempts + 1), error, r.id);
}

export function outboxStats(sql: SqlStorage, now: number): { depth: number; oldest_age_s: number | null } {
  const r = all<{ n: number; oldest: number | null }>(sql, "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox")[0];
  return { depth: r.n, oldest_age_s: r.oldest === null ? null : Math.max(0, Math.round((now - r.oldest) / 1000)) };
}

/**
 * The real outside services. Webhooks go through the outbound module (destination checked
 * again before each attempt, no redirects, a deadline); `fetch` is looked up per call, so a
 * test's mock of the global applies to live objects too.
 */
export function liveDelivery(env: OutboundEnv & { DB: D1Database; AUDIT?: AnalyticsEngineDataset }, o: { webhookTimeoutMs?: number } = {}): Delivery {
  const timeoutMs = o.webhookTimeoutMs ?? WEBHOOK_TIMEOUT_MS;
  return {
    async d1(statements) {
      await env.DB.batch(statements.map((s) => env.DB.prepare(s.sql).bind(...s.params)));
    },
    analytics(point) {
      env.AUDIT?.writeDataPoint(point);
    },
    async webhook(w) {
      const headers = webhookHeaders(w.secret, w.body, Math.floor(Date.now() / 1000));
      const res = await outboundFetch(w.url, { method: "POST", body: w.body, headers: { "content-type": "application/json", ...headers } }, { timeoutMs, env });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`webhook answered ${res.status}`);
    },
  };
}
