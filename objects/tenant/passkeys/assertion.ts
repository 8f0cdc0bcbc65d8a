/**
 * @module A passkey assertion from end to end, shared by sign-in, the second factor and
 * step-up: the per-IP gates, `prepareAssertion` (async, before the transaction: read the
 * clientDataJSON, find the challenge and the credential, check the binding, verify the
 * signature) and `settleAssertion` (inside the transaction: spend the challenge, judge the
 * counter against the value stored now, record the use; or count and audit the failure).
 *
 * Failures are counted per IP (`rate_limits.passkey_failures`) and audited `login.failure`
 * with `method: "webauthn"` and the reason, but never toward the account lockout: an
 * assertion cannot be guessed, and counting it would let anyone lock the owner out.
 */
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import { fail, ok, type Result } from "../../../src/errors.ts";
import { ipKey, rateLimit } from "../attempts.ts";
import { audit } from "../audit.ts";
import type { RequestMeta, TenantCtx } from "../context.ts";
import { consumeOneTimeToken, createOneTimeToken, peekOneTimeToken, type OneTimeRow, type WebauthnPurpose } from "../one-time.ts";
import { one } from "../sql.ts";
import { ceremonyError, counterRegressed, readClientData, verifyAssertion, type Assertion, type Reason, type Verdict } from "./ceremony.ts";
import type { Rp } from "./rp.ts";
import { findByCredentialId, getPasskey, recordUse, type PasskeyRow } from "./store.ts";

const failKey = (meta: RequestMeta) => ipKey("rl:passkey_failures", meta.ip);

/** Challenge creation per IP (every options route). Inside the transaction. */
export function optionsGate(ctx: TenantCtx, meta: RequestMeta): Result<void> {
  const rl = ctx.settings.rate_limits.passkey_options;
  const g = rateLimit(ctx, ipKey("rl:passkey_options", meta.ip), rl.limit, rl.window_s);
  return g.ok ? ok(undefined) : fail("rate_limited", undefined, { retryAfter: g.retryAfter ?? rl.window_s });
}

/** Refuses an IP that has failed too many assertions in the window; read-only, so it may run before the transaction too. */
export function failureGate(ctx: TenantCtx, meta: RequestMeta): Result<void> {
  const rl = ctx.settings.rate_limits.passkey_failures;
  const row = one<{ count: number; window_start: number }>(ctx.sql, "SELECT count, window_start FROM attempts WHERE key = ?", failKey(meta));
  if (!row || ctx.now - row.window_start >= rl.window_s * 1000 || row.count < rl.limit) return ok(undefined);
  return fail("rate_limited", "Too many failed passkey attempts from this address.", { retryAfter: Math.max(1, Math.ceil((row.window_start + rl.window_s * 1000 - ctx.now) / 1000)) });
}

/** A new challenge for `purpose`, bound to the user (null: usernameless) and whatever `data` names. */
export function newChallenge(ctx: TenantCtx, purpose: WebauthnPurpose, userId: string | null, data: Record<string, unknown> = {}): string {
  return createOneTimeToken(ctx, purpose, { userId, data }).token;
}

export interface Prepared {
  purpose: WebauthnPurpose;
  /** The challenge found, when there was one to spend. */
  challenge: OneTimeRow | null;
  token: string | null;
  /** The user the attempt was for (the challenge's, else the credential's), for the audit. */
  userId: string | null;
  verdict: Verdict<{ passkey: PasskeyRow; assertion: Assertion }>;
}

export interface Binding {
  /** The user the challenge must be bound to (second factor, step-up); absent: whoever it names. */
  userId?: string;
  /** Checks the challenge's `data` (e.g. the MFA token or the session it belongs to). */
  data?: (data: Record<string, unknown>) => boolean;
}

/**
 * Everything about an assertion that needs no transaction, in the order of L3 section 7.2:
 * clientDataJSON type and origin, the challenge (of this purpose, unexpired, unspent, bound
 * as `bind` says), the credential (registered, to the challenge's user when it has one; the
 * `userHandle` names its owner), then the signature, RP ID hash and flags.
 */
