/**
 * @module Operator routes for the tenant's upstream identity providers: create, list, show,
 * update, delete. Mounted for the admin and for manage keys (operator.ts); validated by the
 * object. Secrets are write-only.
 */
import { Hono, type Context } from "hono";
import { AuthError, unwrap } from "../../errors.ts";
import { IDP_ID_RE, idpBodySchema } from "../../../schema/identity-providers.ts";
import type { AppEnv } from "../../app-env.ts";
import { noBody, readBody } from "../../http/body.ts";
import { answer, meta, noContent } from "../../http/helpers.ts";
import type { Caller } from "./caller.ts";

function idParam(c: Context<AppEnv>): string {
  const id = c.req.param("id") ?? "";
  if (!IDP_ID_RE.test(id)) throw new AuthError("not_found", "No such identity provider.");
  return id;
}

export function idpRoutes(who: Caller): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.post("/identity-providers", async (c) => {
    const by = who(c);
    const body = await readBody(c, idpBodySchema);
    return answer(c, c.get("tenant").createIdp({ by, body, meta: meta(c) }), 201);
  });

  r.get("/identity-providers", (c) => answer(c, c.get("tenant").listIdps({ by: who(c) })));

  r.get("/identity-providers/:id", (c) => {
    const by = who(c);
    return answer(c, c.get("tenant").showIdp({ by, id: idParam(c) }));
  });

  r.patch("/identity-providers/:id", async (c) => {
    const by = who(c);
    const id = idParam(c);
    const patch = await readBody(c, idpBodySchema);
    return answer(c, c.get("tenant").updateIdp({ by, id, patch, meta: meta(c) }));
  });

  r.delete("/identity-providers/:id", async (c) => {
    const by = who(c);
    const id = idParam(c);
    await noBody(c);
    unwrap(await c.get("tenant").deleteIdp({ by, id, meta: meta(c) }));
    return noContent(c);
  });

  return r;
}
