/**
 * @module CSRF protection for every hosted-page POST: the signed double-submit pattern (OWASP
 * CSRF cheat sheet). The browser holds a random HttpOnly cookie; each form carries the MAC of
 * that cookie under a router key for the tenant. A cross-site attacker can neither read the
 * cookie nor make the MAC, and a cookie planted from elsewhere has no matching field. The check
 * runs before anything else in the handler, so a refused POST changes nothing.
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-env.ts";
import { csrfCookieValue, ensureCsrfCookie } from "./cookies.ts";
import { mac, macMatches } from "./keys.ts";

/** The token for this browser's forms (setting the CSRF cookie first when it has none). */
export function csrfToken(c: Context<AppEnv>): string {
  return mac(c.env.MASTER_KEY, "csrf", c.get("slug"), ensureCsrfCookie(c));
}

/** Constant-time check of the form's token against this browser's cookie. */
export function csrfValid(c: Context<AppEnv>, presented: string | undefined): boolean {
  const cookie = csrfCookieValue(c);
  return !!cookie && macMatches(c.env.MASTER_KEY, "csrf", c.get("slug"), cookie, presented);
}
