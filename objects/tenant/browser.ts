/**
 * @module The browser's sign-in on the hosted pages: a cookie bound to one ordinary Warden
 * session. Only SHA-256 of the cookie is stored (`sessions.browser_hash`); every use is checked
 * against live state (session live, user active), so any revocation of the session (logout,
 * logout-all, admin revoke, disable, password change, expiry) ends the browser's sign-in too.
 * Each sign-in makes a new session and so a new cookie (no session fixation, ASVS 7.2.4).
 */
import type { TenantCtx } from "./context.ts";
import { isLive, type SessionRow } from "./sessions.ts";
import { one } from "./sql.ts";
import { getUser, type UserRow } from "./users.ts";

/** The cookie is 256 random bits, base64url; its SHA-256 is 43 characters of base64url. */
export const COOKIE_HASH_RE = /^[A-Za-z0-9_-]{43}$/;

export interface BrowserPrincipal {
  session: SessionRow;
  user: UserRow;
}

/** The live session and active user the cookie names, or null. Synchronous, for use inside a transaction. */
export function findBrowserSession(ctx: TenantCtx, cookieHash: string | null): BrowserPrincipal | null {
  if (!cookieHash || !COOKIE_HASH_RE.test(cookieHash)) return null;
  const session = one<SessionRow>(ctx.sql, "SELECT * FROM sessions WHERE browser_hash = ?", cookieHash);
  if (!session || !isLive(session, ctx.now)) return null;
  const user = getUser(ctx.sql, session.user_id);
  if (!user || user.status !== "active") return null;
  return { session, user };
}

/** When the user last authenticated in the session (OIDC `auth_time`): its sign-in, or a later step-up. */
export const authTime = (s: SessionRow): number => s.auth_time || s.created_at;
