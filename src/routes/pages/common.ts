/**
 * @module What the page routes share: reading a form (CSRF first, so a refused POST changes
 * nothing), opening the carried authorization request, finishing a sign-in (a new cookie bound
 * to the new Warden session, then back to the authorization request if there is one), and the
 * error handler that turns any refusal into the error page rather than JSON.
 */
import type { Context, ErrorHandler } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../app-env.ts";
import { clock } from "../../clock.ts";
import { AuthError, unwrap, type Result } from "../../errors.ts";
import { readBody } from "../../http/body.ts";
import type { TokenResponse } from "../../../objects/tenant/runtime.ts";
import { idpCookieValue, newSessionCookie, sessionCookieHash, setSessionCookie } from "../../pages/cookies.ts";
import { AUTO_SUBMIT_HASH, FormPostPage } from "../../pages/form-post.tsx";
import { IdpConfirmPage } from "../../pages/idp.tsx";
import { csrfValid } from "../../pages/csrf.ts";
import { ErrorPage } from "../../pages/error.tsx";
import { openFlow, type Flow } from "../../pages/flow.ts";
import { withFlow } from "../../pages/layout.tsx";
import { MessagePage } from "../../pages/message.tsx";
import { RecoveryCodesPage } from "../../pages/mfa.tsx";
import { loadPage, render } from "../../pages/render.ts";
import { texts } from "../../pages/texts.ts";
import { resumeAuthorize } from "../oauth/outcome.ts";
import { meta } from "../../http/helpers.ts";
import { passkeyCsp, type PasskeyCeremony } from "../../pages/passkey.tsx";
import { PasskeyOfferPage } from "../../pages/passkeys.tsx";

/** A refusal shown on the error page. */
export class PageRefusal extends Error {
  constructor(message: string, readonly status: 400 | 403 | 404 = 400, readonly code: string | null = null) {
    super(message);
  }
}

const field = z.string().max(4096).optional();
/** Every page form has these; the widget's Turnstile token rides along when present. */
export const formBase = { csrf: field, flow: z.string().max(8192).optional(), "cf-turnstile-response": z.string().max(4096).optional() };

/** Reads a page form and checks its CSRF token before anything else looks at it. */
type FormOf<S extends z.ZodRawShape> = { csrf?: string; flow?: string; "cf-turnstile-response"?: string } & { [K in keyof S]: z.infer<S[K]> };

export async function readForm<S extends z.ZodRawShape>(c: Context<AppEnv>, shape: S): Promise<FormOf<S>> {
  const schema = z.object({ ...formBase, ...shape });
  const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") throw new PageRefusal(texts.error.csrf, 403, "csrf");
  const b = (await readBody(c, schema, { form: true })) as FormOf<S>;
  if (!csrfValid(c, b.csrf)) throw new PageRefusal(texts.error.csrf, 403, "csrf");
  return b;
}

/** The flow named by a page's `flow` field or query, or null when there is none; a bad one is refused. */
export function flowOf(c: Context<AppEnv>, token: string | null | undefined): { flow: Flow; token: string } | null {
  if (!token) return null;
  const flow = openFlow(c.env.MASTER_KEY, c.get("slug"), token);
  if (!flow) throw new PageRefusal(texts.error.flowExpired, 400, "flow_expired");
  return { flow, token };
}

/** The URL a page's form may end up redirecting to: the client's redirect URI of the carried request. */
export const flowTarget = (f: { flow: Flow } | null): string[] => (f?.flow.params.redirect_uri ? [f.flow.params.redirect_uri] : []);

/**
 * After any successful authentication: a fresh cookie, bound to the session the sign-in just
 * made (the old cookie, if any, stops counting), then on to the authorization request, or a
 * "signed in" page; after a password (`offerPasskey`), an account without a passkey is
 * offered to add one there instead (an authorization request is not held up for it).
 */
