/**
 * @module The revocation log. `seq` is the row id, assigned inside the same
 * transaction as the state change, so a subscriber resuming with `since` sees neither a gap
 * nor a duplicate.
 */
import { iso } from "../../src/clock.ts";
import type { EventRecord, EventType, TenantCtx } from "./context.ts";
import { countHourly } from "./hourly.ts";
import { all, one, run } from "./sql.ts";

export function appendEvent(ctx: TenantCtx, type: EventType, e: { sub: string; sid?: string; ver?: number; reason: string }): EventRecord {
  const body = { type, sub: e.sub, sid: e.sid, ver: e.ver, reason: e.reason };
  const row = one<{ seq: number }>(
    ctx.sql,
    "INSERT INTO events (type, payload, created_at) VALUES (?, ?, ?) RETURNING seq",
    type,
    JSON.stringify(body),
    ctx.now,
  )!;
  countHourly(ctx, `event:${type}`);
  const rec = toRecord(ctx.slug, row.seq, type, body, ctx.now);
  ctx.effects.events.push(rec);
  return rec;
}

function toRecord(tenant: string, seq: number, type: EventType, b: { sub: string; sid?: string; ver?: number; reason: string }, at: number): EventRecord {
  const rec: EventRecord = { seq, type, ts: iso(at)!, tenant, sub: b.sub, reason: b.reason };
  if (b.sid) rec.sid = b.sid;
  if (b.ver !== undefined) rec.ver = b.ver;
  return rec;
}

export function latestSeq(sql: SqlStorage): number {
  return one<{ s: number | null }>(sql, "SELECT MAX(seq) AS s FROM events")?.s ?? 0;
}

export function oldestSeq(sql: SqlStorage): number | null {
  return one<{ s: number | null }>(sql, "SELECT MIN(seq) AS s FROM events")?.s ?? null;
}

/** Events after `since`, in order, at most `limit`. */
export function eventsAfter(sql: SqlStorage, tenant: string, since: number, limit: number): EventRecord[] {
  return all<{ seq: number; type: EventType; payload: string; created_at: number }>(
    sql,
    "SELECT seq, type, payload, created_at FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
    since,
    limit,
  ).map((r) => toRecord(tenant, r.seq, r.type, JSON.parse(r.payload), r.created_at));
}

/** Drops events older than the retention; returns how many went. Keeps the newest row so seq never restarts. */
export function trimEvents(sql: SqlStorage, before: number, limit: number): number {
  return run(
    sql,
    "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE created_at < ? AND seq < (SELECT MAX(seq) FROM events) ORDER BY seq LIMIT ?)",
    before,
    limit,
  );
}
