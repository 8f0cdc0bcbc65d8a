/// <reference types="node" />
/**
 * @module Every answer an end-to-end test receives from the server is held against the OpenAPI
 * document: the status must be one the operation documents, and a JSON body must validate
 * against that status's schema (ajv, JSON Schema 2020-12, as OpenAPI 3.1 uses it). `fetch` is
 * wrapped for the server's origin only, so relying-party libraries (openid-client,
 * oauth4webapi) are checked too. Violations are collected and fail the file at its end.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { buildDocument } from "../../src/openapi/document.ts";
import { documentedMedia, documentRoutes, findRoute } from "../openapi-routes.ts";

type Json = Record<string, any>;
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
const DOC_ID = "https://warden.invalid/openapi.json";

export interface Contract {
  /** Checks one answer; resolves once checked. */
  check(method: string, url: URL, res: Response): Promise<void>;
  violations: string[];
  /** How many answers were checked against a documented schema. */
  checked: number;
}

export function contractFor(origin: string): Contract {
  const doc = buildDocument(origin);
  const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true });
  addFormats(ajv);
  ajv.addSchema({ $id: DOC_ID, components: doc.components } as Json);
  const routes = documentRoutes(doc);
  const validators = new Map<Json, ReturnType<Ajv2020["compile"]>>();
  const validatorOf = (schema: Json) => {
    let v = validators.get(schema);
    if (!v) validators.set(schema, (v = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', `"${DOC_ID}#/components/`)))));
    return v;
  };

  const contract: Contract = {
    violations: [],
    checked: 0,
    async check(method, url, res) {
      const route = findRoute(routes, method, url.pathname);
      if (!route) return;
      const text = await res.clone().text();
      const d = documentedMedia(route, url.pathname, res.status, res.headers.get("content-type"), !text);
      if ("violation" in d) return void contract.violations.push(d.violation);
      const { where, type, media } = d;
      if (!media || !/json$/.test(type)) return;
      if (type === "application/x-ndjson") {
        // One JSON value per line, each against the line schema.
        const lines = text.split("\n").filter((l) => l.trim());
        const validate = validatorOf(media.schema.contentSchema ?? {});
        contract.checked++;
        for (const [i, line] of lines.entries()) {
          let v: unknown;
          try {
            v = JSON.parse(line);
          } catch {
            contract.violations.push(`${where}: line ${i + 1} is not JSON: ${line.slice(0, 120)}`);
            return;
          }
          if (!validate(v)) return void contract.violations.push(`${where}: line ${i + 1}: ${ajv.errorsText(validate.errors)} in ${line.slice(0, 300)}`);
        }
        return;
      }
      const body = JSON.parse(text);
      const validate = validatorOf(media.schema);
      contract.checked++;
      if (!validate(body)) contract.violations.push(`${where}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(body).slice(0, 300)}`);
    },
  };
  return contract;
}

/** Wraps `globalThis.fetch` so every answer from `origin` is checked; returns the undo. */
export function watchFetch(origin: string, contract: Contract): () => void {
  const original = globalThis.fetch;
  globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    // Not `new Request(input, init)`: that would take the body of a Request passed in.
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    const res = await original(input, init);
    if (url.origin === origin) {
      try {
        await contract.check(method, url, res);
      } catch (e) {
        contract.violations.push(`${method} ${url.pathname}: could not check: ${String(e)}`);
      }
    }
    return res;
  };
  return () => {
    globalThis.fetch = original;
  };
}
