/**
 * @module Resolves `/v1/{tenant}` (or the admin API's `/tenants/{slug}`: `param`) to the
 * tenant's Durable Object stub (`getByName(slug)`). A slug that cannot exist is refused here
 * without touching any object.
 */
import type { MiddlewareHandler } from "hono";
import { AuthError } from "../errors.ts";
import { RESERVED_SLUGS, SLUG_RE } from "../../schema/requests.ts";
import type { AppEnv } from "../app-env.ts";

export function tenant(param: "tenant" | "slug" = "tenant"): MiddlewareHandler<AppEnv> {
  return async function tenant(c, next) {
    const slug = c.req.param(param) ?? "";
    if (!SLUG_RE.test(slug) || RESERVED_SLUGS.has(slug)) throw new AuthError("tenant_not_found");
    c.set("slug", slug);
    c.set("tenant", c.env.TENANT.getByName(slug));
    await next();
  };
}
