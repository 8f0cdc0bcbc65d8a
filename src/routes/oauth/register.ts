/** @module `POST {issuer}/oauth/register` (RFC 7591 section 3): a JSON body of client metadata, 201 with the client. */
import { Hono } from "hono";
import type { AppEnv } from "../../app-env.ts";
import { readBody } from "../../http/body.ts";
import { meta } from "../../http/helpers.ts";
import { clientPatchSchema } from "../../../schema/clients.ts";
import { oauthErrorResponse, onOAuthError } from "./respond.ts";

export const registerRoutes = new Hono<AppEnv>();
registerRoutes.onError(onOAuthError);

registerRoutes.post("/oauth/register", async (c) => {
  const metadata = await readBody(c, clientPatchSchema);
  const r = await c.get("tenant").registerClient({ metadata, meta: meta(c) });
  if (!r.ok) return oauthErrorResponse(r.oauth, null);
  c.header("Cache-Control", "no-store");
  return c.json(r.value, 201);
});
