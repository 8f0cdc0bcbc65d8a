/**
 * @module The ways an account can still be signed in to, for the rule that the last one
 * cannot be removed by the user: a password, a passkey, or a verified email (a magic link
 * reaches it; Warden has no per-tenant switch for magic links, so a verified address always
 * counts). Linked upstream identities join this list when they land. Operators are not held
 * to it (they do the identity proofing; see users-admin.ts).
 */
import { one } from "./sql.ts";
import type { UserRow } from "./users.ts";

/** How many ways in the account keeps once `without` (a passkey id) is gone. */
export function waysInWithout(sql: SqlStorage, user: Pick<UserRow, "id" | "email_norm" | "email_verified">, without: { passkey?: string }): number {
  const password = one(sql, "SELECT 1 AS x FROM credentials WHERE user_id = ?", user.id) !== null ? 1 : 0;
  const passkeys = one<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM passkeys WHERE user_id = ? AND id != ?", user.id, without.passkey ?? "")!.n;
  const email = user.email_norm && user.email_verified === 1 ? 1 : 0;
  return password + passkeys + email;
}
