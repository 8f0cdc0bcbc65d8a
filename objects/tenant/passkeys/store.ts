/**
 * @module The `passkeys` table and each user's WebAuthn user handle. A row is one credential
 * (WebAuthn L3 section 4 "credential record"): its id, COSE public key, sign counter,
 * transports, backup flags and AAGUID, with a name the user chose. The user handle is 256
 * random bits made at the first registration, never the user id or the email (L3 section
 * 14.6.1: authenticators may show it and keep it after the account is gone).
 */
import { iso } from "../../../src/clock.ts";
import { randomToken } from "../../../src/crypto/random.ts";
import type { TenantCtx } from "../context.ts";
import { all, one, run } from "../sql.ts";

export interface PasskeyRow {
  id: string;
  user_id: string;
  /** base64url, as the browser's `credential.id`. */
  credential_id: string;
  /** base64url of the COSE_Key. */
  public_key: string;
  counter: number;
  /** JSON array of AuthenticatorTransport values. */
  transports: string;
  backup_eligible: number;
  backed_up: number;
  aaguid: string;
  name: string;
  created_at: number;
  last_used_at: number | null;
}

/** Passkey ids are `pk_` and 16 base64url characters; anything else is a passkey that does not exist. */
export const PASSKEY_ID_RE = /^pk_[A-Za-z0-9_-]{16}$/;

export interface PublicPasskey {
  id: string;
  name: string;
  created_at: string;
  last_used_at: string | null;
  transports: string[];
  backup_eligible: boolean;
  backed_up: boolean;
  aaguid: string;
}

export interface NewPasskey {
  credentialId: string;
  publicKey: string;
  counter: number;
  transports: string[];
  backupEligible: boolean;
  backedUp: boolean;
  aaguid: string;
}

export const toPublicPasskey = (p: PasskeyRow): PublicPasskey => ({
  id: p.id,
  name: p.name,
  created_at: iso(p.created_at)!,
  last_used_at: iso(p.last_used_at),
  transports: JSON.parse(p.transports),
  backup_eligible: p.backup_eligible === 1,
  backed_up: p.backed_up === 1,
  aaguid: p.aaguid,
});

export function listPasskeys(sql: SqlStorage, userId: string): PasskeyRow[] {
  return all<PasskeyRow>(sql, "SELECT * FROM passkeys WHERE user_id = ? ORDER BY created_at, id", userId);
}

export function hasPasskeys(sql: SqlStorage, userId: string): boolean {
  return one(sql, "SELECT 1 AS x FROM passkeys WHERE user_id = ? LIMIT 1", userId) !== null;
}

export function getPasskey(sql: SqlStorage, id: string): PasskeyRow | null {
  return one<PasskeyRow>(sql, "SELECT * FROM passkeys WHERE id = ?", id);
}

export function findByCredentialId(sql: SqlStorage, credentialId: string): PasskeyRow | null {
  return one<PasskeyRow>(sql, "SELECT * FROM passkeys WHERE credential_id = ?", credentialId);
}

/** A default name the user can change: "Passkey 2", counting the user's passkeys. */
function defaultName(sql: SqlStorage, userId: string): string {
  const n = one<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM passkeys WHERE user_id = ?", userId)!.n;
  return `Passkey ${n + 1}`;
}

export function insertPasskey(ctx: TenantCtx, userId: string, p: NewPasskey, name: string | null): PasskeyRow {
  const id = `pk_${randomToken(12)}`;
  ctx.sql.exec(
    `INSERT INTO passkeys (id, user_id, credential_id, public_key, counter, transports, backup_eligible, backed_up, aaguid, name, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    id, userId, p.credentialId, p.publicKey, p.counter, JSON.stringify(p.transports), p.backupEligible ? 1 : 0, p.backedUp ? 1 : 0, p.aaguid, name ?? defaultName(ctx.sql, userId), ctx.now,
  );
  return getPasskey(ctx.sql, id)!;
}

/** After a verified assertion: the new counter, the backup state the authenticator reports now, the time. */
export function recordUse(ctx: TenantCtx, id: string, counter: number, backedUp: boolean): void {
  ctx.sql.exec("UPDATE passkeys SET counter = ?, backed_up = ?, last_used_at = ? WHERE id = ?", counter, backedUp ? 1 : 0, ctx.now, id);
}

export function renamePasskey(ctx: TenantCtx, id: string, name: string): void {
  ctx.sql.exec("UPDATE passkeys SET name = ? WHERE id = ?", name, id);
}

export function deletePasskey(ctx: TenantCtx, id: string): boolean {
  return run(ctx.sql, "DELETE FROM passkeys WHERE id = ?", id) > 0;
}

/** Every passkey of the user (claims, deletion); the number removed. */
export function deleteUserPasskeys(ctx: TenantCtx, userId: string): number {
  return run(ctx.sql, "DELETE FROM passkeys WHERE user_id = ?", userId);
}

/** The user's WebAuthn user handle (base64url), made now if they have none. Inside the transaction. */
export function userHandle(ctx: TenantCtx, userId: string): string {
  const h = one<{ webauthn_handle: string | null }>(ctx.sql, "SELECT webauthn_handle FROM users WHERE id = ?", userId)?.webauthn_handle;
  if (h) return h;
  const handle = randomToken(32);
  ctx.sql.exec("UPDATE users SET webauthn_handle = ? WHERE id = ?", handle, userId);
  return handle;
}

export function userIdByHandle(sql: SqlStorage, handle: string): string | null {
  return one<{ id: string }>(sql, "SELECT id FROM users WHERE webauthn_handle = ?", handle)?.id ?? null;
}

/** A new account's handle, chosen when its sign-up options were made. */
export function setUserHandle(ctx: TenantCtx, userId: string, handle: string): void {
  ctx.sql.exec("UPDATE users SET webauthn_handle = ? WHERE id = ?", handle, userId);
}
