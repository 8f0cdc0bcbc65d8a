/**
 * @module What each user has agreed to let each OAuth client see (the hosted consent page):
 * one row per user and client with the union of the scopes granted so far. A later request
 * for no more than those scopes needs no new consent; removing the row ("remove this app")
 * makes the next authorization ask again.
 */
import type { TenantCtx } from "./context.ts";
import { all, one, run } from "./sql.ts";

export interface ConsentRow {
  user_id: string;
  client_id: string;
  /** Space-separated, sorted. */
  scope: string;
  created_at: number;
  updated_at: number;
}

export function getConsent(sql: SqlStorage, userId: string, clientId: string): ConsentRow | null {
  return one<ConsentRow>(sql, "SELECT * FROM consents WHERE user_id = ? AND client_id = ?", userId, clientId);
}

/** True when the user has already consented to every scope in `scopes` for this client. */
export function consentCovers(sql: SqlStorage, userId: string, clientId: string, scopes: string[]): boolean {
  const row = getConsent(sql, userId, clientId);
  if (!row) return false;
  const granted = new Set(row.scope.split(" "));
  return scopes.every((s) => granted.has(s));
}

/** Adds `scopes` to what the user has granted the client. */
export function saveConsent(ctx: TenantCtx, userId: string, clientId: string, scopes: string[]): void {
  const prev = getConsent(ctx.sql, userId, clientId);
  const merged = [...new Set([...(prev ? prev.scope.split(" ") : []), ...scopes])].filter(Boolean).sort().join(" ");
  ctx.sql.exec(
    `INSERT INTO consents (user_id, client_id, scope, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (user_id, client_id) DO UPDATE SET scope = excluded.scope, updated_at = excluded.updated_at`,
    userId, clientId, merged, ctx.now, ctx.now,
  );
}

export function deleteConsent(ctx: TenantCtx, userId: string, clientId: string): boolean {
  return run(ctx.sql, "DELETE FROM consents WHERE user_id = ? AND client_id = ?", userId, clientId) > 0;
}

export function listConsents(sql: SqlStorage, userId: string): ConsentRow[] {
  return all<ConsentRow>(sql, "SELECT * FROM consents WHERE user_id = ? ORDER BY updated_at DESC", userId);
}
