/**
 * @module One-time tokens (magic link, password reset, email verification, MFA challenge, step-up link,
 * WebSocket ticket, WebAuthn challenge): 256 random bits handed out once, stored only as SHA-256, single use,
 * short-lived.
 */
import { sha256B64 } from "../../src/crypto/digest.ts";
import { randomToken } from "../../src/crypto/random.ts";
import { due, type TenantCtx } from "./context.ts";
import { one } from "./sql.ts";
import type { UserRow } from "./users.ts";

export type Purpose =
  | "magic_link"
  | "password_reset"
  | "email_verify"
  | "mfa_challenge"
  | "reauth"
  | "event_ticket"
  | "idp_state"
  | "idp_link"
  | WebauthnPurpose;

/** A WebAuthn challenge, one purpose per ceremony, so a challenge made for one cannot finish another (passkeys/ceremony.ts). */
export type WebauthnPurpose = "webauthn_register" | "webauthn_signup" | "webauthn_login" | "webauthn_mfa" | "webauthn_reauth";

/** WebAuthn challenges: five minutes, the ceremony's timeout (L3 section 13.4.3 recommends single use and a short life). */
const WEBAUTHN_TTL_S = 5 * 60;

export const TTL_S: Record<Purpose, number> = {
  magic_link: 15 * 60,
  password_reset: 30 * 60,
  email_verify: 30 * 60,
  mfa_challenge: 5 * 60,
  /** A step-up link (POST /reauth/magic-link): out-of-band, so at most 10 minutes (ASVS 5.0 V6.5.5). */
  reauth: 10 * 60,
  // `GET /events?ticket=`: long enough to open a socket, short enough to be worthless in a log
  event_ticket: 60,
  webauthn_register: WEBAUTHN_TTL_S,
  webauthn_signup: WEBAUTHN_TTL_S,
  webauthn_login: WEBAUTHN_TTL_S,
  webauthn_mfa: WEBAUTHN_TTL_S,
  webauthn_reauth: WEBAUTHN_TTL_S,
  /** An upstream sign-in under way: the `state` sent to the provider (flows/idp.ts). */
  idp_state: 10 * 60,
  /** An upstream identity waiting for the owner of the matching verified account to sign in and confirm. */
  idp_link: 15 * 60,
};

export interface OneTimeRow {
  hash: string;
  purpose: Purpose;
  user_id: string | null;
  email: string | null;
  data: string | null;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

export function createOneTimeToken(ctx: TenantCtx, purpose: Purpose, o: { userId?: string | null; email?: string | null; data?: unknown }): { token: string; expiresAt: number } {
  const token = randomToken(32);
  const expiresAt = ctx.now + TTL_S[purpose] * 1000;
  ctx.sql.exec(
    "INSERT INTO one_time_tokens (hash, purpose, user_id, email, data, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    sha256B64(token), purpose, o.userId ?? null, o.email ?? null, o.data === undefined ? null : JSON.stringify(o.data), ctx.now, expiresAt,
  );
  due(ctx, expiresAt);
  return { token, expiresAt };
}

/** Marks the token used and returns it; null if unknown, of another purpose, used or expired. */
export function consumeOneTimeToken(ctx: TenantCtx, purpose: Purpose, token: string): OneTimeRow | null {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const row = one<OneTimeRow>(ctx.sql, "SELECT * FROM one_time_tokens WHERE hash = ? AND purpose = ?", sha256B64(token), purpose);
  if (!row || row.consumed_at !== null || ctx.now >= row.expires_at) return null;
  ctx.sql.exec("UPDATE one_time_tokens SET consumed_at = ? WHERE hash = ?", ctx.now, row.hash);
  return row;
}

/** Looks at a token without using it (an MFA challenge survives a wrong code). */
export function peekOneTimeToken(sql: SqlStorage, purpose: Purpose, token: string, now: number): OneTimeRow | null {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const row = one<OneTimeRow>(sql, "SELECT * FROM one_time_tokens WHERE hash = ? AND purpose = ?", sha256B64(token), purpose);
  return row && row.consumed_at === null && now < row.expires_at ? row : null;
}

/** An MFA challenge, bound to the user and their current secret version. */
export function createChallenge(ctx: TenantCtx, user: UserRow): string {
  return createOneTimeToken(ctx, "mfa_challenge", { userId: user.id, data: { ver: user.secret_version } }).token;
}
