/**
 * @module Who calls an operator route, for the two mounts of operator.ts: the admin (the
 * ADMIN_TOKEN, already checked by `adminAuth`) or a tenant API key, which the object checks.
 */
import type { Context } from "hono";
import type { Operator } from "../../../objects/tenant/operator.ts";
import type { AppEnv } from "../../app-env.ts";
import { AuthError } from "../../errors.ts";
import { accessToken } from "../../http/helpers.ts";

/** Who is calling; handlers ask before reading anything else, so a stranger learns nothing but 401. */
export type Caller = (c: Context<AppEnv>) => Operator;

/** Behind `adminAuth`, which has already checked the ADMIN_TOKEN. */
export const asAdmin: Caller = () => ({ admin: true });

/** `Authorization: Bearer {key}`: none → 401 unauthorized, not a bearer → 401 invalid_token; the object does the rest. */
export const asManageKey: Caller = (c) => ({ apiKey: accessToken(c) });

export const USER = "/users/:id";

/** The `:id` of USER: user ids are lower-case UUIDs, so anything else is a user that does not exist. */
export function userParam(c: Context): string {
  const id = c.req.param("id") ?? "";
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) throw new AuthError("not_found", "No such user.");
  return id;
}
