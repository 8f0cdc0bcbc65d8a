/**
 * @module Per-client CORS on the OAuth endpoints a single-page app calls (token, userinfo,
 * revocation): an origin may read an answer when it is the origin of a redirect URI of the
 * public client concerned (the object names them, `corsOrigins`), or allowed by
 * ALLOWED_ORIGINS. A preflight carries no credentials, so it is allowed when any public
 * client of the tenant runs on that origin; the real request is then held to its own client.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env.ts";

/** The deployment-wide ALLOWED_ORIGINS rule, the same as the global CORS middleware's. */
export function allowedByEnv(env: AppEnv["Bindings"], origin: string): boolean {
  const allowed = (env.ALLOWED_ORIGINS ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  return allowed.includes("*") || allowed.includes(origin);
}

/** Paths (under /v1/{tenant}) served by this middleware instead of the global one. */
export const CLIENT_CORS_PATH = /^\/v1\/[^/]+\/(oauth\/token|oauth\/userinfo|revoke)$/;

export function clientCors(): MiddlewareHandler<AppEnv> {
  return async function clientCors(c, next) {
    const origin = c.req.header("origin");
    if (!origin) return next();
    if (c.req.method === "OPTIONS") {
      const ok = allowedByEnv(c.env, origin) || (await c.get("tenant").corsAllowed({ origin }));
      c.header("Vary", "Origin");
      if (ok) {
        c.header("Access-Control-Allow-Origin", origin);
        c.header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
        c.header("Access-Control-Allow-Headers", "Authorization, Content-Type");
        c.header("Access-Control-Max-Age", "600");
      }
      return c.body(null, 204);
    }
    await next();
    c.res.headers.append("Vary", "Origin");
    if (allowedByEnv(c.env, origin) || (c.get("corsOrigins") ?? []).includes(origin)) {
      c.res.headers.set("Access-Control-Allow-Origin", origin);
      c.res.headers.set("Access-Control-Expose-Headers", "WWW-Authenticate, Retry-After");
    }
  };
}