export async function prepareAssertion(ctx: TenantCtx, rp: Rp, response: AuthenticationResponseJSON, purpose: WebauthnPurpose, bind: Binding = {}): Promise<Prepared> {
  const out = (verdict: Prepared["verdict"], challenge: OneTimeRow | null = null, token: string | null = null, userId: string | null = null): Prepared => ({ purpose, challenge, token, userId, verdict });
  const cd = readClientData(response.response.clientDataJSON, "webauthn.get", rp);
  if (!cd.ok) return out(cd);
  const token = cd.value.challenge;
  const ch = peekOneTimeToken(ctx.sql, purpose, token, ctx.now);
  if (!ch) return out({ ok: false, reason: "challenge" });
  const data = JSON.parse(ch.data ?? "{}") as Record<string, unknown>;
  if ((bind.userId !== undefined && ch.user_id !== bind.userId) || (bind.data && !bind.data(data))) return out({ ok: false, reason: "challenge" }, ch, token, ch.user_id);
  const passkey = findByCredentialId(ctx.sql, response.id);
  const userId = ch.user_id ?? passkey?.user_id ?? null;
  // Bound to a login (with or without an account behind it): only that user's passkeys count.
  if (!passkey || (ch.user_id !== null && passkey.user_id !== ch.user_id) || (data.login === true && ch.user_id === null)) return out({ ok: false, reason: "unknown_credential" }, ch, token, userId);
  const handle = response.response.userHandle;
  if (handle || ch.user_id === null) {
    // L3 section 7.2 step 6: the user handle, when given (always, for a discoverable credential), is the owner's.
    const owner = one<{ webauthn_handle: string | null }>(ctx.sql, "SELECT webauthn_handle FROM users WHERE id = ?", passkey.user_id)?.webauthn_handle;
    if (!handle || handle !== owner) return out({ ok: false, reason: "unknown_credential" }, ch, token, userId);
  }
  const v = await verifyAssertion(rp, response, token, passkey);
  return out(v.ok ? { ok: true, value: { passkey, assertion: v.value } } : v, ch, token, userId);
}

export interface Settled {
  passkey: PasskeyRow;
  userVerified: boolean;
}

/**
 * Inside the transaction. The challenge is spent whatever the outcome (single use); a
 * success also needs the passkey still registered and its counter to have increased over the
 * value stored now, else it is refused and audited `passkey.counter_regressed` (a possible
 * clone, L3 section 6.1.1). A failure counts for the IP and is audited `login.failure`.
 */
export function settleAssertion(ctx: TenantCtx, p: Prepared, o: { via: string; meta: RequestMeta; sessionId?: string }): Result<Settled> {
  const spent = p.token !== null && consumeOneTimeToken(ctx, p.purpose, p.token) !== null;
  let reason: Reason | null = p.verdict.ok ? null : p.verdict.reason;
  let detail = p.verdict.ok ? undefined : p.verdict.detail;
  let settled: Settled | null = null;
  if (p.verdict.ok) {
    const { passkey, assertion } = p.verdict.value;
    const now = getPasskey(ctx.sql, passkey.id);
    if (!spent) reason = "challenge";
    else if (!now || now.user_id !== passkey.user_id) reason = "unknown_credential";
    else if (counterRegressed(now.counter, assertion.counter)) {
      reason = "counter";
      audit(ctx, { type: "passkey.counter_regressed", userId: now.user_id, sessionId: o.sessionId, meta: o.meta, data: { passkey: now.id, stored: now.counter, received: assertion.counter, via: o.via } });
    } else {
      recordUse(ctx, now.id, assertion.counter, assertion.backedUp);
      settled = { passkey: now, userVerified: assertion.userVerified };
    }
  }
  if (settled) return ok(settled);
  rateLimit(ctx, failKey(o.meta), Number.MAX_SAFE_INTEGER, ctx.settings.rate_limits.passkey_failures.window_s);
  audit(ctx, { type: "login.failure", userId: p.userId, sessionId: o.sessionId, meta: o.meta, data: { method: "webauthn", reason, via: o.via } });
  return ceremonyError(reason!, detail);
}

/** RFC 8176 `amr` for a passkey: `pop` (attestation `none` says nothing about where the key lives), `mfa` when the user was verified. */
export const passkeyAmr = (userVerified: boolean): string[] => (userVerified ? ["pop", "mfa"] : ["pop"]);
