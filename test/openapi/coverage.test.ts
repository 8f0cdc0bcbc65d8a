/**
 * @module The document and the app's routes hold each other: every JSON route the app registers
 * is a documented operation, and every documented operation is a registered route. HTML pages,
 * the console, the reference page itself and the development-only benchmark routes are the
 * listed exclusions. Also: `/openapi.json` and `/docs` as a client sees them.
 */
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.ts";
import { buildDocument } from "../../src/openapi/document.ts";
import { OPERATIONS } from "../../src/openapi/operations/index.ts";
import { call } from "../helpers.ts";

/** Not JSON API operations, each with why. */
const EXCLUDED: [RegExp, string][] = [
  [/^GET \/admin$/, "the console's redirect to /admin/"],
  [/^(GET|POST) \/admin\//, "the admin console: HTML pages"],
  [/^(GET|POST) \/v1\/\{tenant\}\/pages\//, "the hosted sign-in pages: HTML"],
  [/^GET \/docs(\/style\.css)?$/, "this reference page and its stylesheet"],
  [/^POST \/v1\/admin\/tenants\/\{slug\}\/bench\//, "benchmark seeding: development only, 404 elsewhere"],
];

const registered = () => {
  const seen = new Set<string>();
  for (const r of buildApp().routes) {
    if (r.method === "ALL") continue;
    const path = r.path.replace(/:([A-Za-z_]+)/g, "{$1}");
    seen.add(`${r.method} ${path}`);
  }
  return seen;
};

describe("the OpenAPI document covers the app", () => {
  it("every registered route is documented, or is a listed exclusion", () => {
    const documented = new Set(OPERATIONS.map((o) => `${o.method.toUpperCase()} ${o.path}`));
    const missing = [...registered()].filter((r) => !documented.has(r) && !EXCLUDED.some(([re]) => re.test(r)));
    expect(missing).toEqual([]);
  });

  it("every documented operation is a registered route, and no exclusion is documented", () => {
    const routes = registered();
    const phantom = OPERATIONS.map((o) => `${o.method.toUpperCase()} ${o.path}`).filter((k) => !routes.has(k));
    expect(phantom).toEqual([]);
    const excludedButDocumented = OPERATIONS.map((o) => `${o.method.toUpperCase()} ${o.path}`).filter((k) => EXCLUDED.some(([re]) => re.test(k)));
    expect(excludedButDocumented).toEqual([]);
  });

  it("operation ids are unique and stable-looking (camelCase)", () => {
    const ids = OPERATIONS.map((o) => o.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][A-Za-z0-9]*$/);
  });

  it("GET /openapi.json serves the document for this deployment's URL", async () => {
    const r = await call("GET", "/openapi.json");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^application\/json/);
    expect(r.body.openapi).toBe("3.1.1");
    expect(r.body.servers).toEqual([{ url: "http://warden.test" }]);
    expect(r.body).toEqual(buildDocument("http://warden.test"));
  });

  it("GET /docs renders every operation, offline: no script, nothing from another origin", async () => {
    const r = await call("GET", "/docs");
    expect(r.status).toBe(200);
    const html = r.body as string;
    for (const o of OPERATIONS) expect(html).toContain(`id="op-${o.id}"`);
    expect(html).not.toContain("<script");
    expect(html.match(/(?:src|href)="https?:\/\/[^"]+"/g) ?? []).toEqual([]);
    const csp = r.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain("script-src");
    const css = await call("GET", "/docs/style.css");
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toMatch(/^text\/css/);
  });
});
