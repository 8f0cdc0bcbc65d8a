/**
 * @module Discovery: OpenID Connect Discovery 1.0 at `{issuer}/.well-known/openid-configuration`
 * and RFC 8414 metadata at `{issuer}/.well-known/oauth-authorization-server` and, with the
 * issuer's path inserted after the well-known segment (RFC 8414 section 3.1), at the host root:
 * `/.well-known/oauth-authorization-server/v1/{tenant}`. Public and cacheable.
 */
import { Hono, type Context } from "hono";
import { unwrap } from "../../errors.ts";
import type { AppEnv } from "../../app-env.ts";
import { tenant } from "../../middleware/tenant.ts";

async function metadata(c: Context<AppEnv>): Promise<Response> {
  const doc = unwrap(await c.get("tenant").discovery());
  c.header("Cache-Control", "public, max-age=300");
  // Browser-based clients read it from any origin; it holds nothing private.
  c.header("Access-Control-Allow-Origin", "*");
  return c.json(doc);
}

/** Under `/v1/{tenant}`, behind the tenant middleware. */
export const discoveryRoutes = new Hono<AppEnv>();
discoveryRoutes.get("/.well-known/openid-configuration", metadata);
discoveryRoutes.get("/.well-known/oauth-authorization-server", metadata);

/** At the host root (RFC 8414 section 3.1 path insertion). */
export const rootDiscoveryRoutes = new Hono<AppEnv>();
rootDiscoveryRoutes.get("/.well-known/oauth-authorization-server/v1/:tenant", tenant(), metadata);
