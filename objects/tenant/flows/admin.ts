/**
 * @module Operator flows on one tenant: create (runs the migrations, makes the first signing
 * keys), inspect with live stats, update settings (deep merge, validated after merging),
 * soft delete, API keys and signing-key rotation.
 */
import { iso } from "../../../src/clock.ts";
import { fail, ok, type Result } from "../../../src/errors.ts";
import { deepMerge, type Settings, type TokenAlg } from "../../../schema/settings.ts";
import type { TenantObject } from "../../tenant.ts";
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyScope, type PublicApiKey } from "../api-keys.ts";
import { audit } from "../audit.ts";
import { due, type TenantCtx } from "../context.ts";
import { appendEvent, latestSeq } from "../events.ts";
import { describeKey, KeyRing, type KeyPurpose } from "../keys.ts";
import { enqueue, outboxStats } from "../outbox.ts";
import { sealSettings, settingsView, writeSettings } from "../settings-store.ts";
import { one } from "../sql.ts";
import { checkDestination } from "../../../src/http/outbound.ts";
import type { Env } from "../../../src/env.ts";
import { subscriberCounts } from "./subscribers.ts";
import { rpProblems, withDefaults } from "../passkeys/rp.ts";

/** A deleted tenant's storage is purged by its alarm after this grace period. */
export const TENANT_PURGE_GRACE_MS = 7 * 86_400_000;

