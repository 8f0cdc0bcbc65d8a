/**
 * @module The OpenAPI 3.1 document, generated from the operation list: request schemas are the
 * zod schemas the routes validate with, converted by zod's own `z.toJSONSchema` (JSON Schema
 * 2020-12, which OpenAPI 3.1 uses as is); answers are the zod schemas of `schema/answers/`.
 * Pure: it imports no Worker API, so Node tools (the snapshot check, the validator, the
 * fuzzer) build the same document the Worker serves.
 */
import { z } from "zod";
import { ERROR_STATUS, type ErrorCode } from "../errors.ts";
import { OAUTH_STATUS } from "../../objects/tenant/oauth/errors.ts";
import { OAuthError, WardenError } from "../../schema/answers/common.ts";
import { PATH_PARAMS, TAGS, type Answer, type Operation, type Security } from "./operation.ts";
import { OPERATIONS } from "./operations/index.ts";

export const API_VERSION = "1.0.0";

type Json = Record<string, unknown>;

/** Named schemas found while converting: `$defs` entries hoisted to `components.schemas`. */
class Components {
  readonly schemas: Record<string, Json> = {};
  private readonly seen = new Map<string, string>();

  /**
   * The JSON Schema of `s`, its named parts (`.meta({id})`, which zod converts to `$defs`)
   * moved to components and referenced. A name must mean one schema: converting a named answer
   * on the request side (where defaults make fields optional) would differ, and throws.
   */
  schema(s: z.ZodType, io: "input" | "output"): Json {
    const out = z.toJSONSchema(s, { io, unrepresentable: "any", target: "draft-2020-12" }) as Json;
    const defs = (out.$defs ?? {}) as Record<string, Json>;
    delete out.$schema;
    delete out.$defs;
    const fix = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(fix);
      if (!v || typeof v !== "object") return v;
      const o: Json = {};
      for (const [k, x] of Object.entries(v)) o[k] = k === "$ref" && typeof x === "string" ? x.replace("#/$defs/", "#/components/schemas/") : fix(x);
      // zod spells out what the format already says: the date-time regex, and the safe-integer
      // bounds of every `.int()`. Readers and generators understand the short form.
      if (o.format === "date-time" || o.format === "date") delete o.pattern;
      if (o.minimum === Number.MIN_SAFE_INTEGER) delete o.minimum;
      if (o.maximum === Number.MAX_SAFE_INTEGER) delete o.maximum;
      return o;
    };
    const name = (id: string, body: Json): void => {
      const text = JSON.stringify(body);
      const prior = this.seen.get(id);
      if (prior !== undefined && prior !== text) throw new Error(`schema ${id} converts two ways (${io})`);
      this.seen.set(id, text);
      this.schemas[id] = body;
    };
    // A named root converts to `{$ref: "#/$defs/<id>"}` beside its own entry.
    for (const [id, body] of Object.entries(defs)) name(id, fix(body) as Json);
    return fix(out) as Json;
  }
}

const SCHEMES = {
  accessToken: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "A user's access token (an EdDSA-signed JWT from sign-in, refresh or the OAuth token endpoint), as `Authorization: Bearer …`.",
  },
  apiKey: {
    type: "http",
    scheme: "bearer",
    description: "A tenant API key (`wk_…`), as `Authorization: Bearer …`. Its scopes (`introspect`, `subscribe`, `manage`) are listed on each operation's security requirement.",
  },
  adminToken: { type: "http", scheme: "bearer", description: "The operator's `ADMIN_TOKEN`, as `Authorization: Bearer …`." },
  clientSecretBasic: {
    type: "http",
    scheme: "basic",
    description: "OAuth client authentication (RFC 6749 section 2.3.1): `client_secret_basic`. `client_secret_post` (client_id and client_secret in the form) is accepted too; public clients send `client_id` only.",
  },
} as const;

function requirements(s: Security): Json[] {
  switch (s.kind) {
    case "public":
      return [{}];
    case "bearer":
      return [{ accessToken: [] }];
    case "apiKey":
      return [{ apiKey: s.scopes }];
    case "admin":
      return [{ adminToken: [] }];
    case "client":
      return [{ clientSecretBasic: [] }, {}];
    case "anyOf":
      return s.of.flatMap(requirements);
  }
}

