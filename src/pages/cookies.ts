/**
 * @module The hosted pages' two cookies. The sign-in cookie holds 256 random bits bound (by
 * SHA-256, in the tenant object) to one Warden session; the CSRF cookie holds 256 random bits
 * whose MAC every form carries (signed double submit). Both HttpOnly and SameSite=Lax (a
 * top-level navigation from an app to /oauth/authorize carries them, a cross-site POST does
 * not). Over https they take the `__Host-` prefix (Secure, no Domain, Path=/: no sibling
 * subdomain can set or shadow them); only on loopback http, for local development, do they go
 * without Secure, and the sign-in cookie is then scoped to the tenant's path.
 */
import type { Context } from "hono";
import { getCookie, setCookie, deleteCookie } from "hono/cookie";
import { sha256B64 } from "../crypto/digest.ts";
import { randomToken } from "../crypto/random.ts";

const LOOPBACK = new Set(["127.0.0.1", "[::1]", "localhost"]);

/** Secure cookies everywhere except plain http on a loopback address (RFC 8252's development case). */
export function isSecureContext(url: string): boolean {
  const u = new URL(url);
  return !(u.protocol === "http:" && LOOPBACK.has(u.hostname));
}

interface CookieSpec {
  name: string;
  path: string;
  secure: boolean;
}

export function sessionCookie(c: Context, slug: string): CookieSpec {
  const secure = isSecureContext(c.req.url);
  return secure ? { name: `__Host-warden_${slug}`, path: "/", secure } : { name: `warden_${slug}`, path: `/v1/${slug}/`, secure };
}

export function csrfCookie(c: Context): CookieSpec {
  const secure = isSecureContext(c.req.url);
  return { name: secure ? "__Host-warden_csrf" : "warden_csrf", path: "/", secure };
}

const read = (c: Context, spec: CookieSpec): string | null => {
  const v = getCookie(c, spec.name);
  return v && /^[A-Za-z0-9_-]{43}$/.test(v) ? v : null;
};

/** SHA-256 of the browser's sign-in cookie (what the tenant object stores), or null without one. */
export function sessionCookieHash(c: Context, slug: string): string | null {
  const v = read(c, sessionCookie(c, slug));
  return v ? sha256B64(v) : null;
}

/** A new sign-in cookie value and its hash; `setSessionCookie` sends it once the object has bound it. */
export function newSessionCookie(): { value: string; hash: string } {
  const value = randomToken(32);
  return { value, hash: sha256B64(value) };
}

export function setSessionCookie(c: Context, slug: string, value: string, maxAgeS: number): void {
  const s = sessionCookie(c, slug);
  setCookie(c, s.name, value, { path: s.path, secure: s.secure, httpOnly: true, sameSite: "Lax", maxAge: Math.max(0, Math.floor(maxAgeS)) });
}

export function clearSessionCookie(c: Context, slug: string): void {
  const s = sessionCookie(c, slug);
  deleteCookie(c, s.name, { path: s.path, secure: s.secure, httpOnly: true, sameSite: "Lax" });
}

/** The browser's CSRF cookie, set now if it has none (a page GET always calls this before rendering a form). */
export function ensureCsrfCookie(c: Context): string {
  const spec = csrfCookie(c);
  const have = read(c, spec);
  if (have) return have;
  const value = randomToken(32);
  setCookie(c, spec.name, value, { path: spec.path, secure: spec.secure, httpOnly: true, sameSite: "Lax" });
  return value;
}

export const csrfCookieValue = (c: Context): string | null => read(c, csrfCookie(c));

/**
 * The upstream sign-in's state cookie (flows/idp.ts binds the `state` to its hash) and the
 * pending-link cookie. Scoped to the tenant's path and short-lived. Over https the state cookie
 * is SameSite=None, so that Apple's form_post callback (a cross-site POST) carries it; the
 * state itself is single use and lives on the server, so the cookie only says "same browser".
 */
export function idpCookie(c: Context, slug: string, kind: "state" | "link"): CookieSpec & { sameSite: "None" | "Lax" } {
  const secure = isSecureContext(c.req.url);
  const name = `${secure ? "__Secure-" : ""}warden_idp_${kind}_${slug}`;
  return { name, path: `/v1/${slug}/`, secure, sameSite: secure && kind === "state" ? "None" : "Lax" };
}

export function setIdpCookie(c: Context, slug: string, kind: "state" | "link", value: string, maxAgeS: number): void {
  const s = idpCookie(c, slug, kind);
  setCookie(c, s.name, value, { path: s.path, secure: s.secure, httpOnly: true, sameSite: s.sameSite, maxAge: maxAgeS });
}

/** The cookie's raw value (a 256-bit token), or null. */
export const idpCookieValue = (c: Context, slug: string, kind: "state" | "link"): string | null => read(c, idpCookie(c, slug, kind));

export function clearIdpCookie(c: Context, slug: string, kind: "state" | "link"): void {
  const s = idpCookie(c, slug, kind);
  deleteCookie(c, s.name, { path: s.path, secure: s.secure, httpOnly: true, sameSite: s.sameSite });
}
