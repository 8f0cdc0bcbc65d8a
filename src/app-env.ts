/** @module The Hono environment: bindings plus what middleware puts on the context. */
import type { Env } from "./env.ts";
import type { Logger } from "./log.ts";
import type { TenantStub } from "../objects/tenant.ts";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    log: Logger;
    slug: string;
    tenant: TenantStub;
    /** Origins an OAuth answer may be read from (a public client's), for `clientCors`. */
    corsOrigins?: string[];
  };
}
