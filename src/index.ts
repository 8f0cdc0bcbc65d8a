/**
 * @module The Worker entry: the Hono router for HTTP and WebSocket upgrades, the cron
 * handlers, and the tenant Durable Object class.
 */
import { buildApp } from "./app.ts";
import type { Env } from "./env.ts";
import { scheduled } from "./cron.ts";

export { TenantObject } from "../objects/tenant.ts";

const app = buildApp();

export default {
  fetch: app.fetch,
  scheduled,
} satisfies ExportedHandler<Env>;
