/**
 * @module The OpenAPI document's operations as a route table, for the checks that hold answers
 * to it: the vitest contract (test/contract.ts, in workerd), the end-to-end contract
 * (test/e2e/contract.ts, in Node) and the fuzzer. Which operation a request is, and whether
 * its answer's status and content type are documented, is decided here once; each caller
 * validates the body with its own JSON Schema validator.
 */

type Json = Record<string, any>;

export interface DocRoute {
  method: string;
  /** The template, e.g. `/v1/{tenant}/users/{id}`. */
  path: string;
  /** The template as a pattern: each `{param}` one path segment. */
  re: RegExp;
  op: Json;
}

export const pathPattern = (path: string): RegExp => new RegExp(`^${path.replace(/[.]/g, "\\.").replace(/\{[^}]+\}/g, "[^/]+")}$`);

/** Every operation, the most specific template first (`/users/export` before `/users/{id}`). */
export function documentRoutes(doc: Json): DocRoute[] {
  const routes: (DocRoute & { fixed: number })[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
    const re = pathPattern(path);
    const fixed = path.replace(/\{[^}]+\}/g, "").length;
    for (const [method, op] of Object.entries(item)) routes.push({ method: method.toUpperCase(), path, re, op, fixed });
  }
  return routes.sort((a, b) => b.fixed - a.fixed);
}

export const findRoute = (routes: DocRoute[], method: string, pathname: string): DocRoute | undefined => routes.find((r) => r.method === method && r.re.test(pathname));

/**
 * The documented media of an answer, or why the answer is not documented: its status, a body
 * where none is documented (a 101 upgrade has none to speak of), or its content type. `media`
 * null: documented without a body, and none came.
 */
export function documentedMedia(route: DocRoute, pathname: string, status: number, contentType: string | null, empty: boolean): { where: string; type: string; media: Json | null } | { violation: string } {
  const where = `${route.method} ${pathname} → ${status} (${route.op.operationId})`;
  const documented = route.op.responses[String(status)] ?? route.op.responses.default;
  if (!documented) return { violation: `${where}: status not documented (documented: ${Object.keys(route.op.responses).join(", ")})` };
  const type = (contentType ?? "").split(";")[0].trim();
  if (!documented.content) return empty || status === 101 ? { where, type, media: null } : { violation: `${where}: documented without a body, answered ${type || "(no content type)"}` };
  const media = documented.content[type];
  if (!media) return { violation: `${where}: content type ${type || "(none)"} not documented (${Object.keys(documented.content).join(", ")})` };
  return { where, type, media };
}
