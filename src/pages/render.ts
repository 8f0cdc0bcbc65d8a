/**
 * @module How a hosted page goes out: loads what it renders with (branding, CSRF token),
 * serialises the JSX, and sets the page's own headers: its CSP (the security-headers
 * middleware leaves a response that has one alone), `no-store`, and HTML.
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-env.ts";
import { unwrap } from "../errors.ts";
import type { PageContext } from "../../objects/tenant/flows/browser.ts";
import { csrfToken } from "./csrf.ts";
import { pageCsp, type CspOptions } from "./csp.ts";
import type { Page } from "./layout.tsx";

export async function loadPage(c: Context<AppEnv>, flow: string | null = null): Promise<Page> {
  const brand: PageContext = unwrap(await c.get("tenant").pageContext());
  return { base: `/v1/${c.get("slug")}`, brand, csrf: csrfToken(c), flow };
}

type Status = 200 | 400 | 403 | 404 | 409 | 423 | 429 | 500 | 503;

export async function render(c: Context<AppEnv>, page: Page, node: { toString(): string | Promise<string> }, csp: CspOptions = {}, status: Status = 200): Promise<Response> {
  const html = `<!doctype html>${await node.toString()}`;
  const images = [page.brand.logoUrl, ...page.brand.providers.map((p) => p.iconUrl), ...(csp.images ?? [])];
  c.header("Content-Security-Policy", pageCsp({ ...csp, images }));
  c.header("Cache-Control", "no-store");
  c.header("X-Frame-Options", "DENY");
  return c.html(html, status);
}
