/**
 * @module The admin console under `/admin/`: server-rendered pages over the same tenant-object
 * flows as the admin API (nothing extra to deploy, no front-end build). Here: the stylesheet,
 * sign-in and sign-out, the guard every other page passes (Origin on changes, the session,
 * a tenant's pages only for the operator or that tenant's own key), and the one error page.
 */
import { Hono, type Context, type ErrorHandler } from "hono";
import { z } from "zod";
import { AuthError } from "../../errors.ts";
import { meta } from "../../http/helpers.ts";
import { ipLimit } from "../../middleware/ip-limit.ts";
import { isAdminToken } from "../../middleware/admin-auth.ts";
import { RESERVED_SLUGS, SLUG_RE } from "../../../schema/requests.ts";
import { ErrorView } from "../../pages/console/layout.tsx";
import { renderConsole } from "../../pages/console/render.ts";
import { SignInPage } from "../../pages/console/sign-in.tsx";
import { consoleStylesheet } from "../../pages/console/style.ts";
import { texts } from "../../pages/console/texts.ts";
import { ConsoleRefusal, consoleAuth, frame, originCheck, readForm, type ConsoleEnv } from "./auth.ts";
import { clearSession, newSession, readSession, writeSession } from "./session.ts";
import { tenantPages, tenantsPage } from "./tenants.ts";
import { userPages } from "./users.ts";
import { auditPages } from "./audit.ts";
import { eventPages } from "./events.ts";
import { managePages } from "./manage.ts";
import { idpPages } from "./idps.ts";

/**
 * The operator has no tenant to audit a sign-in in: it goes to Analytics Engine in the audit
 * log's point shape (tenant blob empty) and to the log. A key's sign-in is audited by its
 * tenant's object (`console.signed_in`).
 */
function auditOperatorSignIn(c: Context<ConsoleEnv>): void {
  const m = meta(c);
  c.env.AUDIT?.writeDataPoint({ blobs: ["", "console.signed_in", "", "", m.ip ?? "", "admin", m.userAgent?.slice(0, 256) ?? ""], doubles: [1], indexes: [""] });
  c.get("log")?.info("console.signed_in", { actor: "admin", ip: m.ip, request_id: c.get("requestId") });
}

const signInForm = { token: z.string().min(1).max(4096), tenant: z.string().max(64).optional() };

const consoleError: ErrorHandler<ConsoleEnv> = async (err, c) => {
  let status: 400 | 401 | 403 | 404 | 409 | 500 = 500;
  let message: string = texts.error.internal;
  if (err instanceof ConsoleRefusal) ({ status, message } = err);
  else if (err instanceof AuthError && err.status < 500) {
    status = ([400, 401, 403, 404, 409] as const).find((s) => s === err.status) ?? 400;
    message = err.code === "tenant_not_found" ? texts.error.notFound : err.message;
  } else c.get("log")?.error("unhandled", { request_id: c.get("requestId"), error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  return renderConsole(c, ErrorView({ frame: frame(c), message }), { status });
};

export function consoleRoutes(): Hono<ConsoleEnv> {
  const r = new Hono<ConsoleEnv>();
  r.onError(consoleError);
  r.use("*", originCheck());

  r.get("/style.css", (c) => {
    c.header("Cache-Control", "public, max-age=3600");
    return c.body(consoleStylesheet, 200, { "Content-Type": "text/css; charset=utf-8" });
  });

  r.get("/", async (c) => {
    const s = await readSession(c);
    if (s.ok) return c.redirect(s.session.kind === "admin" ? "/admin/tenants" : `/admin/t/${s.session.slug}/users`, 303);
    const ended = c.req.query("ended") as keyof typeof texts.signIn.ended | undefined;
    return renderConsole(c, SignInPage({ frame: frame(c), notice: ended ? texts.signIn.ended[ended] ?? null : null }));
  });

  r.post("/sign-in", ipLimit() as never, async (c) => {
    const f = await readForm(c, signInForm, "");
    const slug = f.tenant?.trim() ?? "";
    const refuse = () => renderConsole(c, SignInPage({ frame: frame(c), error: texts.signIn.failed, tenant: slug }), { status: 401 });
    if (isAdminToken(f.token, c.env.ADMIN_TOKEN)) {
      auditOperatorSignIn(c);
      await writeSession(c, newSession({ kind: "admin", token: f.token }));
      return c.redirect("/admin/tenants", 303);
    }
    if (!SLUG_RE.test(slug) || RESERVED_SLUGS.has(slug)) return refuse();
    const signed = await c.env.TENANT.getByName(slug).consoleSignIn({ by: { apiKey: f.token }, meta: meta(c), via: "api_key" });
    if (!signed.ok) return refuse();
    await writeSession(c, newSession({ kind: "key", slug, key: f.token }));
    return c.redirect(`/admin/t/${slug}/users`, 303);
  });

  const authed = new Hono<ConsoleEnv>();
  authed.use("*", consoleAuth());
  authed.post("/sign-out", async (c) => {
    await readForm(c, {});
    clearSession(c);
    return c.redirect("/admin/?ended=signed_out", 303);
  });
  authed.route("/", tenantsPage);

  const one = new Hono<ConsoleEnv>();
  one.use("*", async (c, next) => {
    const slug = c.req.param("slug") ?? "";
    const who = c.get("who");
    // A key session sees its own tenant only; any other is as if it did not exist.
    if (!SLUG_RE.test(slug) || RESERVED_SLUGS.has(slug) || (who.kind === "key" && who.slug !== slug)) throw new ConsoleRefusal(texts.error.notFound, 404);
    c.set("slug", slug);
    c.set("tenant", c.env.TENANT.getByName(slug));
    await next();
  });
  one.route("/", tenantPages);
  one.route("/", userPages);
  one.route("/", auditPages);
  one.route("/", eventPages);
  one.route("/", managePages);
  one.route("/", idpPages);
  authed.route("/t/:slug", one);
  authed.all("*", () => {
    throw new ConsoleRefusal(texts.error.notFound, 404);
  });
  r.route("/", authed);
  return r;
}
