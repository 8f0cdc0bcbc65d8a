/**
 * @module The operator routes of one tenant (users, roles, audit, OAuth clients), written once and mounted
 * twice: under `/v1/admin/tenants/{slug}` for the ADMIN_TOKEN, and under `/v1/{tenant}/admin`
 * for the tenant's own `manage` API keys. Either way the tenant middleware has put the stub on
 * the context; a mount only says who is calling. A key (and its scope) is checked by the
 * object, where the keys live, inside the one RPC of the request.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../app-env.ts";
import { tenant } from "../../middleware/tenant.ts";
import { auditRoutes } from "./audit.ts";
import { clientRoutes } from "./clients.ts";
import { idpRoutes } from "./idps.ts";
import { asAdmin, type Caller } from "./caller.ts";
import { directoryRoutes } from "./directory.ts";
import { roleRoutes } from "./roles.ts";
import { transferRoutes } from "./transfer.ts";
import { userRoutes } from "./users.ts";

export function operatorRoutes(who: Caller): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.route("/", userRoutes(who));
  r.route("/", roleRoutes(who));
  r.route("/", auditRoutes(who));
  r.route("/", clientRoutes(who));
  r.route("/", idpRoutes(who));
  return r;
}

/** What the ADMIN_TOKEN reaches besides tenants.ts: the operator routes, import/export, the directory. */
export function adminOperatorRoutes(): Hono<AppEnv> {
  const one = new Hono<AppEnv>();
  one.use("*", tenant("slug"));
  one.route("/", transferRoutes);
  one.route("/", operatorRoutes(asAdmin));
  const r = new Hono<AppEnv>();
  r.route("/tenants/:slug", one);
  r.route("/", directoryRoutes);
  return r;
}
