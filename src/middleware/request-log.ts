/**
 * @module One JSON log line per request: request id, tenant, route, status, duration. The
 * request id is taken from `X-Request-Id` when it looks sane, else made here, and echoed back.
 */
import type { MiddlewareHandler } from "hono";
import { logger } from "../log.ts";
import type { AppEnv } from "../app-env.ts";

export function requestLog(): MiddlewareHandler<AppEnv> {
  return async function requestLog(c, next) {
    const started = performance.now();
    const incoming = c.req.header("x-request-id");
    const id = incoming && /^[A-Za-z0-9._-]{1,64}$/.test(incoming) ? incoming : crypto.randomUUID();
    const log = logger(c.env.LOG_LEVEL);
    c.set("requestId", id);
    c.set("log", log);
    await next();
    c.res.headers.set("X-Request-Id", id);
    const status = c.res.status;
    const fields = {
      request_id: id,
      method: c.req.method,
      route: c.req.routePath,
      tenant: c.get("slug") ?? null,
      status,
      duration_ms: Math.round((performance.now() - started) * 100) / 100,
    };
    if (status >= 500) log.error("request", fields);
    else log.info("request", fields);
  };
}
