/**
 * @module Upstream identities linked to users: one row per (provider, upstream issuer,
 * subject), with the email the upstream gave and whether it vouched for it, and first and last
 * use. For Microsoft the issuer names the Entra tenant (`tid`) and the subject is the `oid`, so
 * the key is (tid, oid), stable across that user's apps.
 */
import { iso } from "../../../src/clock.ts";
import { randomToken } from "../../../src/crypto/random.ts";
import type { TenantCtx } from "../context.ts";
import { all, one, run } from "../sql.ts";

export interface IdentityRow {
  id: string;
  user_id: string;
  provider_id: string;
  issuer: string;
  subject: string;
  email: string | null;
  email_verified: number;
  created_at: number;
  last_used_at: number;
}

/** Who the upstream says signed in, after every check. */
export interface UpstreamProfile {
  issuer: string;
  subject: string;
  email: string | null;
  /** The upstream vouches that this person controls `email` (per preset: see flows/idp.ts). */
  emailVerified: boolean;
}

export const IDENTITY_ID_RE = /^idn_[A-Za-z0-9_-]{22}$/;

export function findIdentity(sql: SqlStorage, providerId: string, p: Pick<UpstreamProfile, "issuer" | "subject">): IdentityRow | null {
  return one<IdentityRow>(sql, "SELECT * FROM identities WHERE provider_id = ? AND issuer = ? AND subject = ?", providerId, p.issuer, p.subject);
}

export const identitiesOf = (sql: SqlStorage, userId: string): IdentityRow[] => all<IdentityRow>(sql, "SELECT * FROM identities WHERE user_id = ? ORDER BY created_at, id", userId);

export function getIdentity(sql: SqlStorage, id: string): IdentityRow | null {
  return IDENTITY_ID_RE.test(id) ? one<IdentityRow>(sql, "SELECT * FROM identities WHERE id = ?", id) : null;
}

export function linkIdentity(ctx: TenantCtx, userId: string, providerId: string, p: UpstreamProfile): IdentityRow {
  const id = `idn_${randomToken(16)}`;
  ctx.sql.exec(
    "INSERT INTO identities (id, user_id, provider_id, issuer, subject, email, email_verified, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    id, userId, providerId, p.issuer, p.subject, p.email, p.emailVerified ? 1 : 0, ctx.now, ctx.now,
  );
  return getIdentity(ctx.sql, id)!;
}

/** A sign-in through the identity: the last use, and the email as the upstream gives it now. */
export function touchIdentity(ctx: TenantCtx, row: IdentityRow, p: UpstreamProfile): void {
  ctx.sql.exec("UPDATE identities SET last_used_at = ?, email = ?, email_verified = ? WHERE id = ?", ctx.now, p.email, p.emailVerified ? 1 : 0, row.id);
}

export const unlinkIdentity = (ctx: TenantCtx, id: string): boolean => run(ctx.sql, "DELETE FROM identities WHERE id = ?", id) > 0;

export const unlinkAllIdentities = (ctx: TenantCtx, userId: string): number => run(ctx.sql, "DELETE FROM identities WHERE user_id = ?", userId);

export interface PublicIdentity {
  id: string;
  provider: string;
  issuer: string;
  subject: string;
  email: string | null;
  email_verified: boolean;
  created_at: string;
  last_used_at: string;
}

export const toPublicIdentity = (r: IdentityRow): PublicIdentity => ({
  id: r.id,
  provider: r.provider_id,
  issuer: r.issuer,
  subject: r.subject,
  email: r.email,
  email_verified: r.email_verified === 1,
  created_at: iso(r.created_at)!,
  last_used_at: iso(r.last_used_at)!,
});
