/**
 * @module The pages behind emailed links, and the forms that ask for them. Asking runs what
 * `POST /magic-link` and `POST /password/forgot` run (same gates, same answer whether or not
 * the address is known). An emailed link opens a page whose button POSTs the token: a GET
 * never spends it, so link scanners cannot. A magic link signs in the browser that opens it,
 * and only that browser; it does not carry or complete the authorization request the sign-in
 * started from (the original tab's "continue" link does, if it is the same browser).
 */
import { resetWithToken } from "../account.ts";
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../app-env.ts";
import { AuthError, type Result } from "../../errors.ts";
import { meta } from "../../http/helpers.ts";
import type { TokenResponse } from "../../../objects/tenant/runtime.ts";
import { ConfirmLinkPage, type LinkKind } from "../../pages/confirm-link.tsx";
import { EmailFormPage } from "../../pages/email-form.tsx";
import { withFlow } from "../../pages/layout.tsx";
import { MessagePage } from "../../pages/message.tsx";
import { loadPage, render } from "../../pages/render.ts";
import { texts } from "../../pages/texts.ts";
import { sessionCookieHash } from "../../pages/cookies.ts";
import { emailRequest } from "../account.ts";
import { completeSignIn, flowOf, PageRefusal, readForm } from "./common.ts";
import { secondStepPage, signInMessage, turnstileOf } from "./sign-in.ts";
import { turnstileFor } from "./turnstile.ts";

export const linkPages = new Hono<AppEnv>();

const s = (max: number) => z.string().max(max);
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

type Kind = "magic_link" | "forgot";
const ROUTE = { magic_link: "magic_link", forgot: "password_forgot" } as const;

async function emailForm(c: Context<AppEnv>, kind: Kind) {
  const f = flowOf(c, c.req.query("flow"));
  const page = await loadPage(c, f?.token ?? null);
  const ts = turnstileFor(page.brand, ROUTE[kind]);
  return render(c, page, EmailFormPage({ page, kind, turnstile: ts }), { turnstile: !!ts });
}

async function confirmPage(c: Context<AppEnv>, kind: LinkKind, token: string | undefined, error?: string) {
  if (!token || !TOKEN.test(token)) throw new PageRefusal(kind === "verify_email" ? texts.verifyEmail.invalid : texts.magicLink.invalid, 400, "invalid_token");
  const page = await loadPage(c);
  return render(c, page, ConfirmLinkPage({ page, kind, token, error }), {}, error ? 400 : 200);
}

async function message(c: Context<AppEnv>, title: string, text: string, link: { href: string; label: string } | null = null) {
  const page = await loadPage(c);
  return render(c, page, MessagePage({ page, title, text, link }));
}

/** Both link requests: the REST flow's gates and its "sent, whoever you are" answer. */
async function requestLink(c: Context<AppEnv>, kind: Kind) {
  const b = await readForm(c, { email: s(320) });
  const f = flowOf(c, b.flow);
  const again = async (error: string, status: 400 | 429) => {
    const page = await loadPage(c, f?.token ?? null);
    const ts = turnstileFor(page.brand, ROUTE[kind]);
    return render(c, page, EmailFormPage({ page, kind, email: b.email, error, turnstile: ts }), { turnstile: !!ts }, status);
  };
  let input;
  try {
    input = emailRequest(c, b.email, await turnstileOf(c, b["cf-turnstile-response"]));
  } catch (e) {
    if (e instanceof AuthError && (e.code === "invalid_request" || e.code === "turnstile_failed")) return again(e.code === "invalid_request" ? texts.field.email : texts.signIn.turnstile, 400);
    throw e;
  }
  const stub = c.get("tenant");
  const r = (kind === "magic_link" ? await stub.requestMagicLink(input) : await stub.forgotPassword(input)) as unknown as Result<null>;
  if (!r.ok) {
    if (r.error.code === "unavailable") throw new PageRefusal(texts.error.unavailable, 400, "unavailable");
    return again(signInMessage(r.error), r.error.code === "rate_limited" ? 429 : 400);
  }
  const t = kind === "magic_link" ? texts.magicLink : texts.forgot;
  const base = `/v1/${c.get("slug")}`;
  const link = kind === "magic_link" && f ? { href: withFlow(`${base}/oauth/authorize/continue`, f.token), label: texts.magicLink.continueHere } : null;
  return message(c, t.sentTitle, t.sent, link);
}

linkPages.get("/pages/magic-link", (c) => (c.req.query("token") !== undefined ? confirmPage(c, "magic_link", c.req.query("token")) : emailForm(c, "magic_link")));
linkPages.post("/pages/magic-link", (c) => requestLink(c, "magic_link"));
linkPages.get("/pages/password/forgot", (c) => emailForm(c, "forgot"));
linkPages.post("/pages/password/forgot", (c) => requestLink(c, "forgot"));

linkPages.post("/pages/magic-link/verify", async (c) => {
  const b = await readForm(c, { token: s(128) });
  const r = (await c.get("tenant").verifyMagicLink({ token: b.token, meta: meta(c) })) as unknown as Result<TokenResponse>;
  if (r.ok) return completeSignIn(c, r.value, null);
  const second = await secondStepPage(c, null, r.error);
  if (second) return second;
  if (r.error.code === "invalid_token") throw new PageRefusal(texts.magicLink.invalid, 400, "invalid_token");
  throw new PageRefusal(signInMessage(r.error), 400, r.error.code);
});

linkPages.get("/pages/password/reset", (c) => confirmPage(c, "reset", c.req.query("token")));

linkPages.post("/pages/password/reset", async (c) => {
  const b = await readForm(c, { token: s(128), new_password: s(4096) });
  if (!TOKEN.test(b.token)) throw new PageRefusal(texts.reset.invalid, 400, "invalid_token");
  const stub = c.get("tenant");
  let r: Result<null>;
  try {
    r = await resetWithToken(c, b.token, b.new_password);
  } catch (e) {
    if (e instanceof AuthError && e.code === "password_policy") return confirmPage(c, "reset", b.token, e.message);
    throw e;
  }
  if (r.ok) return message(c, texts.reset.doneTitle, texts.reset.done, { href: `/v1/${c.get("slug")}/pages/sign-in`, label: texts.signIn.submit });
  if (r.error.code === "password_policy") return confirmPage(c, "reset", b.token, r.error.message ?? texts.signUp.passwordRefused);
  throw new PageRefusal(texts.reset.invalid, 400, r.error.code);
});

linkPages.get("/pages/email/verify", (c) => confirmPage(c, "verify_email", c.req.query("token")));

linkPages.post("/pages/email/verify", async (c) => {
  const b = await readForm(c, { token: s(128) });
  const r = (await c.get("tenant").verifyEmail({ token: b.token, accessToken: null, cookieHash: sessionCookieHash(c, c.get("slug")), meta: meta(c) })) as unknown as Result<null>;
  if (r.ok) return message(c, texts.verifyEmail.doneTitle, texts.verifyEmail.done);
  // The link completes only with the account's own session (no verifying someone else's sign-up):
  // sign in here first, then open the link again.
  if (r.error.code === "unauthorized") return message(c, texts.verifyEmail.title, texts.verifyEmail.signInFirst, { href: `/v1/${c.get("slug")}/pages/sign-in`, label: texts.signIn.submit });
  throw new PageRefusal(texts.verifyEmail.invalid, 400, r.error.code);
});