export async function completeSignIn(c: Context<AppEnv>, tokens: TokenResponse, f: { flow: Flow; token: string } | null, o: { offerPasskey?: boolean; federated?: boolean; recoveryCodes?: string[] } = {}): Promise<Response> {
  const slug = c.get("slug");
  const cookie = newSessionCookie();
  const bound = unwrap(await c.get("tenant").bindBrowser({ refreshToken: tokens.refresh_token, cookieHash: cookie.hash, replaces: sessionCookieHash(c, slug) }));
  setSessionCookie(c, slug, cookie.value, (bound.expiresAt - clock.now()) / 1000);
  // A factor added at this sign-in: its recovery codes, once, before going on (a link, so it works without JavaScript).
  if (o.recoveryCodes) {
    const page = await loadPage(c, f?.token ?? null);
    const next = f ? withFlow(`${page.base}/oauth/authorize/continue`, f.token) : `${page.base}/pages/apps`;
    return render(c, page, RecoveryCodesPage({ page, codes: o.recoveryCodes, next }));
  }
  // An upstream identity waiting for this account's owner (flows/idp.ts): they have just signed in locally, so ask.
  const link = o.federated ? null : idpCookieValue(c, slug, "link");
  if (link) {
    const pending = await c.get("tenant").pendingLink({ linkToken: link });
    if (pending.ok && pending.value.userId === tokens.user.id) {
      const page = await loadPage(c, f?.token ?? null);
      return render(c, page, IdpConfirmPage({ page, provider: pending.value.provider, email: pending.value.email ?? "" }), { formTargets: flowTarget(f) });
    }
  }
  if (f && o.federated) {
    // The browser arrives here from the upstream's pages, often right after a form of theirs
    // (consent): CSP `form-action` governs every redirect that follows a form submission, so a
    // 303 on to the app would be held to the upstream's policy. A page of our own starts a new
    // navigation, which our own policy allows.
    const page = await loadPage(c);
    return render(c, page, FormPostPage({ page, method: "get", action: `${page.base}/oauth/authorize/continue`, fields: { flow: f.token } }), { formTargets: flowTarget(f), scriptHashes: [AUTO_SUBMIT_HASH] });
  }
  if (f) return resumeAuthorize(c, f.flow, cookie.hash, null);
  const page = await loadPage(c);
  const offer = o.offerPasskey ? ((await c.get("tenant").passkeyRegisterOptions({ who: { cookieHash: cookie.hash }, meta: meta(c), onlyIfNone: true })) as unknown as Result<unknown>) : null;
  if (offer?.ok && offer.value) {
    const add: PasskeyCeremony = { mode: "create", options: offer.value, action: `${page.base}/pages/passkeys/add`, label: texts.passkey.add };
    return render(c, page, PasskeyOfferPage({ page, add }), { scriptHashes: passkeyCsp(add) });
  }
  return render(c, page, MessagePage({ page, title: texts.signedIn.title, text: texts.signedIn.text, link: { href: `${page.base}/pages/apps`, label: texts.apps.title } }));
}

const AUTH_MESSAGE: Partial<Record<string, string>> = {
  not_found: texts.error.notFound,
  unavailable: texts.error.unavailable,
  invalid_request: texts.error.badRequest,
  invalid_json: texts.error.badRequest,
  unsupported_media_type: texts.error.badRequest,
  payload_too_large: texts.error.badRequest,
};

/** The pages' error handler: the error page, never JSON (except for an unknown tenant, which has no page). */
export const pageError: ErrorHandler<AppEnv> = async (err, c) => {
  if (err instanceof AuthError && err.code === "tenant_not_found") throw err;
  let message: string = texts.error.internal;
  let status: 400 | 403 | 404 | 500 | 503 = 500;
  let code: string | null = null;
  if (err instanceof PageRefusal) ({ message, status, code } = err);
  else if (err instanceof AuthError && AUTH_MESSAGE[err.code]) {
    message = AUTH_MESSAGE[err.code]!;
    status = err.status === 404 ? 404 : err.status === 503 ? 503 : 400;
    code = err.code;
  } else c.get("log")?.error("unhandled", { request_id: c.get("requestId"), error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  const page = await loadPage(c);
  return render(c, page, ErrorPage({ page, message, code }), {}, status);
};
