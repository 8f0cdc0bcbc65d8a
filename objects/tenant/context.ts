/**
 * @module What every tenant-object module receives: the SQL handle, the tenant's identity
 * and settings, the time the operation started, and the side effects collected while a
 * transaction runs (events to broadcast, outbox work, the earliest new due job). The object
 * acts on those only after the transaction commits.
 */
import type { WardenEvent } from "../../src/client/types.ts";
import type { Settings } from "../../schema/settings.ts";
import type { AuditHead, AuditKeys } from "./audit.ts";
import type { Sealer } from "../../src/crypto/seal.ts";
import type { OutboxKind } from "./outbox.ts";

/** A revocation-log event as subscribers receive it: one definition, the client library's. */
export type EventRecord = WardenEvent;

export type EventType = WardenEvent["type"];

export interface TenantCtx {
  sql: SqlStorage;
  slug: string;
  name: string;
  settings: Settings;
  /** Milliseconds since the epoch, fixed for the whole operation. */
  now: number;
  /** `{PUBLIC_URL}/v1/{slug}` */
  issuer: string;
  /** Filled during the transaction, consumed after the commit. */
  effects: Effects;
  /** What the object remembers between operations; forgotten when a transaction rolls back. */
  memo: Memo;
  /** The HMAC keys of this tenant's audit chain (derived from MASTER_KEY, see audit.ts). */
  auditKeys: AuditKeys;
  /** The tenant's sealer (loaded before any flow runs). */
  sealer: () => Sealer;
}

export interface Memo {
  /** The audit chain's state, so appending a row does not first read it back. */
  auditHead: AuditHead | null;
  /** The hour whose old hourly counters were last purged (hourly.ts). */
  hourlyPurged?: number;
}

export const newMemo = (): Memo => ({ auditHead: null });

/** An outbox row written in this transaction, kept in memory so it can go out without being read back. */
export interface Queued {
  id: number;
  kind: OutboxKind;
  payload: unknown;
}

export interface Effects {
  events: EventRecord[];
  outbox: Queued[];
  /** Webhook bodies to seal and queue after the commit (see `enqueue` in outbox.ts). */
  dueAt: number | null;
}

export const newEffects = (): Effects => ({ events: [], outbox: [], dueAt: null });

/** Records that a job falls due at `at`, so the alarm can be moved earlier if needed. */
export function due(ctx: TenantCtx, at: number): void {
  if (ctx.effects.dueAt === null || at < ctx.effects.dueAt) ctx.effects.dueAt = at;
}

export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}
