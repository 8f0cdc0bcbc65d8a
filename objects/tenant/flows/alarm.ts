/**
 * @module The tenant's one alarm. Each run does bounded batches (≤ 500 rows a job) of every
 * due job — session expiry, purges, trims, outbox retries, a page of a pending directory
 * reconcile, closing user subscribers whose access token has expired — then sets the alarm to the earliest job still due. Every job is idempotent,
 * since alarms are at-least-once.
 */
import { clock, iso } from "../../../src/clock.ts";
import type { TenantObject } from "../../tenant.ts";
import { type TenantCtx } from "../context.ts";
import { auditPurgeDueAt, purgeAudit } from "../audit.ts";
import { trimEvents } from "../events.ts";
import { RETIRED_KEY_PUBLISHED_MS } from "../keys.ts";
import { enqueue } from "../outbox.ts";
import { dropChains } from "../refresh-chain.ts";
import { expireDueSessions } from "../sessions.ts";
import { CODE_KEPT_MS, purgeCodes } from "../oauth/codes.ts";
import { purgeGrants } from "../oauth/grants.ts";
import { all, one, run as exec } from "../sql.ts";
import { syncTenantRow, TENANT_PURGE_GRACE_MS } from "./admin.ts";
import { closeExpired, earliestExpiry } from "./subscriber-credentials.ts";

export const BATCH = 500;
/**
 * Sessions expired per run: each one is an event for the subscribers too, so a run of 500 held
 * the object for ~100 ms on a busy 2-core machine (npm run bench). Nothing waits on this job
 * (requests check expiry themselves, `isLive`), so it goes in small bites with gaps between.
 */
export const EXPIRY_BATCH = 100;
const DAY = 86_400_000;
const ATTEMPTS_KEPT_MS = DAY;
/**
 * Counters the alarm may drop once stale: all but a lockout subject (`acct:`, `login:`) past the
 * hard limit, which stays locked (or challenged) until a reset or an unlock. Rate-limit and
 * per-IP counters (`rl:`, `fail:ip:`) reach any count and must still go, or the alarm would
 * re-arm on them forever. One parameter: the hard limit.
 */
const PURGEABLE_ATTEMPT = "((key NOT LIKE 'acct:%' AND key NOT LIKE 'login:%') OR count < ?)";

export async function run(o: TenantObject): Promise<void> {
  const b = await o.begin({ allowDeleted: true });
  if (!b.ok) return; // nothing stored: nothing to do
  const ctx = b.value;
  closeExpired(o, ctx.now);
  const t = tenantState(o, ctx);
  if (t.status === "deleted" && t.deleted_at !== null && ctx.now >= t.deleted_at + TENANT_PURGE_GRACE_MS) {
    await purgeTenant(o, ctx);
    return;
  }
  const reconcileAt = await reconcileStep(o, ctx);
  o.flushSent();
  const next = o.tx(ctx, () => {
    const more = jobs(o, ctx);
    if (more) return { more, at: ctx.now + RUN_GAP_MS };
    const at = min(nextDue(ctx.sql, ctx, { ...t, reconciling: false }), reconcileAt);
    // The D1 row (and its next_alarm_at, which the watchdog reads) once the backlog is done,
    // not after each of its batches. While D1 deliveries are failing, a fresh stats row each
    // run would grow the outbox and, being due at once, keep the alarm from backing off; the
    // next run after recovery (or the watchdog cron) refreshes the stats.
    const d1Failing = one(ctx.sql, "SELECT 1 AS x FROM outbox WHERE kind = 'd1' AND attempts > 0 LIMIT 1") !== null;
    if (!d1Failing) syncTenantRow(ctx, { status: t.status, createdAt: t.created_at, deletedAt: t.deleted_at, nextAlarmAt: at, counts: false });
    return { more, at };
  });
  await o.commit(ctx);
  // With a backlog, the gap runs from the end of this run, not its start: a run longer than the
  // gap would otherwise be followed at once by the next, and requests would queue behind both.
  await setAlarm(o, next.more ? Math.max(next.at, clock.now() + RUN_GAP_MS) : next.at);
  await o.drain();
}

