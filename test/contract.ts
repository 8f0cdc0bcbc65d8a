/**
 * @module The OpenAPI document as a contract inside the vitest suite: every answer `call()`
 * receives for a documented operation must have a documented status, a JSON body that
 * validates against that status's schema (@cfworker/json-schema: JSON Schema 2020-12 without
 * code generation, so it runs in workerd), and, for a refusal, one of the error codes the
 * document lists for that status. A mismatch fails the test that made the call.
 */
import { Validator, type Schema } from "@cfworker/json-schema";
import { buildDocument } from "../src/openapi/document.ts";
import { documentedMedia, documentRoutes, findRoute, type DocRoute } from "./openapi-routes.ts";

type Json = Record<string, any>;

let routes: DocRoute[] | null = null;
let components: Json = {};
const validators = new Map<Json, Validator>();

function load(): DocRoute[] {
  if (routes) return routes;
  const doc = buildDocument("http://warden.test") as Json;
  components = doc.components;
  return (routes = documentRoutes(doc));
}

function validatorOf(schema: Json): Validator {
  let v = validators.get(schema);
  if (!v) validators.set(schema, (v = new Validator({ ...schema, components } as Schema, "2020-12", false)));
  return v;
}

/** Null when the answer matches the document (or the path is not a documented operation), else why not. */
export function contractViolation(method: string, path: string, status: number, contentType: string | null, body: unknown): string | null {
  const pathname = path.split("?")[0];
  const route = findRoute(load(), method, pathname);
  if (!route) return null;
  const d = documentedMedia(route, pathname, status, contentType, body === null || body === "");
  if ("violation" in d) return `${d.violation}; body ${JSON.stringify(body).slice(0, 200)}`;
  if (!d.media || !/json$/.test(d.type)) return null;
  const r = validatorOf(d.media.schema).validate(body);
  if (r.valid) return null;
  const errs = r.errors.filter((e) => e.keyword !== "properties" && e.keyword !== "allOf" && e.keyword !== "$ref").slice(0, 4);
  return `${d.where}: ${(errs.length ? errs : r.errors.slice(0, 3)).map((e) => `${e.instanceLocation} ${e.error}`).join("; ")} in ${JSON.stringify(body).slice(0, 300)}`;
}