const kinds = (s: Security): Set<Security["kind"]> => (s.kind === "anyOf" ? new Set(s.of.flatMap((x) => [...kinds(x)])) : new Set([s.kind]));

/** The refusals every route of this kind can answer, beside the ones the operation names. */
export function impliedErrors(op: Operation): ErrorCode[] {
  const codes = new Set<ErrorCode>(op.errors ?? []);
  if (op.oauthErrors && !op.oauthErrorsToClientsOnly) return [...codes];
  const k = kinds(op.security);
  // A browser endpoint (its answers are pages and redirects) shows its own refusals as pages:
  // only the tenant middleware's and the router's refusals come as JSON.
  const browser = Object.values(op.answers).some((a) => a.media === "text/html");
  if (browser) (codes.add("tenant_not_found"), codes.add("rate_limited"));
  else if (op.body) for (const c of ["invalid_json", "unsupported_media_type", "payload_too_large", "invalid_request"] as const) codes.add(c);
  // A route that takes no body still reads what is sent, up to the limit.
  else if (op.method !== "get") codes.add("payload_too_large");
  if (op.query && !browser) codes.add("invalid_request");
  if (op.path.includes("{tenant}") || op.path.includes("{slug}")) (codes.add("tenant_not_found"), codes.add("rate_limited"));
  if (k.has("bearer") || k.has("apiKey") || k.has("admin")) (codes.add("unauthorized"), codes.add("invalid_token"));
  // A key without the scope; for a bearer route, an OAuth client's token that does not reach
  // account routes (objects/tenant/bearer.ts: not first-party, no account scope).
  if (k.has("apiKey") || k.has("bearer")) codes.add("forbidden");
  codes.add("internal");
  return [...codes];
}

const HEADER_DOCS: Record<string, string> = {
  "Retry-After": "Seconds to wait before trying again (RFC 9110 section 10.2.3).",
  "WWW-Authenticate": "The bearer challenge (RFC 6750 section 3).",
  "Cache-Control": "`no-store` on every error and every answer that carries a token or a secret.",
};

function headers(names: Record<string, string>): Json {
  const out: Json = {};
  for (const [name, description] of Object.entries(names)) out[name] = { description, schema: { type: "string" } };
  return out;
}

/** An NDJSON body, request or answer: a string whose every line is a JSON value of `line`. */
const ndjson = (line: Json): Json => ({ type: "string", description: "One JSON object per line, each:", contentSchema: line });

