/**
 * @module Lockout and rate limits, counted in the tenant object inside the same synchronous
 * transaction that decides, so parallel guesses cannot slip past a limit. A login attempt is
 * counted as a failure when it *starts* (before the Worker verifies the password) and cleared
 * when it succeeds: 50 parallel guesses see the counter rise one by one and all but the
 * allowed number are refused before any hash is checked.
 *
 * What a guess is counted against (its *subject*):
 * - a password login: the identifier it names, `login:email:{email}` or
 *   `login:username:{username}` (`loginKey`), the same key whether or not an account has it.
 *   A lock reached through the email therefore says nothing about the username (counting per
 *   account would show 423 on both and so tell anyone which username goes with an email);
 *   the price is one budget per identifier, so an account with both has two;
 * - a check that already names the account (the code of an MFA login, the current password of
 *   `PATCH`/`DELETE /me`, `DELETE /mfa/totp`, a re-authentication): `acct:{user id}`
 *   (`accountKey`). A password login honours that lock too (`lockOf`), without counting
 *   toward it: only someone who already holds the password or a token can set it, so it
 *   links nothing a stranger did not know, and a stolen token's guesses cannot move on to
 *   the login form with a fresh budget.
 * A reset or an operator unlock clears all of an account's subjects (`clearLockout`).
 */
import { fail, type Failure } from "../../src/errors.ts";
import { ipBucket } from "../../src/http/client-ip.ts";
import type { TenantCtx } from "./context.ts";
import type { UserRow } from "./users.ts";
import { one, run } from "./sql.ts";

interface AttemptRow {
  key: string;
  count: number;
  window_start: number;
  locked_until: number | null;
}

/** `turnstile`: past the hard limit, the subject needs a verified Turnstile token instead. */
export type Gate = { ok: true } | { ok: false; retryAfter: number | null; turnstile?: true };

/** Turnstile at the request: whether the Worker can verify a token, and whether this request carried a verified one. */
export interface Challenge {
  available: boolean;
  verified: boolean;
}

/**
 * Lockout of one subject: after `threshold` consecutive failures a
 * delay that doubles from `base_s` up to `max_s`. At `hard_limit`:
 * - with `challenge.available` (a password login, Turnstile configured) the subject escalates
 *   to Turnstile instead of locking: requests without a verified token are refused
 *   (`turnstile_required`), those with one go on under the delay. Someone who knows only an
 *   email can no longer keep its owner out with ~95 paced guesses; a person gets through, a
 *   script has to solve a challenge per guess, and the delay still bounds the pace;
 * - otherwise the subject stays locked, with no Retry-After, until a reset or an unlock.
 * One function for every check of a secret: login, MFA, the password re-checks, re-authentication.
 */
export function reserveAttempt(ctx: TenantCtx, key: string, challenge: Challenge = NO_CHALLENGE): Gate {
  const l = ctx.settings.lockout;
  const row = one<AttemptRow>(ctx.sql, "SELECT * FROM attempts WHERE key = ?", key);
  const held = gateOf(ctx, row, challenge);
  if (!held.ok) return held;
  const next = (row?.count ?? 0) + 1;
  const lockedUntil = next >= l.threshold ? ctx.now + Math.min(l.max_s, l.base_s * 2 ** (next - l.threshold)) * 1000 : null;
  ctx.sql.exec(
    `INSERT INTO attempts (key, count, window_start, locked_until, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET count = excluded.count, locked_until = excluded.locked_until, updated_at = excluded.updated_at`,
    key, next, ctx.now, lockedUntil, ctx.now,
  );
  return { ok: true };
}

const NO_CHALLENGE: Challenge = { available: false, verified: false };

function gateOf(ctx: TenantCtx, row: AttemptRow | null, challenge: Challenge): Gate {
  const count = row?.count ?? 0;
  if (count >= ctx.settings.lockout.hard_limit && !challenge.verified) return challenge.available ? { ok: false, retryAfter: null, turnstile: true } : { ok: false, retryAfter: null };
  if (row?.locked_until && ctx.now < row.locked_until) return { ok: false, retryAfter: Math.ceil((row.locked_until - ctx.now) / 1000) };
  return { ok: true };
}

/** Whether the subject is locked now, without counting an attempt (a login also honours its account's lock). */
export function lockOf(ctx: TenantCtx, key: string): Gate {
  return gateOf(ctx, one<AttemptRow>(ctx.sql, "SELECT * FROM attempts WHERE key = ?", key), NO_CHALLENGE);
}

export function failureCount(sql: SqlStorage, key: string): number {
  return one<{ count: number }>(sql, "SELECT count FROM attempts WHERE key = ?", key)?.count ?? 0;
}

/** The failure a refused `reserveAttempt` answers: 423 `locked` (with Retry-After while a delay runs) or 400 `turnstile_required`. */
export function lockedOut(g: Extract<Gate, { ok: false }>): { ok: false; error: Failure } {
  if (g.turnstile) return fail("turnstile_required", "Too many failed attempts: complete the Turnstile challenge.");
  return fail("locked", undefined, g.retryAfter === null ? {} : { retryAfter: g.retryAfter });
}

export function clearAttempts(ctx: TenantCtx, key: string): boolean {
  return run(ctx.sql, "DELETE FROM attempts WHERE key = ?", key) > 0;
}

/** Clears every subject of the account (a reset, an operator unlock); true when one was counting. */
export function clearLockout(ctx: TenantCtx, user: Pick<UserRow, "id" | "email_norm" | "username_norm">): boolean {
  const keys = [accountKey(user.id)];
  if (user.email_norm) keys.push(loginKey({ kind: "email", value: user.email_norm }));
  if (user.username_norm) keys.push(loginKey({ kind: "username", value: user.username_norm }));
  return run(ctx.sql, "DELETE FROM attempts WHERE key IN (SELECT value FROM json_each(?))", JSON.stringify(keys)) > 0;
}

/** Fixed-window counter: `limit` hits per `windowS` per key. */
export function rateLimit(ctx: TenantCtx, key: string, limit: number, windowS: number): Gate {
  const row = one<AttemptRow>(ctx.sql, "SELECT * FROM attempts WHERE key = ?", key);
  const windowMs = windowS * 1000;
  if (row && ctx.now - row.window_start < windowMs) {
    if (row.count >= limit) return { ok: false, retryAfter: Math.max(1, Math.ceil((row.window_start + windowMs - ctx.now) / 1000)) };
    ctx.sql.exec("UPDATE attempts SET count = count + 1, updated_at = ? WHERE key = ?", ctx.now, key);
  } else {
    ctx.sql.exec(
      `INSERT INTO attempts (key, count, window_start, updated_at) VALUES (?, 1, ?, ?)
       ON CONFLICT (key) DO UPDATE SET count = 1, window_start = excluded.window_start, updated_at = excluded.updated_at`,
      key, ctx.now, ctx.now,
    );
  }
  return { ok: true };
}

/** The subject of checks that already name the account. */
export const accountKey = (userId: string) => `acct:${userId}`;

/** The subject of a password login: the identifier as normalised, known or not. */
export const loginKey = (login: { kind: "email" | "username"; value: string }) => `login:${login.kind}:${login.value}`;

/** A per-IP counter's key: `{name}:ip:{bucket}`, the bucket being the Worker shield's (IPv6 by /64, invalid → `unknown`). */
export const ipKey = (name: string, ip: string | null) => `${name}:ip:${ipBucket(ip)}`;
