/**
 * @module The ways an account can still be signed in to, for the rule that the last one
 * cannot be removed by the user: a password, a passkey, a linked upstream identity, or a
 * verified email where the tenant can send it a magic link (its webhook delivery is set up). Operators are not held to it (they do the identity
 * proofing; see users-admin.ts).
 */
import type { TenantCtx } from "./context.ts";
import { one } from "./sql.ts";
import type { UserRow } from "./users.ts";

/** How many ways in the account keeps once `without` (a passkey id or an identity id) is gone. */
export function waysInWithout(ctx: TenantCtx, user: Pick<UserRow, "id" | "email_norm" | "email_verified">, without: { passkey?: string; identity?: string }): number {
  const sql = ctx.sql;
  const d = ctx.settings.delivery;
  const password = one(sql, "SELECT 1 AS x FROM credentials WHERE user_id = ?", user.id) !== null ? 1 : 0;
  const passkeys = one<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM passkeys WHERE user_id = ? AND id != ?", user.id, without.passkey ?? "")!.n;
  const identities = one<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM identities WHERE user_id = ? AND id != ?", user.id, without.identity ?? "")!.n;
  const email = user.email_norm && user.email_verified === 1 && d.webhook_url && d.webhook_secret ? 1 : 0;
  return password + passkeys + identities + email;
}
