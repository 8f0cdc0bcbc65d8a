/**
 * @module `/v1/{tenant}/oauth/authorize` (GET, and POST as OIDC Core 3.1.2.1 allows), the
 * `continue` link that resumes a carried request in the same browser, and the consent page's
 * answer. The checks, the session and the code are the tenant object's (flows/authorize.ts);
 * this file only gathers the request and hands the outcome to `outcome.ts`.
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../app-env.ts";
import { clock } from "../../clock.ts";
import { readLimited } from "../../http/body.ts";
import { sessionCookieHash } from "../../pages/cookies.ts";
import { texts } from "../../pages/texts.ts";
import { flowOf, PageRefusal, readForm } from "../pages/common.ts";
import { resumeAuthorize } from "./outcome.ts";

export const authorizeRoutes = new Hono<AppEnv>();

const MAX_PARAMS = 64;

/** The parameters, each once, and the names of any that came more than once (RFC 6749 section 3.1). */
function collect(q: URLSearchParams): { params: Record<string, string>; duplicates: string[] } {
  const params: Record<string, string> = {};
  const duplicates = new Set<string>();
  let n = 0;
  for (const [k, v] of q) {
    if (++n > MAX_PARAMS) throw new PageRefusal(texts.error.badRequest, 400, "invalid_request");
    if (k in params) duplicates.add(k);
    else params[k] = v;
  }
  return { params, duplicates: [...duplicates] };
}

async function start(c: Context<AppEnv>, q: URLSearchParams) {
  const { params, duplicates } = collect(q);
  return resumeAuthorize(c, { params, at: clock.now() }, sessionCookieHash(c, c.get("slug")), null, duplicates);
}

authorizeRoutes.get("/oauth/authorize", (c) => start(c, new URL(c.req.url).searchParams));

authorizeRoutes.post("/oauth/authorize", async (c) => {
  const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") throw new PageRefusal(texts.error.badRequest, 400, "invalid_request");
  return start(c, new URLSearchParams(new TextDecoder().decode(await readLimited(c.req.raw, 16 * 1024))));
});

/** The "continue" link of the magic-link page: the same request, in this browser, with whatever session it now has. */
authorizeRoutes.get("/oauth/authorize/continue", (c) => {
  const f = flowOf(c, c.req.query("flow"));
  if (!f) throw new PageRefusal(texts.error.flowExpired, 400, "flow_expired");
  return resumeAuthorize(c, f.flow, sessionCookieHash(c, c.get("slug")), null);
});

authorizeRoutes.post("/pages/consent", async (c) => {
  const b = await readForm(c, { decision: z.enum(["allow", "deny"]) });
  const f = flowOf(c, b.flow);
  if (!f) throw new PageRefusal(texts.error.flowExpired, 400, "flow_expired");
  return resumeAuthorize(c, f.flow, sessionCookieHash(c, c.get("slug")), b.decision);
});