/** Pause between two batches of a backlog, for the requests queued behind the first. */
const RUN_GAP_MS = 50;

/** Every job once, each at most BATCH rows. True when some job has more left. */
function jobs(o: TenantObject, ctx: TenantCtx): boolean {
  const r = ctx.settings.retention;
  let more = false;
  more = expireDueSessions(ctx, EXPIRY_BATCH) === EXPIRY_BATCH || more;

  const revokedBefore = ctx.now - r.revoked_sessions_days * DAY;
  const gone = all<{ id: string }>(ctx.sql, "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE revoked_at IS NOT NULL AND revoked_at < ? LIMIT ?) RETURNING id", revokedBefore, BATCH);
  dropChains(ctx.sql, gone.map((g) => g.id));
  more = gone.length === BATCH || more;

  const usersBefore = ctx.now - r.deleted_users_days * DAY;
  const users = all<{ id: string }>(ctx.sql, "SELECT id FROM users WHERE deleted_at IS NOT NULL AND deleted_at < ? LIMIT ?", usersBefore, BATCH);
  for (const u of users) {
    dropChains(ctx.sql, all<{ id: string }>(ctx.sql, "SELECT id FROM sessions WHERE user_id = ?", u.id).map((s) => s.id));
    for (const q of ["sessions", "credentials", "mfa_totp", "recovery_codes", "memberships", "one_time_tokens", "grants", "consents", "passkeys"]) ctx.sql.exec(`DELETE FROM ${q} WHERE user_id = ?`, u.id);
    ctx.sql.exec("DELETE FROM users WHERE id = ?", u.id);
    enqueue(ctx, "d1", [{ sql: "DELETE FROM user_directory WHERE tenant = ? AND user_id = ?", params: [ctx.slug, u.id] }]);
  }
  more = users.length === BATCH || more;

  // OAuth: codes past their keeping time, grants ended as long ago as the sessions purged above.
  more = purgeCodes(ctx.sql, ctx.now, BATCH) === BATCH || more;
  more = purgeGrants(ctx.sql, revokedBefore, BATCH) === BATCH || more;

  more = trimEvents(ctx.sql, ctx.now - r.events_hours * 3_600_000, BATCH) === BATCH || more;
  more = purgeAudit(ctx, ctx.now - r.audit_days * DAY, BATCH) === BATCH || more;
  more = exec(ctx.sql, "DELETE FROM one_time_tokens WHERE hash IN (SELECT hash FROM one_time_tokens WHERE expires_at < ? LIMIT ?)", ctx.now, BATCH) === BATCH || more;
  more = exec(ctx.sql, `DELETE FROM attempts WHERE key IN (SELECT key FROM attempts WHERE updated_at < ? AND (locked_until IS NULL OR locked_until < ?) AND ${PURGEABLE_ATTEMPT} LIMIT ?)`, ctx.now - ATTEMPTS_KEPT_MS, ctx.now, ctx.settings.lockout.hard_limit, BATCH) === BATCH || more;
  o.ring.purgeRetired(ctx.sql, ctx.now);
  return more;
}

interface TenantState {
  status: string;
  deleted_at: number | null;
  created_at: number;
  /** A directory reconcile is pending (reconcileDirectory). */
  reconciling: boolean;
  /** The earliest access-token expiry among user subscribers (they are closed then). */
  subscribersDue: number | null;
}

function tenantState(o: TenantObject, ctx: TenantCtx): TenantState {
  const t = one<{ status: string; deleted_at: number | null; created_at: number }>(ctx.sql, "SELECT status, deleted_at, created_at FROM settings WHERE id = 1")!;
  return { ...t, reconciling: o.storage.kv.get(RECONCILE) !== undefined, subscribersDue: earliestExpiry(o) };
}

const min = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.min(a, b));

