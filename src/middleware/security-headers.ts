/**
 * @module Headers on every response, errors included:
 * - `X-Content-Type-Options: nosniff` always, and `Referrer-Policy: no-referrer` unless the
 *   route set its own (the admin console says `same-origin`: with `no-referrer` a browser
 *   sends `Origin: null` on a form POST, and the console checks `Origin`);
 * - `Content-Security-Policy: default-src 'none'; frame-ancestors 'none'` unless the route set
 *   its own (an HTML page brings the policy it needs): a JSON answer loads nothing and is
 *   framed by nobody;
 * - `Strict-Transport-Security` (RFC 6797) outside development, where Warden is only ever
 *   reached over https; local development runs on plain http, where browsers ignore it anyway
 *   and a stray policy for `localhost` would outlive the session.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env.ts";

export const API_CSP = "default-src 'none'; frame-ancestors 'none'";
/** Two years, the preload list's minimum being one (RFC 6797 section 6.1.1). */
export const HSTS = "max-age=63072000; includeSubDomains";

export function securityHeaders(): MiddlewareHandler<AppEnv> {
  return async function securityHeaders(c, next) {
    await next();
    c.res.headers.set("X-Content-Type-Options", "nosniff");
    if (!c.res.headers.has("Referrer-Policy")) c.res.headers.set("Referrer-Policy", "no-referrer");
    if (!c.res.headers.has("Content-Security-Policy")) c.res.headers.set("Content-Security-Policy", API_CSP);
    if (c.env?.ENVIRONMENT !== "development") c.res.headers.set("Strict-Transport-Security", HSTS);
  };
}
