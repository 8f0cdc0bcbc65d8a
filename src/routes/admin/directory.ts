/**
 * @module The cross-tenant user directory in D1 (kept by each tenant's outbox, reconciled
 * daily): which tenants know an email. Admin only; never on a tenant's request path.
 */
import { Hono } from "hono";
import { AuthError } from "../../errors.ts";
import { normalizeEmail } from "../../../schema/identifiers.ts";
import { directoryQuery } from "../../../schema/requests.ts";
import type { AppEnv } from "../../app-env.ts";
import { readQuery } from "../../http/body.ts";
import { noStore } from "../../http/helpers.ts";

/** One email in more tenants than this is not a lookup any more; the answer is cut there. */
const MAX_ROWS = 1000;

export const directoryRoutes = new Hono<AppEnv>();

/** Soft-deleted users are listed (status `deleted`) until they are purged. */
directoryRoutes.get("/users", async (c) => {
  const email = normalizeEmail(readQuery(c, directoryQuery).email);
  if (!email) throw new AuthError("invalid_request", undefined, { details: [{ path: "email", code: "invalid_format", message: "not a valid email address" }] });
  const rows = await c.env.DB.prepare("SELECT tenant, user_id, status FROM user_directory WHERE email = ? ORDER BY tenant, user_id LIMIT ?")
    .bind(email, MAX_ROWS)
    .all<{ tenant: string; user_id: string; status: string }>();
  return noStore(c, { users: rows.results });
});