/** The earliest time any job falls due (indexed MIN queries), or null when nothing is pending. */
export function nextDue(sql: SqlStorage, ctx: TenantCtx, t: Omit<TenantState, "created_at">): number | null {
  const r = ctx.settings.retention;
  const candidates: (number | null)[] = [
    one<{ v: number | null }>(sql, "SELECT MIN(due_at) AS v FROM sessions WHERE revoked_at IS NULL")?.v ?? null,
    plus(one<{ v: number | null }>(sql, "SELECT MIN(revoked_at) AS v FROM sessions WHERE revoked_at IS NOT NULL")?.v, r.revoked_sessions_days * DAY),
    plus(one<{ v: number | null }>(sql, "SELECT MIN(deleted_at) AS v FROM users WHERE deleted_at IS NOT NULL")?.v, r.deleted_users_days * DAY),
    one<{ v: number | null }>(sql, "SELECT MIN(next_attempt_at) AS v FROM outbox")?.v ?? null,
    plus(one<{ v: number | null }>(sql, "SELECT MIN(created_at) AS v FROM events WHERE seq < (SELECT MAX(seq) FROM events)")?.v, r.events_hours * 3_600_000),
    auditPurgeDueAt(sql, r.audit_days),
    one<{ v: number | null }>(sql, "SELECT MIN(expires_at) AS v FROM one_time_tokens")?.v ?? null,
    plus(one<{ v: number | null }>(sql, "SELECT MIN(expires_at) AS v FROM authorization_codes")?.v, CODE_KEPT_MS),
    plus(one<{ v: number | null }>(sql, "SELECT MIN(revoked_at) AS v FROM grants WHERE revoked_at IS NOT NULL")?.v, r.revoked_sessions_days * DAY),
    plus(one<{ v: number | null }>(sql, "SELECT MIN(retired_at) AS v FROM signing_keys WHERE retired_at IS NOT NULL")?.v, RETIRED_KEY_PUBLISHED_MS),
    plus(one<{ v: number | null }>(sql, `SELECT MIN(updated_at) AS v FROM attempts WHERE ${PURGEABLE_ATTEMPT}`, ctx.settings.lockout.hard_limit)?.v, ATTEMPTS_KEPT_MS),
    t.status === "deleted" && t.deleted_at !== null ? t.deleted_at + TENANT_PURGE_GRACE_MS : null,
    t.reconciling ? ctx.now : null,
    t.subscribersDue,
  ];
  const due = candidates.filter((v): v is number => v !== null);
  return due.length ? Math.max(ctx.now + 50, Math.min(...due)) : null;
}

const plus = (v: number | null | undefined, d: number): number | null => (v == null ? null : v + d);

async function setAlarm(o: TenantObject, at: number | null): Promise<void> {
  if (at === null) await o.storage.deleteAlarm();
  else await o.storage.setAlarm(at);
  o.noteAlarm(at);
}

/**
 * Deletes all of a deleted tenant's storage after its grace period: D1 rows first (so a D1
 * failure leaves the object intact to try again), then every byte of the object.
 */
async function purgeTenant(o: TenantObject, ctx: TenantCtx): Promise<void> {
  try {
    await o.bindings.DB.batch([
      o.bindings.DB.prepare("DELETE FROM user_directory WHERE tenant = ?").bind(ctx.slug),
      o.bindings.DB.prepare("DELETE FROM tenants WHERE slug = ?").bind(ctx.slug),
    ]);
  } catch {
    await setAlarm(o, clock.now() + 60_000);
    return;
  }
  await o.storage.deleteAlarm();
  await o.storage.deleteAll();
  o.forget();
}

/** Cron watchdog: makes sure the alarm is set when work is due, and refreshes the D1 stats row. */
export async function watchdog(o: TenantObject): Promise<{ slug: string; next_alarm_at: string | null } | null> {
  const b = await o.begin({ allowDeleted: true });
  if (!b.ok) return null;
  const ctx = b.value;
  const t = tenantState(o, ctx);
  const next = nextDue(ctx.sql, ctx, t);
  const current = await o.storage.getAlarm();
  if (next !== null && (current === null || current > next)) await setAlarm(o, next);
  const at = await o.storage.getAlarm();
  o.tx(ctx, () => syncTenantRow(ctx, { status: t.status, createdAt: t.created_at, deletedAt: t.deleted_at, nextAlarmAt: at }));
  await o.commit(ctx);
  await o.drain();
  return { slug: ctx.slug, next_alarm_at: iso(await o.storage.getAlarm()) };
}