export interface TenantView {
  slug: string;
  name: string;
  status: string;
  settings: Settings;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

interface SettingsRow {
  slug: string;
  name: string;
  status: string;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

/** The row, with `settings` the ones in force (the parsed settings of the context or the change). */
function view(sql: SqlStorage, settings: Settings): TenantView {
  const r = one<SettingsRow>(sql, "SELECT slug, name, status, created_at, updated_at, deleted_at FROM settings WHERE id = 1")!;
  return { slug: r.slug, name: r.name, status: r.status, settings: settingsView(settings), created_at: iso(r.created_at)!, updated_at: iso(r.updated_at)!, deleted_at: iso(r.deleted_at) };
}

/** Details in the error model's shape (`path`, `code`, `message`); a check of our own is `custom`, as zod names a refinement's issue. */
const invalidSettings = (issues: { path: PropertyKey[]; code?: string; message: string }[]) =>
  fail("invalid_request", "Invalid settings.", { details: issues.map((x) => ({ path: ["settings", ...x.path].join("."), code: x.code ?? "custom", message: x.message })) });

/**
 * A new or changed `delivery.webhook_url` must be a destination Warden may call (see
 * src/http/outbound.ts); delivery checks it again before every attempt. An unchanged URL is
 * not re-judged here, so a PATCH of another setting never fails on it.
 */
function checkWebhookUrl(env: Env, next: Settings, current: Settings | null): Result<null> {
  const url = next.delivery.webhook_url;
  if (url === null || url === current?.delivery.webhook_url) return ok(null);
  const c = checkDestination(url, env);
  return c.ok ? ok(null) : invalidSettings([{ path: ["delivery", "webhook_url"], message: c.message }]);
}

/**
 * Passkey settings, with their defaults resolved (PUBLIC_URL, the tenant's name), must tie the
 * RP ID to every origin (passkeys/rp.ts). Judged when passkeys are on and the section or the
 * name changed, so a PATCH of another setting never fails on it.
 */
function checkWebauthn(env: Env, next: Settings, name: string, current: { settings: Settings; name: string } | null): Result<null> {
  if (!next.webauthn.enabled) return ok(null);
  if (current && current.name === name && JSON.stringify(current.settings.webauthn) === JSON.stringify(next.webauthn)) return ok(null);
  const problems = rpProblems(withDefaults(next.webauthn, env.PUBLIC_URL ?? "http://localhost:8787", name));
  return problems.length ? invalidSettings(problems.map((p) => ({ path: p.path.split("."), message: p.message }))) : ok(null);
}

/**
 * Queues the D1 `tenants` row (guarded by updated_at, so out-of-order replays are harmless).
 * `nextAlarmAt` undefined keeps the stored value; the alarm and the watchdog pass the real one.
 */
export function syncTenantRow(ctx: TenantCtx, o: { status: string; createdAt: number; deletedAt: number | null; nextAlarmAt?: number | null; counts?: boolean }): void {
  // The counts are O(users + sessions): the alarm, which runs often, leaves them to the
  // watchdog and the admin flows (counts: false keeps the stored values).
  const counts = o.counts ?? true;
  const users = counts ? one<{ n: number }>(ctx.sql, "SELECT COUNT(*) AS n FROM users WHERE status != 'deleted'")!.n : 0;
  const sessions = counts ? one<{ n: number }>(ctx.sql, "SELECT COUNT(*) AS n FROM sessions WHERE revoked_at IS NULL AND MIN(expires_at, idle_expires_at) > ?", ctx.now)!.n : 0;
  const keepAlarm = o.nextAlarmAt === undefined;
  enqueue(ctx, "d1", [
    {
      sql: `INSERT INTO tenants (slug, name, status, created_at, updated_at, deleted_at, user_count, session_count, next_alarm_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (slug) DO UPDATE SET name = excluded.name, status = excluded.status, updated_at = excluded.updated_at,
              deleted_at = excluded.deleted_at,
              user_count = ${counts ? "excluded.user_count" : "tenants.user_count"}, session_count = ${counts ? "excluded.session_count" : "tenants.session_count"},
              next_alarm_at = ${keepAlarm ? "tenants.next_alarm_at" : "excluded.next_alarm_at"}
            WHERE excluded.updated_at >= tenants.updated_at`,
      params: [ctx.slug, ctx.name, o.status, o.createdAt, ctx.now, o.deletedAt, users, sessions, o.nextAlarmAt ?? null],
    },
  ]);
}

/**
 * Every tenant gets an EdDSA key for its Security Event Tokens, plus an access-token key of its
 * token_alg (user-HS512 signs with each user's own secret: no tenant key).
 */
function tenantKeys(settings: Settings): [KeyPurpose, TokenAlg][] {
  const a = settings.token_alg;
  return a === "user-HS512" ? [["set", "EdDSA"]] : [["set", "EdDSA"], ["access_token", a]];
}

export interface CreateTenantInput {
  slug: string;
  name: string;
  settings?: Record<string, unknown>;
}

export async function createTenant(o: TenantObject, i: CreateTenantInput): Promise<Result<TenantView & { signing_key?: ReturnType<typeof describeKey> }>> {
  if (o.exists()) return fail("conflict", "A tenant with that slug already exists.");
  const parsed = o.settingsSchema().safeParse(i.settings ?? {});
  if (!parsed.success) return invalidSettings(parsed.error.issues);
  const settings = parsed.data;
  const url = checkWebhookUrl(o.bindings, settings, null);
  if (!url.ok) return url;
  const rp = checkWebauthn(o.bindings, settings, i.name, null);
  if (!rp.ok) return rp;
  const sealer = await o.prepareSealer();
  const stored = await sealSettings(sealer, i.slug, settings);
  const ring = new KeyRing(sealer, i.slug);
  const keys = await Promise.all(tenantKeys(settings).map(([purpose, alg]) => ring.prepare(purpose, alg)));
  o.migrate();
  const ctx = o.context(i.slug, i.name, settings);
  const r = o.tx(ctx, (): Result<TenantView> => {
    if (one(ctx.sql, "SELECT 1 AS x FROM settings WHERE id = 1")) return fail("conflict", "A tenant with that slug already exists.");
    ctx.sql.exec("INSERT INTO settings (id, slug, name, status, settings, webhook_secret_sealed, created_at, updated_at) VALUES (1, ?, ?, 'active', ?, ?, ?, ?)", i.slug, i.name, stored.json, stored.sealedSecret, ctx.now, ctx.now);
    for (const k of keys) ring.install(ctx, k);
    audit(ctx, { type: "tenant.created", actor: "admin", data: { name: i.name } });
    syncTenantRow(ctx, { status: "active", createdAt: ctx.now, deletedAt: null });
    return ok(view(ctx.sql, settings));
  });
  if (!r.ok) return r;
  o.setRing(ring);
  await o.commit(ctx);
  await o.drain();
  // An HS256 secret is shown once, to the operator who created it, as PATCH and rotate do.
  const hs = keys.find((k) => k.gen.alg === "HS256");
  return hs ? ok({ ...r.value, signing_key: describeKey(hs.gen, ctx.now) }) : r;
}

export interface TenantStats {
  users: number;
  active_sessions: number;
  storage_bytes: number;
  schema_version: number;
  next_alarm_at: string | null;
  outbox: { depth: number; oldest_age_s: number | null };
  event_seq: number;
  subscribers: { service: number; user: number };
}

export async function getTenant(o: TenantObject): Promise<Result<TenantView & { stats: TenantStats }>> {
  const b = await o.begin({ allowDeleted: true });
  if (!b.ok) return b;
  const ctx = b.value;
  o.flushSent();
  const stats: TenantStats = {
    users: one<{ n: number }>(ctx.sql, "SELECT COUNT(*) AS n FROM users WHERE status != 'deleted'")!.n,
    active_sessions: one<{ n: number }>(ctx.sql, "SELECT COUNT(*) AS n FROM sessions WHERE revoked_at IS NULL AND MIN(expires_at, idle_expires_at) > ?", ctx.now)!.n,
    storage_bytes: ctx.sql.databaseSize,
    schema_version: o.schemaVersion(),
    next_alarm_at: iso(await o.storage.getAlarm()),
    outbox: outboxStats(ctx.sql, ctx.now),
    event_seq: latestSeq(ctx.sql),
    subscribers: subscriberCounts(o),
  };
  return ok({ ...view(ctx.sql, ctx.settings), stats });
}

export interface UpdateTenantInput {
  name?: string;
  settings?: Record<string, unknown>;
}

export async function updateTenant(o: TenantObject, i: UpdateTenantInput): Promise<Result<TenantView & { signing_key?: ReturnType<typeof describeKey> }>> {
  const b = await o.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const parsed = o.settingsSchema().safeParse(deepMerge(ctx.settings, i.settings ?? {}));
  if (!parsed.success) return invalidSettings(parsed.error.issues);
  const settings = parsed.data;
  const url = checkWebhookUrl(o.bindings, settings, ctx.settings);
  if (!url.ok) return url;
  const rp = checkWebauthn(o.bindings, settings, i.name ?? ctx.name, ctx);
  if (!rp.ok) return rp;
  const sealed = one<{ s: string | null }>(ctx.sql, "SELECT webhook_secret_sealed AS s FROM settings WHERE id = 1")!.s;
  const stored = await sealSettings(o.sealer, ctx.slug, settings, { secret: ctx.settings.delivery.webhook_secret, sealed });
  const needKey = settings.token_alg !== "user-HS512" && !o.ring.current("access_token", settings.token_alg);
  const prepared = needKey ? await o.ring.prepare("access_token", settings.token_alg) : null;
  const name = i.name ?? ctx.name;
  o.tx(ctx, () => {
    ctx.sql.exec("UPDATE settings SET name = ?, updated_at = ? WHERE id = 1", name, ctx.now);
    writeSettings(ctx.sql, stored);
    if (prepared) o.ring.install(ctx, prepared);
    audit(ctx, { type: "tenant.updated", actor: "admin", data: { name: i.name !== undefined, settings: Object.keys(i.settings ?? {}) } });
    ctx.name = name;
    const created = one<{ created_at: number }>(ctx.sql, "SELECT created_at FROM settings WHERE id = 1")!.created_at;
    syncTenantRow(ctx, { status: "active", createdAt: created, deletedAt: null });
  });
  o.reloadSettings({ name, settings });
  await o.commit(ctx);
  await o.drain();
  const out: TenantView & { signing_key?: ReturnType<typeof describeKey> } = view(ctx.sql, settings);
  if (prepared) out.signing_key = describeKey(prepared.gen, ctx.now);
  return ok(out);
}

export async function deleteTenant(o: TenantObject): Promise<Result<{ slug: string; status: "deleted"; purge_at: string }>> {
  const b = await o.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const purgeAt = ctx.now + TENANT_PURGE_GRACE_MS;
  o.tx(ctx, () => {
    ctx.sql.exec("UPDATE settings SET status = 'deleted', deleted_at = ?, updated_at = ? WHERE id = 1", ctx.now, ctx.now);
    audit(ctx, { type: "tenant.deleted", actor: "admin" });
    const created = one<{ created_at: number }>(ctx.sql, "SELECT created_at FROM settings WHERE id = 1")!.created_at;
    syncTenantRow(ctx, { status: "deleted", createdAt: created, deletedAt: ctx.now });
    due(ctx, purgeAt);
  });
  o.reloadSettings({ status: "deleted" });
  await o.commit(ctx);
  await o.drain();
  // Close every subscriber: the tenant answers nothing from now on.
  for (const c of o.getConnections()) c.close(4004, "tenant deleted");
  return ok({ slug: ctx.slug, status: "deleted", purge_at: iso(purgeAt)! });
}

export interface CreateApiKeyInput {
  name: string;
  scopes: ApiKeyScope[];
}

export async function createApiKeyFlow(o: TenantObject, i: CreateApiKeyInput): Promise<Result<PublicApiKey & { key: string }>> {
  const b = await o.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const key = o.tx(ctx, () => {
    const k = createApiKey(ctx, i.name, i.scopes);
    audit(ctx, { type: "api_key.created", actor: "admin", data: { id: k.id, name: k.name, scopes: k.scopes } });
    return k;
  });
  await o.commit(ctx);
  return ok(key);
}

export async function listApiKeysFlow(o: TenantObject): Promise<Result<{ api_keys: PublicApiKey[] }>> {
  const b = await o.begin();
  if (!b.ok) return b;
  return ok({ api_keys: listApiKeys(b.value.sql) });
}

export async function revokeApiKeyFlow(o: TenantObject, i: { id: string }): Promise<Result<null>> {
  const b = await o.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  const done = o.tx(ctx, () => {
    const n = revokeApiKey(ctx, i.id);
    if (n) audit(ctx, { type: "api_key.revoked", actor: "admin", data: { id: i.id } });
    return n;
  });
  await o.commit(ctx);
  if (done) for (const c of o.getConnections(`key:${i.id}`)) c.close(4001, "api key revoked");
  return done ? ok(null) : fail("not_found", "No such API key.");
}

export async function rotateSigningKey(o: TenantObject): Promise<Result<ReturnType<typeof describeKey>>> {
  const b = await o.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  // Both the access-token key and the SET key: a rotation answers a suspected leak, of either.
  // The answer describes the access-token key (the SET key on user-HS512 tenants, which have none).
  const prepared = await Promise.all(tenantKeys(ctx.settings).map(([purpose, alg]) => o.ring.prepare(purpose, alg)));
  const main = prepared[prepared.length - 1];
  o.tx(ctx, () => {
    for (const p of prepared) o.ring.install(ctx, p);
    appendEvent(ctx, "key.rotated", { sub: ctx.slug, reason: "rotation" });
    audit(ctx, { type: "signing_key.rotated", actor: "admin", data: { kid: main.gen.kid, alg: main.gen.alg, keys: prepared.map((p) => ({ kid: p.gen.kid, alg: p.gen.alg, purpose: p.purpose })) } });
  });
  await o.commit(ctx);
  return ok(describeKey(main.gen, ctx.now));
}

