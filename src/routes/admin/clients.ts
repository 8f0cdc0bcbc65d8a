/**
 * @module Operator routes for the tenant's OAuth clients: register, list, show, update,
 * delete, rotate the secret. Mounted for the admin and for manage keys (operator.ts). The
 * metadata is validated by the object, which knows the tenant it must fit.
 */
import { Hono, type Context } from "hono";
import { AuthError, unwrap } from "../../errors.ts";
import { clientPatchSchema } from "../../../schema/clients.ts";
import { CLIENT_ID_RE } from "../../../objects/tenant/clients.ts";
import type { AppEnv } from "../../app-env.ts";
import { noBody, readBody } from "../../http/body.ts";
import { answer, meta, noContent } from "../../http/helpers.ts";
import type { Caller } from "./caller.ts";

/** The `:client_id` of a route; one that cannot exist is a 404 without asking the object. */
function clientParam(c: Context<AppEnv>): string {
  const id = c.req.param("client_id") ?? "";
  if (!CLIENT_ID_RE.test(id)) throw new AuthError("not_found", "No such client.");
  return id;
}

export function clientRoutes(who: Caller): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.post("/clients", async (c) => {
    const by = who(c);
    const metadata = await readBody(c, clientPatchSchema);
    return answer(c, c.get("tenant").createClient({ by, metadata, meta: meta(c) }), 201);
  });

  r.get("/clients", (c) => answer(c, c.get("tenant").listClients({ by: who(c) })));

  r.get("/clients/:client_id", (c) => {
    const by = who(c);
    return answer(c, c.get("tenant").showClient({ by, clientId: clientParam(c) }));
  });

  r.patch("/clients/:client_id", async (c) => {
    const by = who(c);
    const clientId = clientParam(c);
    const patch = await readBody(c, clientPatchSchema);
    return answer(c, c.get("tenant").updateClient({ by, clientId, patch, meta: meta(c) }));
  });

  r.delete("/clients/:client_id", async (c) => {
    const by = who(c);
    const clientId = clientParam(c);
    await noBody(c);
    unwrap(await c.get("tenant").deleteClient({ by, clientId, meta: meta(c) }));
    return noContent(c);
  });

  r.post("/clients/:client_id/secret", async (c) => {
    const by = who(c);
    const clientId = clientParam(c);
    await noBody(c);
    return answer(c, c.get("tenant").rotateClientSecret({ by, clientId, meta: meta(c) }));
  });

  return r;
}
