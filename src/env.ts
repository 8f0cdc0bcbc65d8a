/** @module The bindings, vars and secrets the router Worker and the tenant object see. */
import type { TenantObject } from "../objects/tenant.ts";

export interface Env {
  TENANT: DurableObjectNamespace<TenantObject>;
  DB: D1Database;
  AUDIT?: AnalyticsEngineDataset;
  IP_LIMITER?: RateLimit;
  ADMIN_TOKEN: string;
  MASTER_KEY: string;
  MASTER_KEY_PREVIOUS?: string;
  TURNSTILE_SECRET_KEY?: string;
  ENVIRONMENT?: string;
  JWT_EXPIRATION_MINUTES?: string;
  PUBLIC_URL?: string;
  LOG_LEVEL?: string;
  ALLOWED_ORIGINS?: string;
}