const RECONCILE = "reconcile.cursor";
/**
 * Users per reconcile step. A step is one alarm run: one D1 read and one batch of at most
 * 3 × RECONCILE_BATCH statements (upserts, then deletes of rows the object no longer has),
 * within the 1,000 D1 queries one invocation may make.
 */
export const RECONCILE_BATCH = 200;
/** A failed step is retried this much later. */
const RECONCILE_RETRY_MS = 60_000;

/**
 * Daily cron: asks for this tenant's D1 directory rows to be rewritten from the users table
 * (the source of truth). Only records the request and arms the alarm; the alarm does the
 * work a page at a time (reconcileStep), so the call is cheap however many users there are.
 * A reconcile already under way carries on where it is.
 */
export async function reconcileDirectory(o: TenantObject): Promise<{ slug: string } | null> {
  const b = await o.begin({ allowDeleted: true });
  if (!b.ok) return null;
  if (o.storage.kv.get(RECONCILE) === undefined) o.storage.kv.put(RECONCILE, "");
  await o.armAlarm(b.value.now);
  return { slug: b.value.slug };
}

/**
 * One page of a pending reconcile: the next RECONCILE_BATCH users by id are upserted, and D1
 * rows of this tenant in the same id range whose user the object no longer has are deleted.
 * Rows of soft-deleted users keep the identifiers the outbox wrote (the object has already
 * freed them), so the directory still finds them until they are purged. Returns when the
 * alarm should come back for the next page, or null when nothing is pending.
 */
async function reconcileStep(o: TenantObject, ctx: TenantCtx): Promise<number | null> {
  const cursor = o.storage.kv.get<string>(RECONCILE);
  if (cursor === undefined) return null;
  const db = o.bindings.DB;
  const users = all<{ id: string; email_norm: string | null; username_norm: string | null; status: string; updated_at: number }>(
    ctx.sql, "SELECT id, email_norm, username_norm, status, updated_at FROM users WHERE id > ? ORDER BY id LIMIT ?", cursor, RECONCILE_BATCH,
  );
  const full = users.length === RECONCILE_BATCH;
  let end = full ? users[users.length - 1].id : null; // null: to the end of the id space
  try {
    const limit = 2 * RECONCILE_BATCH;
    const rows = (await db.prepare(`SELECT user_id FROM user_directory WHERE tenant = ? AND user_id > ? ${end ? "AND user_id <= ?" : ""} ORDER BY user_id LIMIT ?`)
      .bind(...(end ? [ctx.slug, cursor, end, limit] : [ctx.slug, cursor, limit]))
      .all<{ user_id: string }>()).results;
    // More D1 rows than we read: stop this step at the last one read, so none is skipped.
    if (rows.length === limit) end = rows[rows.length - 1].user_id;
    const page = end === null ? users : users.filter((u) => u.id <= end!);
    const gone = rows.filter((r) => !one(ctx.sql, "SELECT 1 AS x FROM users WHERE id = ?", r.user_id));
    const statements = [
      ...page.map((u) => db.prepare(
        `INSERT INTO user_directory (tenant, user_id, email, username, status, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (tenant, user_id) DO UPDATE SET
           email = CASE WHEN excluded.status = 'deleted' THEN user_directory.email ELSE excluded.email END,
           username = CASE WHEN excluded.status = 'deleted' THEN user_directory.username ELSE excluded.username END,
           status = excluded.status, updated_at = excluded.updated_at
         WHERE excluded.updated_at >= user_directory.updated_at`,
      ).bind(ctx.slug, u.id, u.email_norm, u.username_norm, u.status, u.updated_at)),
      ...gone.map((g) => db.prepare("DELETE FROM user_directory WHERE tenant = ? AND user_id = ?").bind(ctx.slug, g.user_id)),
    ];
    if (statements.length) await db.batch(statements);
  } catch (e) {
    console.error(JSON.stringify({ level: "error", msg: "directory reconcile step failed", tenant: ctx.slug, error: String(e).slice(0, 200) }));
    return ctx.now + RECONCILE_RETRY_MS;
  }
  if (end === null) {
    o.storage.kv.delete(RECONCILE);
    return null;
  }
  o.storage.kv.put(RECONCILE, end);
  return ctx.now + 50;
}
