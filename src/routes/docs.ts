/**
 * @module `GET /openapi.json` (the OpenAPI 3.1 document, built once per isolate and server
 * URL) and `GET /docs` (the reference page rendered from it, with `/docs/style.css`).
 */
import { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";
import { buildDocument } from "../openapi/document.ts";
import { DocsPage, docsStylesheet } from "../pages/docs.tsx";
import { pageCsp } from "../pages/csp.ts";

export const docsRoutes = new Hono<AppEnv>();

const built = new Map<string, Record<string, unknown>>();
function documentFor(server: string): Record<string, unknown> {
  let doc = built.get(server);
  if (!doc) built.set(server, (doc = buildDocument(server)));
  return doc;
}
const serverOf = (c: { env: AppEnv["Bindings"]; req: { url: string } }) => (c.env.PUBLIC_URL ?? new URL(c.req.url).origin).replace(/\/+$/, "");

docsRoutes.get("/openapi.json", (c) => {
  c.header("Cache-Control", "public, max-age=300");
  c.header("Access-Control-Allow-Origin", "*");
  return c.json(documentFor(serverOf(c)));
});

docsRoutes.get("/docs", async (c) => {
  c.header("Content-Security-Policy", pageCsp());
  c.header("Cache-Control", "public, max-age=300");
  const page = DocsPage({ doc: documentFor(serverOf(c)) });
  return c.html(`<!doctype html>${await page.toString()}`);
});

docsRoutes.get("/docs/style.css", (c) => {
  c.header("Content-Type", "text/css; charset=utf-8");
  c.header("Cache-Control", "public, max-age=3600");
  return c.body(docsStylesheet);
});