/** Builds the document. `server`: the origin clients call (the deployment's PUBLIC_URL). */
export function buildDocument(server = "http://localhost:8787"): Json {
  const components = new Components();
  const paths: Record<string, Record<string, Json>> = {};
  const wardenError = components.schema(WardenError, "output");
  const oauthError = components.schema(OAuthError, "output");

  for (const op of OPERATIONS) {
    const parameters: Json[] = [];
    for (const [, name] of op.path.matchAll(/\{([^}]+)\}/g)) {
      const p = PATH_PARAMS[name];
      if (!p) throw new Error(`${op.id}: path parameter {${name}} has no description`);
      parameters.push({ name, in: "path", required: true, description: p.description, schema: { type: "string", ...(p.pattern ? { pattern: p.pattern } : {}) } });
    }
    if (op.query) {
      const q = components.schema(op.query, "input") as { properties?: Record<string, Json>; required?: string[] };
      for (const [name, schema] of Object.entries(q.properties ?? {})) {
        const { description, ...rest } = schema;
        parameters.push({ name, in: "query", required: q.required?.includes(name) ?? false, ...(description ? { description } : {}), schema: rest });
      }
    }
    for (const [name, h] of Object.entries(op.headers ?? {})) parameters.push({ name, in: "header", required: h.required ?? false, description: h.description, schema: { type: "string" } });

    const o: Json = {
      operationId: op.id,
      tags: [op.tag],
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      security: requirements(op.security),
      ...(parameters.length ? { parameters } : {}),
    };
    if (op.deprecated) o.deprecated = true;
    if (op.body) {
      const schema = components.schema(op.body.schema, "input");
      const content: Json = {};
      for (const [i, m] of (op.body.media ?? ["application/json"]).entries()) {
        content[m] = { schema: m === "application/x-ndjson" ? ndjson(schema) : schema, ...(i === 0 && op.body.example !== undefined ? { example: op.body.example } : {}) };
      }
      o.requestBody = { required: !op.body.optional, content };
    }

    const responses: Record<string, Json> = {};
    for (const [status, a] of Object.entries(op.answers) as [string, Answer][]) {
      const r: Json = { description: a.description };
      const hs: Record<string, string> = { ...(a.headers ?? {}) };
      if (a.schema) {
        const media = a.media ?? "application/json";
        const schema = media === "text/html" ? { type: "string" } : components.schema(a.schema, "output");
        r.content = { [media]: { schema: media === "application/x-ndjson" ? ndjson(schema) : schema, ...(a.example !== undefined ? { example: a.example } : {}) } };
      }
      if (Object.keys(hs).length) r.headers = headers(hs);
      responses[status] = r;
    }
    // Refusals, grouped by status: the error model narrowed to the codes of that status.
    // An OAuth endpoint's own refusals are RFC 6749's; the middleware in front of it (unknown
    // tenant, the per-IP shield) answers Warden's, so one status may carry either.
    const groups = new Map<number, { oauth: string[]; warden: string[] }>();
    const group = (s: number) => groups.get(s) ?? (groups.set(s, { oauth: [], warden: [] }), groups.get(s)!);
    for (const c of op.oauthErrors ?? []) group(OAUTH_STATUS[c]).oauth.push(c);
    // The body reader's refusals keep their HTTP status in RFC 6749's format (routes/oauth/respond.ts `onOAuthError`).
    // (Not where the OAuth errors go to clients only: there the body reader's refusals are Warden's.)
    const oauthOnly = !!op.oauthErrors && !op.oauthErrorsToClientsOnly;
    if (oauthOnly && op.method !== "get") group(413).oauth.push("invalid_request");
    if (oauthOnly && op.body && (op.body.media ?? ["application/json"]).includes("application/json")) group(415).oauth.push("invalid_request");
    for (const c of impliedErrors(op)) group(ERROR_STATUS[c]).warden.push(c);
    for (const [status, g] of [...groups].sort((a, b) => a[0] - b[0])) {
      const hs: Record<string, string> = { "Cache-Control": HEADER_DOCS["Cache-Control"] };
      if (status === 429 || status === 423) hs["Retry-After"] = HEADER_DOCS["Retry-After"];
      // RFC 6750 section 3: 401, and 403 `insufficient_scope`, carry the challenge.
      if ((status === 401 && (kinds(op.security).has("bearer") || g.oauth.length)) || (status === 403 && kinds(op.security).has("bearer"))) hs["WWW-Authenticate"] = HEADER_DOCS["WWW-Authenticate"];
      const schemas: Json[] = [];
      if (g.oauth.length) schemas.push({ allOf: [oauthError, { type: "object", properties: { error: { enum: g.oauth } } }] });
      if (g.warden.length) schemas.push({ allOf: [wardenError, { type: "object", properties: { error: { type: "object", properties: { code: { enum: g.warden } } } } }] });
      const narrowed = schemas.length === 1 ? schemas[0] : { anyOf: schemas };
      const description = [...g.oauth, ...g.warden].map((c) => `\`${c}\``).join(", ");
      const prior = responses[String(status)] as { description: string; content?: Json; headers?: Json } | undefined;
      // A page at the same status (a browser endpoint's error page): the JSON refusal is its other media type.
      if (prior && prior.content && !("application/json" in prior.content)) {
        prior.description = `${prior.description} As JSON: ${description}.`;
        prior.content["application/json"] = { schema: narrowed };
        prior.headers = { ...(prior.headers ?? {}), ...headers(hs) };
        continue;
      }
      if (prior) throw new Error(`${op.id}: ${status} is both an answer and an error`);
      responses[String(status)] = { description, headers: headers(hs), content: { "application/json": { schema: narrowed } } };
    }
    o.responses = responses;
    (paths[op.path] ??= {})[op.method] = o;
  }

  return {
    openapi: "3.1.1",
    jsonSchemaDialect: "https://spec.openapis.org/oas/3.1/dialect/base",
    info: {
      title: "Warden",
      version: API_VERSION,
      summary: "Multi-tenant authentication: sessions that revoke consistently, OAuth 2.1 and OpenID Connect, passkeys.",
      license: { name: "MIT", identifier: "MIT" },
    },
    servers: [{ url: server }],
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    paths,
    components: { schemas: components.schemas, securitySchemes: SCHEMES },
  };
}
