/** @module `GET|POST {issuer}/oauth/userinfo` (OIDC Core section 5.3): the bearer token in the header (RFC 6750 section 2.1). */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../../app-env.ts";
import { noBody } from "../../http/body.ts";
import { oauthAnswer, oauthError, onOAuthError } from "./respond.ts";

export const userinfoRoutes = new Hono<AppEnv>();
userinfoRoutes.onError(onOAuthError);

async function userinfo(c: Context<AppEnv>): Promise<Response> {
  const m = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(c.req.header("authorization") ?? "");
  if (!m) throw oauthError("invalid_token", "A bearer access token is required.", "Bearer");
  if (c.req.method === "POST") await noBody(c);
  return oauthAnswer(c, await c.get("tenant").userinfo({ accessToken: m[1] }), "Bearer");
}

userinfoRoutes.get("/oauth/userinfo", userinfo);
userinfoRoutes.post("/oauth/userinfo", userinfo);
