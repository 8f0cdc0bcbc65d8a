/**
 * @module `/v1/{tenant}/oauth/logout`: OpenID Connect RP-Initiated Logout 1.0, GET or POST.
 * The decision is the tenant object's (flows/end-session.ts); here the request is read, the
 * confirmation page shown (its POST is CSRF-checked), the cookie cleared and the browser sent
 * on to the verified `post_logout_redirect_uri` with `state` (section 3), or shown a page.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../../app-env.ts";
import { unwrap } from "../../errors.ts";
import { readLimited } from "../../http/body.ts";
import { meta } from "../../http/helpers.ts";
import { clearSessionCookie, sessionCookieHash } from "../../pages/cookies.ts";
import { csrfValid } from "../../pages/csrf.ts";
import { ErrorPage } from "../../pages/error.tsx";
import { MessagePage } from "../../pages/message.tsx";
import { loadPage, render } from "../../pages/render.ts";
import { SignOutPage } from "../../pages/sign-out.tsx";
import { texts } from "../../pages/texts.ts";
import { PageRefusal } from "../pages/common.ts";
import { endSessionParams } from "../../../schema/oauth-params.ts";

export const endSessionRoutes = new Hono<AppEnv>();

/** The parameters the confirmation page carries on: the ones the OpenAPI document describes (one list). */
const PARAMS = endSessionParams.keyof().options;

async function endSession(c: Context<AppEnv>, q: URLSearchParams, confirmed: boolean) {
  const slug = c.get("slug");
  const v = (k: string) => {
    const x = q.get(k);
    return x && x.length <= 8192 ? x : null;
  };
  const o = unwrap(
    await c.get("tenant").endSession({
      idTokenHint: v("id_token_hint"),
      clientId: v("client_id"),
      postLogoutRedirectUri: v("post_logout_redirect_uri"),
      cookieHash: sessionCookieHash(c, slug),
      confirmed,
      meta: meta(c),
    }),
  );
  c.header("Cache-Control", "no-store");
  const page = await loadPage(c);
  if (o.kind === "error_page") return render(c, page, ErrorPage({ page, message: texts.error.badLogout, code: o.error }), {}, 400);
  if (o.kind === "confirm") {
    const fields = Object.fromEntries(PARAMS.map((k) => [k, v(k)]));
    return render(c, page, SignOutPage({ page, fields }), { formTargets: [v("post_logout_redirect_uri")] });
  }
  clearSessionCookie(c, slug);
  if (o.redirect) {
    const u = new URL(o.redirect);
    const state = v("state");
    if (state !== null) u.searchParams.set("state", state);
    return c.redirect(u.toString(), 303);
  }
  return render(c, page, MessagePage({ page, title: texts.signOut.doneTitle, text: texts.signOut.done }));
}

endSessionRoutes.get("/oauth/logout", (c) => endSession(c, new URL(c.req.url).searchParams, false));

endSessionRoutes.post("/oauth/logout", async (c) => {
  const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") throw new PageRefusal(texts.error.badRequest, 400, "invalid_request");
  const q = new URLSearchParams(new TextDecoder().decode(await readLimited(c.req.raw, 16 * 1024)));
  // The confirmation page's POST: only this browser's own form counts as the user's yes.
  const confirming = q.has("confirm");
  if (confirming && !csrfValid(c, q.get("csrf") ?? undefined)) throw new PageRefusal(texts.error.csrf, 403, "csrf");
  return endSession(c, q, confirming);
});
