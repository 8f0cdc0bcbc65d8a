/**
 * @module Every browser-facing route of a tenant: the hosted pages, `/oauth/authorize` and
 * `/oauth/logout`. One sub-app with its own error handler, so whatever goes wrong here is
 * the error page, not JSON.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../app-env.ts";
import { authorizeRoutes } from "../oauth/authorize.ts";
import { endSessionRoutes } from "../oauth/end-session.ts";
import { accountPages } from "./account.ts";
import { pageError } from "./common.ts";
import { idpPages } from "./idp.ts";
import { linkPages } from "./links.ts";
import { signInPages } from "./sign-in.ts";
import { passkeyPages } from "./passkeys.ts";

export const browserRoutes = new Hono<AppEnv>();
browserRoutes.route("/", signInPages);
browserRoutes.route("/", passkeyPages);
browserRoutes.route("/", linkPages);
browserRoutes.route("/", accountPages);
browserRoutes.route("/", idpPages);
browserRoutes.route("/", authorizeRoutes);
browserRoutes.route("/", endSessionRoutes);
browserRoutes.onError(pageError);
