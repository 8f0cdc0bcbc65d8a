/**
 * @module Users: lookups, creation, the public shape, the per-user secret and its version.
 * Rotating the secret is what makes revocation total: refresh hashes are keyed with it and
 * access tokens carry its version (`ver`), so one UPDATE kills every token of the user.
 */
import { iso } from "../../src/clock.ts";
import { appendEvent } from "./events.ts";
import type { EventType, TenantCtx } from "./context.ts";
import { enqueue } from "./outbox.ts";
import { revokeUserSessions } from "./sessions.ts";
import { all, one } from "./sql.ts";

export interface UserRow {
  id: string;
  username: string | null;
  email: string | null;
  username_norm: string | null;
  email_norm: string | null;
  email_verified: number;
  /** An email change waiting for its link (display form and normalised); not the login yet. */
  pending_email: string | null;
  pending_email_norm: string | null;
  status: "active" | "disabled" | "deleted";
  secret: string;
  secret_version: number;
  metadata: string;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

export interface PublicUser {
  id: string;
  email: string | null;
  username: string | null;
  email_verified: boolean;
  /** The address a `PATCH /me` asked for, until its link is used; `email` stays the login until then. */
  pending_email: string | null;
  status: string;
  metadata: Record<string, unknown>;
  mfa_enabled: boolean;
  created_at: string;
  updated_at: string;
}

export function getUser(sql: SqlStorage, id: string): UserRow | null {
  return one<UserRow>(sql, "SELECT * FROM users WHERE id = ?", id);
}

export function findUserByLogin(sql: SqlStorage, login: { kind: "email" | "username"; value: string }): UserRow | null {
  return login.kind === "email"
    ? one<UserRow>(sql, "SELECT * FROM users WHERE email_norm = ?", login.value)
    : one<UserRow>(sql, "SELECT * FROM users WHERE username_norm = ?", login.value);
}

export function mfaEnabled(sql: SqlStorage, userId: string): boolean {
  return one(sql, "SELECT 1 AS x FROM mfa_totp WHERE user_id = ? AND confirmed_at IS NOT NULL", userId) !== null;
}

export function toPublicUser(sql: SqlStorage, u: UserRow): PublicUser {
  return {
    id: u.id,
    email: u.email,
    username: u.username,
    email_verified: u.email_verified === 1,
    pending_email: u.pending_email,
    status: u.status,
    metadata: JSON.parse(u.metadata),
    mfa_enabled: mfaEnabled(sql, u.id),
    created_at: iso(u.created_at)!,
    updated_at: iso(u.updated_at)!,
  };
}

/** True when another user already holds this email or username (deleted users keep theirs until purged). */
export function identifierTaken(sql: SqlStorage, f: { email_norm?: string | null; username_norm?: string | null }, exceptId?: string): boolean {
  if (f.email_norm && one(sql, "SELECT 1 AS x FROM users WHERE email_norm = ? AND id != ?", f.email_norm, exceptId ?? "") !== null) return true;
  if (f.username_norm && one(sql, "SELECT 1 AS x FROM users WHERE username_norm = ? AND id != ?", f.username_norm, exceptId ?? "") !== null) return true;
  return false;
}

export interface NewUser {
  id: string;
  email: string | null;
  username: string | null;
  email_norm: string | null;
  username_norm: string | null;
  email_verified: boolean;
  sealedSecret: string;
  metadata: Record<string, unknown>;
  hash: string | null;
  algorithm: string | null;
  createdAt?: number;
  /** Imports may bring disabled users; everything else creates active ones. */
  status?: "active" | "disabled";
}

export function insertUser(ctx: TenantCtx, u: NewUser): UserRow {
  const created = u.createdAt ?? ctx.now;
  ctx.sql.exec(
    `INSERT INTO users (id, username, email, username_norm, email_norm, email_verified, status, secret, secret_version, metadata, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`,
    u.id, u.username, u.email, u.username_norm, u.email_norm, u.email_verified ? 1 : 0, u.status ?? "active", u.sealedSecret, JSON.stringify(u.metadata), created, ctx.now,
  );
  if (u.hash) setCredential(ctx, u.id, u.hash, u.algorithm!);
  const row = getUser(ctx.sql, u.id)!;
  syncDirectory(ctx, row);
  return row;
}

export function setCredential(ctx: TenantCtx, userId: string, hash: string, algorithm: string): void {
  ctx.sql.exec(
    "INSERT INTO credentials (user_id, hash, algorithm, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, algorithm = excluded.algorithm, updated_at = excluded.updated_at",
    userId, hash, algorithm, ctx.now,
  );
}

export function getCredential(sql: SqlStorage, userId: string): { hash: string; algorithm: string } | null {
  return one(sql, "SELECT hash, algorithm FROM credentials WHERE user_id = ?", userId);
}

/**
 * Replaces the user's secret with a freshly sealed one and bumps `secret_version`: every
 * refresh token (keyed with the old secret) and every access token (older `ver`) is dead.
 * Revokes every session but `keepSessionId`, and logs `eventType` with the new version.
 */
export function rotateSecret(ctx: TenantCtx, user: UserRow, sealedSecret: string, reason: string, opts: { keepSessionId?: string; eventType?: EventType } = {}): number {
  const ver = user.secret_version + 1;
  ctx.sql.exec("UPDATE users SET secret = ?, secret_version = ?, updated_at = ? WHERE id = ?", sealedSecret, ver, ctx.now, user.id);
  revokeUserSessions(ctx, user.id, reason, opts.keepSessionId);
  appendEvent(ctx, opts.eventType ?? "user.revoked", { sub: user.id, ver, reason });
  return ver;
}

/** Queues the D1 directory row for this user (guarded by updated_at, so replays are harmless). */
export function syncDirectory(ctx: TenantCtx, u: Pick<UserRow, "id" | "email_norm" | "username_norm" | "status">): void {
  enqueue(ctx, "d1", [
    {
      sql: `INSERT INTO user_directory (tenant, user_id, email, username, status, updated_at) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (tenant, user_id) DO UPDATE SET email = excluded.email, username = excluded.username, status = excluded.status, updated_at = excluded.updated_at
            WHERE excluded.updated_at >= user_directory.updated_at`,
      params: [ctx.slug, u.id, u.email_norm, u.username_norm, u.status, ctx.now],
    },
  ]);
}

export function rolesOf(sql: SqlStorage, userId: string): { roles: string[]; scopes: string[] } {
  const rows = all<{ name: string; scopes: string }>(sql, "SELECT r.name, r.scopes FROM memberships m JOIN roles r ON r.name = m.role WHERE m.user_id = ? ORDER BY r.name", userId);
  const scopes = new Set<string>();
  for (const r of rows) for (const s of JSON.parse(r.scopes) as string[]) scopes.add(s);
  return { roles: rows.map((r) => r.name), scopes: [...scopes].sort() };
}
