/**
 * @module The router Worker's Hono app: middleware, every route, and the one error handler
 * that turns an AuthError into the error model's body `{error: {code, message, details?}}` (anything else is logged and is a 500).
 */
import { Hono } from "hono";
import { cors } from "hono/cors";
import { AuthError } from "./errors.ts";
import type { AppEnv } from "./app-env.ts";
import { adminAuth } from "./middleware/admin-auth.ts";
import { ipLimit } from "./middleware/ip-limit.ts";
import { requestLog } from "./middleware/request-log.ts";
import { securityHeaders } from "./middleware/security-headers.ts";
import { tenant } from "./middleware/tenant.ts";
import { tenantAdminRoutes } from "./routes/admin/tenants.ts";
import { benchRoutes } from "./routes/admin/bench.ts";
import { seedRoutes } from "./routes/admin/seed.ts";
import { accountRoutes } from "./routes/account.ts";
import { mfaRoutes } from "./routes/mfa.ts";
import { asManageKey } from "./routes/admin/caller.ts";
import { adminOperatorRoutes, operatorRoutes } from "./routes/admin/operator.ts";
import { authRoutes } from "./routes/auth.ts";
import { eventRoutes } from "./routes/events.ts";
import { meRoutes } from "./routes/me.ts";
import { identityRoutes } from "./routes/identities.ts";
import { browserRoutes } from "./routes/pages/index.ts";
import { discoveryRoutes, rootDiscoveryRoutes } from "./routes/oauth/discovery.ts";
import { tokenRoutes } from "./routes/oauth/token.ts";
import { userinfoRoutes } from "./routes/oauth/userinfo.ts";
import { registerRoutes } from "./routes/oauth/register.ts";
import { CLIENT_CORS_PATH, clientCors } from "./middleware/client-cors.ts";
import { reauthRoutes } from "./routes/reauth.ts";
import { passkeyRoutes } from "./routes/passkeys.ts";
import { consoleRoutes } from "./routes/console/index.ts";
import { docsRoutes } from "./routes/docs.ts";

export function errorResponse(e: AuthError): Response {
  const headers: Record<string, string> = { "Cache-Control": "no-store", "Content-Type": "application/json" };
  if (e.retryAfter !== undefined) headers["Retry-After"] = String(Math.max(1, Math.ceil(e.retryAfter)));
  if (e.challenge) headers["WWW-Authenticate"] = e.challenge;
  return new Response(JSON.stringify(e.toBody()), { status: e.status, headers });
}

export function buildApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("*", requestLog());
  app.use("*", securityHeaders());
  const globalCors = cors({
    origin: (origin, c) => {
      const allowed = (c.env.ALLOWED_ORIGINS ?? "").split(",").map((s: string) => s.trim()).filter(Boolean);
      return allowed.includes("*") ? origin || "*" : allowed.includes(origin) ? origin : null;
    },
    allowHeaders: ["Authorization", "Content-Type", "cf-turnstile-response", "X-Request-Id"],
    allowMethods: ["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"],
    exposeHeaders: ["Retry-After", "X-Request-Id"],
    maxAge: 600,
  });
  // The OAuth endpoints single-page apps call have per-client CORS (middleware/client-cors.ts).
  app.use("*", (c, next) => (CLIENT_CORS_PATH.test(c.req.path) ? next() : globalCors(c, next)));

  app.get("/health", (c) => c.json({ status: "healthy", message: "API is running" }));
  app.route("/", rootDiscoveryRoutes);
  // The API described: the OpenAPI document and its reference page.
  app.route("/", docsRoutes);

  const admin = new Hono<AppEnv>();
  admin.use("*", adminAuth());
  admin.route("/", tenantAdminRoutes);
  // Benchmark seeding exists only in development; checked per request, since the environment
  // is a var of the request's env, not of the module.
  admin.use("/tenants/:slug/bench/*", async (c, next) => {
    if (c.env.ENVIRONMENT !== "development") throw new AuthError("not_found");
    await next();
  });
  admin.route("/", seedRoutes);
  admin.route("/", benchRoutes);
  admin.route("/", adminOperatorRoutes());
  // Without this, an unknown admin path falls through to /v1/:tenant as the reserved slug "admin".
  admin.all("*", () => {
    throw new AuthError("not_found");
  });
  app.route("/v1/admin", admin);

  const t = new Hono<AppEnv>();
  t.use("*", ipLimit());
  t.use("*", tenant());
  for (const p of ["/oauth/token", "/oauth/userinfo", "/revoke"]) t.use(p, clientCors());
  t.route("/", authRoutes);
  t.route("/", meRoutes);
  t.route("/", identityRoutes);
  t.route("/", mfaRoutes);
  t.route("/", reauthRoutes);
  t.route("/", passkeyRoutes);
  t.route("/", accountRoutes);
  t.route("/", eventRoutes);
  // The hosted pages, /oauth/authorize and /oauth/logout: HTML, with their own error page.
  t.route("/", browserRoutes);
  t.route("/", discoveryRoutes);
  t.route("/", tokenRoutes);
  t.route("/", userinfoRoutes);
  t.route("/", registerRoutes);
  // Users, roles and audit of this tenant for its `manage` API keys: the admin's handlers, see routes/admin/operator.ts.
  t.route("/admin", operatorRoutes(asManageKey));
  app.route("/v1/:tenant", t);

  // The admin console: HTML over the same flows, with its own sign-in and error page.
  app.get("/admin", (c) => c.redirect("/admin/", 308));
  app.route("/admin/", consoleRoutes());

  app.notFound(() => errorResponse(new AuthError("not_found")));
  app.onError((err, c) => {
    if (err instanceof AuthError && err.code !== "stale_policy") return errorResponse(err);
    c.get("log")?.error("unhandled", { request_id: c.get("requestId"), error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    return errorResponse(new AuthError("internal"));
  });
  return app;
}
