/**
 * @module The OpenAPI document as a contract inside the vitest suite: every answer `call()`
 * receives for a documented operation must have a documented status, a JSON body that
 * validates against that status's schema (@cfworker/json-schema: JSON Schema 2020-12 without
 * code generation, so it runs in workerd), and, for a refusal, one of the error codes the
 * document lists for that status. A mismatch fails the test that made the call.
 */
import { Validator, type Schema } from "@cfworker/json-schema";
import { buildDocument } from "../src/openapi/document.ts";

type Json = Record<string, any>;

interface Route {
  method: string;
  re: RegExp;
  fixed: number;
  op: Json;
}

let routes: Route[] | null = null;
let components: Json = {};
const validators = new Map<Json, Validator>();

function load(): Route[] {
  if (routes) return routes;
  const doc = buildDocument("http://warden.test") as Json;
  components = doc.components;
  routes = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
    const re = new RegExp(`^${path.replace(/[.]/g, "\\.").replace(/\{[^}]+\}/g, "[^/]+")}$`);
    const fixed = path.replace(/\{[^}]+\}/g, "").length;
    for (const [method, op] of Object.entries(item)) routes.push({ method: method.toUpperCase(), re, fixed, op });
  }
  // The most specific template first: `/users/export` before `/users/{id}`.
  routes.sort((a, b) => b.fixed - a.fixed);
  return routes;
}

function validatorOf(schema: Json): Validator {
  let v = validators.get(schema);
  if (!v) validators.set(schema, (v = new Validator({ ...schema, components } as Schema, "2020-12", false)));
  return v;
}

/** Null when the answer matches the document (or the path is not a documented operation), else why not. */
export function contractViolation(method: string, path: string, status: number, contentType: string | null, body: unknown): string | null {
  const pathname = path.split("?")[0];
  const route = load().find((r) => r.method === method && r.re.test(pathname));
  if (!route) return null;
  const where = `${method} ${pathname} → ${status} (${route.op.operationId})`;
  const documented = route.op.responses[String(status)];
  if (!documented) return `${where}: status not documented (documented: ${Object.keys(route.op.responses).join(", ")}); body ${JSON.stringify(body).slice(0, 200)}`;
  const type = (contentType ?? "").split(";")[0].trim();
  if (!documented.content) return body === null || body === "" ? null : `${where}: documented without a body, answered ${type}`;
  const media = documented.content[type];
  if (!media) return `${where}: content type ${type || "(none)"} not documented (${Object.keys(documented.content).join(", ")})`;
  if (!/json$/.test(type)) return null;
  const r = validatorOf(media.schema).validate(body);
  if (r.valid) return null;
  const errs = r.errors.filter((e) => e.keyword !== "properties" && e.keyword !== "allOf" && e.keyword !== "$ref").slice(0, 4);
  return `${where}: ${(errs.length ? errs : r.errors.slice(0, 3)).map((e) => `${e.instanceLocation} ${e.error}`).join("; ")} in ${JSON.stringify(body).slice(0, 300)}`;
}
