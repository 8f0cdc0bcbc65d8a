/** @module `POST {issuer}/oauth/token` (RFC 6749 section 3.2): the form, the client as presented, one RPC. */
import { Hono } from "hono";
import type { AppEnv } from "../../app-env.ts";
import { meta } from "../../http/helpers.ts";
import { oauthAnswer, onOAuthError, presentedClient, readForm } from "./respond.ts";

export const tokenRoutes = new Hono<AppEnv>();
tokenRoutes.onError(onOAuthError);

tokenRoutes.post("/oauth/token", async (c) => {
  const params = await readForm(c);
  const client = presentedClient(c, params);
  const r = await c.get("tenant").oauthToken({ client, params, meta: meta(c) });
  return oauthAnswer(c, r, client?.method === "client_secret_basic" || !client ? "Basic" : null);
});
