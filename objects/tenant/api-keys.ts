/**
 * @module Tenant API keys (`introspect`, `subscribe`, `manage`). The key is
 * `wk_{id}.{256 random bits}`, shown once; only its SHA-256 is stored. Lookup is by id and
 * the hash comparison is constant-time.
 */
import { iso } from "../../src/clock.ts";
import { utf8 } from "../../src/crypto/bytes.ts";
import { sha256B64 } from "../../src/crypto/digest.ts";
import { randomBytes, randomToken } from "../../src/crypto/random.ts";
import { hex } from "../../src/crypto/bytes.ts";
import { timingSafeEqual } from "../../src/crypto/timing-safe-equal.ts";
import type { TenantCtx } from "./context.ts";
import { all, one } from "./sql.ts";

export const API_KEY_SCOPES = ["introspect", "subscribe", "manage"] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

interface ApiKeyRow {
  id: string;
  name: string;
  scopes: string;
  hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface PublicApiKey {
  id: string;
  name: string;
  scopes: ApiKeyScope[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

const toPublic = (r: ApiKeyRow): PublicApiKey => ({
  id: r.id,
  name: r.name,
  scopes: JSON.parse(r.scopes),
  created_at: iso(r.created_at)!,
  last_used_at: iso(r.last_used_at),
  revoked_at: iso(r.revoked_at),
});

export function createApiKey(ctx: TenantCtx, name: string, scopes: ApiKeyScope[]): PublicApiKey & { key: string } {
  const id = hex(randomBytes(8));
  const key = `wk_${id}.${randomToken(32)}`;
  ctx.sql.exec("INSERT INTO api_keys (id, name, scopes, hash, created_at) VALUES (?, ?, ?, ?, ?)", id, name, JSON.stringify([...new Set(scopes)]), sha256B64(key), ctx.now);
  return { ...toPublic(one<ApiKeyRow>(ctx.sql, "SELECT * FROM api_keys WHERE id = ?", id)!), key };
}

export function listApiKeys(sql: SqlStorage): PublicApiKey[] {
  return all<ApiKeyRow>(sql, "SELECT * FROM api_keys ORDER BY created_at").map(toPublic);
}

export function revokeApiKey(ctx: TenantCtx, id: string): boolean {
  return ctx.sql.exec("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", ctx.now, id).rowsWritten > 0;
}

/** Usage stamps are written at most once a minute per key, so a hot key costs no write per call. */
const LAST_USED_GRANULARITY_MS = 60_000;

/**
 * Checks a presented key. `missing` (not a key of ours or revoked) and `scope` (valid, but
 * lacks the scope) are different wire errors: 401 `invalid_token` and 403 `forbidden`.
 */
export function checkApiKey(sql: SqlStorage, presented: string, scope: ApiKeyScope, now: number): { ok: true; id: string } | { ok: false; reason: "missing" | "scope" } {
  const m = /^wk_([0-9a-f]{16})\.[A-Za-z0-9_-]{43}$/.exec(presented);
  if (!m) return { ok: false, reason: "missing" };
  const row = one<ApiKeyRow>(sql, "SELECT * FROM api_keys WHERE id = ?", m[1]);
  if (!row || row.revoked_at !== null) return { ok: false, reason: "missing" };
  if (!timingSafeEqual(utf8(row.hash), utf8(sha256B64(presented)))) return { ok: false, reason: "missing" };
  if (!(JSON.parse(row.scopes) as string[]).includes(scope)) return { ok: false, reason: "scope" };
  if (row.last_used_at === null || now - row.last_used_at > LAST_USED_GRANULARITY_MS) sql.exec("UPDATE api_keys SET last_used_at = ? WHERE id = ?", now, row.id);
  return { ok: true, id: row.id };
}
