/**
 * @module Authorization codes (RFC 6749 section 4.1.2, OAuth 2.1 section 4.1.2): 256 random
 * bits, stored only as SHA-256, single use, valid 60 seconds, bound to the client, the
 * redirect URI, the PKCE challenge and the Warden session they were issued under. Issued by
 * the authorization endpoint inside its transaction; redeemed by the token endpoint. A code
 * presented a second time is refused and every token issued from it revoked.
 */
import { sha256B64 } from "../../../src/crypto/digest.ts";
import { randomToken } from "../../../src/crypto/random.ts";
import { due, type TenantCtx } from "../context.ts";
import { one } from "../sql.ts";

/** OAuth 2.1 section 4.1.2 recommends at most 10 minutes; a browser redirect needs seconds. */
export const CODE_TTL_MS = 60_000;

export interface CodeRequest {
  clientId: string;
  redirectUri: string;
  /** The S256 `code_challenge` (RFC 7636 section 4.2); `plain` is refused before this. */
  codeChallenge: string;
  scope: string[];
  nonce: string | null;
  sessionId: string;
  userId: string;
  /** Milliseconds since the epoch: when the user last authenticated in that session. */
  authTime: number;
  /** RFC 8707 resource indicator, the access token's audience. */
  resource: string | null;
  /** OIDC Core section 5.5 `claims` request, kept as sent. */
  claims?: unknown;
}

export interface CodeRow {
  hash: string;
  client_id: string;
  redirect_uri: string;
  code_challenge: string;
  scope: string;
  nonce: string | null;
  session_id: string;
  user_id: string;
  auth_time: number;
  resource: string | null;
  claims: string | null;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
  grant_id: string | null;
}

/** Synchronous, inside the caller's transaction. Returns the code, which exists nowhere else. */
export function issueAuthorizationCode(ctx: TenantCtx, c: CodeRequest): string {
  const code = randomToken(32);
  const expires = ctx.now + CODE_TTL_MS;
  ctx.sql.exec(
    `INSERT INTO authorization_codes (hash, client_id, redirect_uri, code_challenge, scope, nonce, session_id, user_id, auth_time, resource, claims, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    sha256B64(code), c.clientId, c.redirectUri, c.codeChallenge, c.scope.join(" "), c.nonce, c.sessionId, c.userId, c.authTime, c.resource,
    c.claims === undefined ? null : JSON.stringify(c.claims), ctx.now, expires,
  );
  // The alarm purges it (a consumed code is kept until then, so a replay is recognised).
  due(ctx, expires + CODE_KEPT_MS);
  return code;
}

/** Consumed and expired codes stay this long so that a replay still finds its grant to revoke. */
export const CODE_KEPT_MS = 10 * 60_000;

export function findCode(sql: SqlStorage, code: string): CodeRow | null {
  if (!/^[A-Za-z0-9_-]{43}$/.test(code)) return null;
  return one<CodeRow>(sql, "SELECT * FROM authorization_codes WHERE hash = ?", sha256B64(code));
}

export function consumeCode(ctx: TenantCtx, row: CodeRow, grantId: string): void {
  ctx.sql.exec("UPDATE authorization_codes SET consumed_at = ?, grant_id = ? WHERE hash = ?", ctx.now, grantId, row.hash);
}

/** Alarm job: codes past their keeping time. */
export function purgeCodes(sql: SqlStorage, now: number, limit: number): number {
  return sql.exec("DELETE FROM authorization_codes WHERE hash IN (SELECT hash FROM authorization_codes WHERE expires_at < ? LIMIT ?)", now - CODE_KEPT_MS, limit).rowsWritten;
}
