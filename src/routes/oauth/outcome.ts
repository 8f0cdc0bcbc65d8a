/**
 * @module Runs the tenant object's authorization pipeline and turns its outcome into the
 * browser's next step: the error page, the sign-in or consent page (carrying the request as a
 * sealed flow), or the authorization response to the client, as a 303 redirect with the
 * parameters in the query, or as an auto-submitting form (OAuth 2.0 Form Post Response Mode).
 */
import type { Context } from "hono";
import type { AppEnv } from "../../app-env.ts";
import { unwrap } from "../../errors.ts";
import { meta } from "../../http/helpers.ts";
import type { AuthorizeOutcome } from "../../../objects/tenant/flows/authorize.ts";
import { ConsentPage } from "../../pages/consent.tsx";
import { ErrorPage } from "../../pages/error.tsx";
import { sealFlow, type Flow } from "../../pages/flow.ts";
import { AUTO_SUBMIT_HASH, FormPostPage } from "../../pages/form-post.tsx";
import { loadPage, render } from "../../pages/render.ts";
import { SignInPage } from "../../pages/sign-in.tsx";
import { texts } from "../../pages/texts.ts";
import { turnstileFor } from "../pages/turnstile.ts";

export async function resumeAuthorize(c: Context<AppEnv>, flow: Flow, cookieHash: string | null, decision: "allow" | "deny" | null, duplicates: string[] = []): Promise<Response> {
  const outcome = unwrap(await c.get("tenant").authorize({ params: flow.params, duplicates, requestedAt: flow.at, cookieHash, decision, meta: meta(c) }));
  return answer(c, outcome, flow);
}

async function answer(c: Context<AppEnv>, o: AuthorizeOutcome, flow: Flow): Promise<Response> {
  c.header("Cache-Control", "no-store");
  if (o.kind === "respond") {
    if (o.mode === "query") {
      const u = new URL(o.redirectUri);
      for (const [k, v] of Object.entries(o.params)) u.searchParams.set(k, v);
      return c.redirect(u.toString(), 303);
    }
    const page = await loadPage(c);
    return render(c, page, FormPostPage({ page, action: o.redirectUri, fields: o.params }), { formTargets: [o.redirectUri], scriptHashes: [AUTO_SUBMIT_HASH] });
  }
  if (o.kind === "error_page") {
    const page = await loadPage(c);
    const message = o.error === "invalid_client" ? texts.error.unknownClient : o.description.includes("redirect_uri") ? texts.error.badRedirect : texts.error.badRequest;
    return render(c, page, ErrorPage({ page, message, code: o.error }), {}, 400);
  }
  // Only a request that passed the client and redirect URI checks is sealed into a flow.
  const token = sealFlow(c.env.MASTER_KEY, c.get("slug"), flow);
  const page = await loadPage(c, token);
  const formTargets = [flow.params.redirect_uri];
  if (o.kind === "idp") return c.redirect(`${page.base}/idp/${o.providerId}/start?flow=${encodeURIComponent(token)}`, 303);
  if (o.kind === "login") {
    return render(c, page, SignInPage({ page, clientName: o.client.name, login: o.loginHint, turnstile: turnstileFor(page.brand, "login") }), { formTargets, turnstile: !!turnstileFor(page.brand, "login") });
  }
  return render(c, page, ConsentPage({ page, client: o.client, who: o.who, scopes: o.scopes }), { formTargets, images: [o.client.logoUri] });
}
