/**
 * @module The signed-in browser's own pages: "Your apps" (consents, each removable) and the
 * sign-out confirmation, plus the stylesheet every page links.
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../app-env.ts";
import { unwrap } from "../../errors.ts";
import { meta } from "../../http/helpers.ts";
import { AppsPage } from "../../pages/apps.tsx";
import { sessionCookieHash } from "../../pages/cookies.ts";
import { loadPage, render } from "../../pages/render.ts";
import { SignOutPage } from "../../pages/sign-out.tsx";
import { stylesheet } from "../../pages/style.ts";
import { texts } from "../../pages/texts.ts";
import { readForm } from "./common.ts";

export const accountPages = new Hono<AppEnv>();

accountPages.get("/pages/style.css", async (c) => {
  const brand = unwrap(await c.get("tenant").pageContext());
  c.header("Content-Type", "text/css; charset=utf-8");
  c.header("Cache-Control", "public, max-age=300");
  return c.body(stylesheet(brand.primaryColor));
});

async function apps(c: Context<AppEnv>, notice: string | null) {
  const slug = c.get("slug");
  const view = unwrap(await c.get("tenant").listApps({ cookieHash: sessionCookieHash(c, slug) }));
  if (!view) return c.redirect(`/v1/${slug}/pages/sign-in`, 303);
  const page = await loadPage(c);
  return render(c, page, AppsPage({ page, who: view.who, apps: view.apps, notice }), { images: view.apps.map((a) => a.logoUri) });
}

accountPages.get("/pages/apps", (c) => apps(c, null));

accountPages.post("/pages/apps/remove", async (c) => {
  const b = await readForm(c, { client_id: z.string().max(64) });
  const slug = c.get("slug");
  const r = await c.get("tenant").removeApp({ cookieHash: sessionCookieHash(c, slug), clientId: b.client_id, meta: meta(c) });
  if (!r.ok) return c.redirect(`/v1/${slug}/pages/sign-in`, 303);
  return apps(c, texts.apps.removed);
});

/** The sign-out confirmation without an app involved; its form posts to the end-session endpoint. */
accountPages.get("/pages/sign-out", async (c) => {
  const page = await loadPage(c);
  return render(c, page, SignOutPage({ page }));
});
