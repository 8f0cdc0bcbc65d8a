/**
 * @module Account claims: proving ownership of an address without the account's credentials
 * (a magic link, a password reset, an upstream identity provider's verified email) on
 * an account whose email was never verified makes the prover its owner. Anyone can create an
 * account with someone else's address and a password, enrol a factor, keep a session open,
 * and wait for the owner to arrive by link (account pre-hijacking: the "classic federated
 * merge" and "unexpired session" attacks of Sudhodanan & Paverd, 2022). So a claim removes
 * everything set before the proof: every session ends (the secret rotates, `user.revoked`
 * with reason `account_claimed`), every credential and standing grant goes, the email counts
 * as verified, and the prover then sets a password or adds a factor. A verified account is
 * never claimed: there, a proof is an ordinary sign-in or reset.
 */
import { clearLockout } from "./attempts.ts";
import { audit } from "./audit.ts";
import type { RequestMeta, TenantCtx } from "./context.ts";
import { unlinkAllIdentities } from "./idp/identities.ts";
import { deleteMfa } from "./mfa.ts";
import { deleteUserPasskeys } from "./passkeys/store.ts";
import { run } from "./sql.ts";
import { rotateSecret, type UserRow } from "./users.ts";

/** How the prover showed they own the address. */
export type ClaimProof = "magic_link" | "password_reset" | "upstream_idp";

export interface ClaimInput {
  via: ClaimProof;
  /** A fresh user secret, sealed before the transaction (`rt.newSecret`); the caller remembers its bytes after the commit. */
  sealedSecret: string;
  meta: RequestMeta;
}

/**
 * What an account can hold that lets someone sign in as the user or act for them, one step per
 * kind; each returns how many rows it removed. Any new table of that sort (passkeys, linked
 * upstream identities, OAuth grants and their refresh tokens, ...) MUST add its step here, or
 * whoever set it up before the owner arrived keeps it through the claim. Sessions are not a
 * step: rotating the secret ends them all at once.
 */
const REMOVE: Readonly<Record<string, (ctx: TenantCtx, userId: string) => number>> = {
  password: (ctx, id) => run(ctx.sql, "DELETE FROM credentials WHERE user_id = ?", id),
  /** TOTP (pending or confirmed) and every recovery code. */
  mfa: (ctx, id) => deleteMfa(ctx, id),
  /** Set by PATCH /me; its link went to an address the prover does not necessarily own. */
  pending_email: (ctx, id) => run(ctx.sql, "UPDATE users SET pending_email = NULL, pending_email_norm = NULL WHERE id = ? AND pending_email_norm IS NOT NULL", id),
  /** Links, resets, verifications and MFA challenges still open; the proof itself is already spent. */
  one_time_tokens: (ctx, id) => run(ctx.sql, "DELETE FROM one_time_tokens WHERE user_id = ? AND consumed_at IS NULL", id),
  /** Passkeys: whoever registered one before the owner arrived could sign in with it for good. */
  passkeys: (ctx, id) => deleteUserPasskeys(ctx, id),
  /** Upstream identities linked before the proof (the proving one, if any, is linked after the claim). */
  linked_identities: (ctx, id) => unlinkAllIdentities(ctx, id),
  /**
   * The rotation above has already ended every grant of the user (sessions.ts →
   * endGrantsOfUser) with its refresh chain; this removes them, counting what was there.
   * Consent records, if any, are the hosted pages' own step.
   */
  oauth_grants: (ctx, id) => run(ctx.sql, "DELETE FROM grants WHERE user_id = ?", id),
};

/**
 * Inside the caller's transaction, after it has spent its proof and re-read `user`. Returns the
 * new secret version when the account was claimed, or null when its email was already
 * verified (then nothing happens). The caller goes on with what its proof does (sign in, set
 * the new password) with the fresh secret for a claimed account.
 */
export function claimAccount(ctx: TenantCtx, user: UserRow, claim: ClaimInput): number | null {
  if (user.email_verified === 1 || !user.email_norm) return null;
  const removed: string[] = [];
  for (const [kind, step] of Object.entries(REMOVE)) if (step(ctx, user.id) > 0) removed.push(kind);
  const ver = rotateSecret(ctx, user, claim.sealedSecret, "account_claimed");
  ctx.sql.exec("UPDATE users SET email_verified = 1, updated_at = ? WHERE id = ?", ctx.now, user.id);
  // A lockout counted guesses at a password that no longer exists.
  clearLockout(ctx, user);
  audit(ctx, { type: "account.claimed", userId: user.id, meta: claim.meta, data: { via: claim.via, removed, ver } });
  return ver;
}
