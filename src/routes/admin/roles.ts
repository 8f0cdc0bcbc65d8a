/**
 * @module RBAC routes: roles of a tenant and users' memberships. `?revoke=true` on a
 * membership change rotates the user's secret so it applies to every token at once; otherwise
 * it applies at the user's next refresh. Mounted for the admin and for manage keys.
 */
import { Hono, type Context } from "hono";
import { AuthError, unwrap } from "../../errors.ts";
import { createRoleBody, membershipQuery, ROLE_RE } from "../../../schema/requests.ts";
import type { AppEnv } from "../../app-env.ts";
import { noBody, readBody, readQuery } from "../../http/body.ts";
import { answer, meta, noContent } from "../../http/helpers.ts";
import { USER, userParam, type Caller } from "./caller.ts";

/** A role name from the path; one that cannot exist is a 404 without asking the object. */
function roleName(c: Context<AppEnv>, param: "name" | "role"): string {
  const name = c.req.param(param) ?? "";
  if (!ROLE_RE.test(name)) throw new AuthError("not_found", "No such role.");
  return name;
}

export function roleRoutes(who: Caller): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.get("/roles", (c) => answer(c, c.get("tenant").listRoles({ by: who(c) })));

  r.post("/roles", async (c) => {
    const by = who(c);
    const b = await readBody(c, createRoleBody);
    return answer(c, c.get("tenant").createRole({ by, name: b.name, description: b.description ?? null, scopes: b.scopes, meta: meta(c) }), 201);
  });

  r.delete("/roles/:name", async (c) => {
    const by = who(c);
    unwrap(await c.get("tenant").deleteRole({ by, name: roleName(c, "name"), meta: meta(c) }));
    return noContent(c);
  });

  const membership = (grant: boolean) => async (c: Context<AppEnv>) => {
    const by = who(c);
    const q = readQuery(c, membershipQuery);
    await noBody(c);
    const i = { by, userId: userParam(c), role: roleName(c, "role"), revoke: q.revoke === "true", meta: meta(c) };
    unwrap(await (grant ? c.get("tenant").grantRole(i) : c.get("tenant").removeRole(i)));
    return noContent(c);
  };
  r.put(`${USER}/roles/:role`, membership(true));
  r.delete(`${USER}/roles/:role`, membership(false));

  return r;
}
