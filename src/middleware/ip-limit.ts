/**
 * @module The Workers rate-limiting binding in front of the tenant objects, per client IP, so
 * a flood is turned away before it costs an object any work. The per-route, per-tenant limits
 * are counted in the object itself.
 */
import type { MiddlewareHandler } from "hono";
import { AuthError } from "../errors.ts";
import type { AppEnv } from "../app-env.ts";
import { ipBucket } from "../http/client-ip.ts";

export function ipLimit(): MiddlewareHandler<AppEnv> {
  return async function ipLimit(c, next) {
    const limiter = c.env.IP_LIMITER;
    if (limiter) {
      // The same bucket the object's per-IP counters use (IPv6 by /64; no valid address: one shared bucket).
      const { success } = await limiter.limit({ key: ipBucket(c.req.header("cf-connecting-ip")) });
      if (!success) throw new AuthError("rate_limited", undefined, { retryAfter: 60 });
    }
    await next();
  };
}
