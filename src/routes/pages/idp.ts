/**
 * @module The browser's side of an upstream sign-in: `GET /idp/{id}/start` (a fresh state
 * cookie, then a 303 to the provider), `GET|POST /idp/{id}/callback` (POST for Apple's
 * form_post; no CSRF token can come with it, the single-use `state` bound to the state cookie
 * is what stands for it), and the owner's confirmation of a pending link. Where the browser goes
 * afterwards is only ever the tenant's own pages or the carried authorization request, never a
 * URL from the request (no open redirect).
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../../app-env.ts";
import { unwrap, type Result } from "../../errors.ts";
import { sha256B64 } from "../../crypto/digest.ts";
import { randomToken } from "../../crypto/random.ts";
import { readLimited } from "../../http/body.ts";
import { meta } from "../../http/helpers.ts";
import type { IdpOutcome } from "../../../objects/tenant/flows/idp.ts";
import { IDP_ID_RE } from "../../../schema/identity-providers.ts";
import { clearIdpCookie, idpCookieValue, sessionCookieHash, setIdpCookie } from "../../pages/cookies.ts";
import { ErrorPage } from "../../pages/error.tsx";
import { IdpExistsPage } from "../../pages/idp.tsx";
import { MessagePage } from "../../pages/message.tsx";
import { MfaPage } from "../../pages/mfa.tsx";
import { enrollPage } from "./sign-in.ts";
import { loadPage, render } from "../../pages/render.ts";
import { texts } from "../../pages/texts.ts";
import { resumeAuthorize } from "../oauth/outcome.ts";
import { completeSignIn, flowOf, flowTarget, PageRefusal, readForm } from "./common.ts";

export const idpPages = new Hono<AppEnv>();

/** The state cookie lives as long as the state row (one_time_tokens TTL for idp_state). */
const STATE_COOKIE_S = 10 * 60;
const LINK_COOKIE_S = 15 * 60;

function providerParam(c: Context<AppEnv>): string {
  const id = c.req.param("id") ?? "";
  if (!IDP_ID_RE.test(id)) throw new PageRefusal(texts.idp.refused.disabled, 404, "not_found");
  return id;
}

idpPages.get("/idp/:id/start", async (c) => {
  const id = providerParam(c);
  const slug = c.get("slug");
  // The flow is opened (MAC, expiry) now, so a bad one is refused before anything is stored.
  const f = flowOf(c, c.req.query("flow"));
  const cookie = randomToken(32);
  const r = (await c.get("tenant").idpStart({ providerId: id, binding: sha256B64(cookie), flow: f?.token ?? null })) as Result<{ url: string }>;
  if (!r.ok) throw new PageRefusal(r.error.code === "not_found" ? texts.idp.refused.disabled : texts.idp.refused.upstream, r.error.code === "not_found" ? 404 : 400, r.error.code);
  setIdpCookie(c, slug, "state", cookie, STATE_COOKIE_S);
  c.header("Cache-Control", "no-store");
  return c.redirect(r.value.url, 303);
});

async function callback(c: Context<AppEnv>, params: Record<string, string>): Promise<Response> {
  const id = providerParam(c);
  const slug = c.get("slug");
  const cookie = idpCookieValue(c, slug, "state");
  const r = unwrap((await c.get("tenant").idpCallback({ providerId: id, params, binding: cookie ? sha256B64(cookie) : null, meta: meta(c) })) as Result<IdpOutcome>);
  clearIdpCookie(c, slug, "state");
  const f = r.flow ? flowOf(c, r.flow) : null;
  switch (r.kind) {
    case "signed_in":
      return completeSignIn(c, r.tokens, f, { federated: true });
    case "mfa": {
      const page = await loadPage(c, f?.token ?? null);
      return render(c, page, MfaPage({ page, mfaToken: r.mfaToken }), { formTargets: flowTarget(f) });
    }
    case "mfa_enroll":
      return enrollPage(c, f, r.mfaToken);
    case "link": {
      setIdpCookie(c, slug, "link", r.linkToken, LINK_COOKIE_S);
      const page = await loadPage(c, f?.token ?? null);
      return render(c, page, IdpExistsPage({ page, email: r.email, provider: r.provider }), {}, 409);
    }
    case "refused": {
      const page = await loadPage(c, f?.token ?? null);
      return render(c, page, ErrorPage({ page, message: texts.idp.refused[r.reason] ?? texts.error.badRequest, code: `idp_${r.reason}` }), {}, r.reason === "account_exists" ? 409 : 400);
    }
  }
}

const MAX_PARAMS = 32;
const paramsOf = (q: URLSearchParams): Record<string, string> => {
  const out: Record<string, string> = {};
  let n = 0;
  for (const [k, v] of q) {
    if (++n > MAX_PARAMS || v.length > 8192) throw new PageRefusal(texts.error.badRequest, 400, "invalid_request");
    // A parameter sent twice is ambiguous (RFC 6749 section 3.1): refused rather than picked.
    if (k in out) throw new PageRefusal(texts.error.badRequest, 400, "invalid_request");
    out[k] = v;
  }
  return out;
};

idpPages.get("/idp/:id/callback", (c) => callback(c, paramsOf(new URL(c.req.url).searchParams)));

idpPages.post("/idp/:id/callback", async (c) => {
  const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") throw new PageRefusal(texts.error.badRequest, 400, "invalid_request");
  return callback(c, paramsOf(new URLSearchParams(new TextDecoder().decode(await readLimited(c.req.raw, 32 * 1024)))));
});

/** The owner's yes to a pending link (shown by `completeSignIn` after a local sign-in); then on to the carried request, if any. */
idpPages.post("/pages/idp/link", async (c) => {
  const b = await readForm(c, {});
  const f = flowOf(c, b.flow);
  const slug = c.get("slug");
  const link = idpCookieValue(c, slug, "link");
  clearIdpCookie(c, slug, "link");
  if (!link) throw new PageRefusal(texts.error.flowExpired, 400, "link_expired");
  const r = (await c.get("tenant").idpConfirmLink({ linkToken: link, cookieHash: sessionCookieHash(c, slug), meta: meta(c) })) as Result<{ provider: string }>;
  if (!r.ok && r.error.code === "invalid_token") throw new PageRefusal(texts.verifyEmail.signInFirst, 400, "link_expired");
  const linked = unwrap(r);
  if (f) return resumeAuthorize(c, f.flow, sessionCookieHash(c, slug), null);
  const page = await loadPage(c);
  return render(c, page, MessagePage({ page, title: texts.signedIn.title, text: texts.idp.linked(linked.provider) }));
});
