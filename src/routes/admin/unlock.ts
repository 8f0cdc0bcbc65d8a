/**
 * @module Operator: lift a user's lockout (the doubling delay and the hard limit), SPEC
 * sections 6 and 9. The rest of user administration lives in admin/users.ts.
 */
import { Hono } from "hono";
import { AuthError, unwrap } from "../../errors.ts";
import { RESERVED_SLUGS, SLUG_RE } from "../../../schema/requests.ts";
import type { AppEnv } from "../../app-env.ts";
import { noBody } from "../../http/body.ts";
import { noContent } from "../../http/helpers.ts";

export const unlockRoutes = new Hono<AppEnv>();

const USER_ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

unlockRoutes.post("/tenants/:slug/users/:id/unlock", async (c) => {
  const slug = c.req.param("slug");
  const id = c.req.param("id");
  if (!SLUG_RE.test(slug) || RESERVED_SLUGS.has(slug)) throw new AuthError("tenant_not_found");
  if (!USER_ID_RE.test(id)) throw new AuthError("not_found", "No such user.");
  await noBody(c);
  unwrap(await c.env.TENANT.getByName(slug).unlockUser({ userId: id, actor: "admin" }));
  return noContent(c);
});
