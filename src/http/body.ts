/**
 * @module Reading a request body once, at the edge: content type (415), size (413, counted
 * while streaming so a lying Content-Length does not help), UTF-8 and JSON (invalid_json),
 * nesting depth, well-formed Unicode, then the route's strict zod schema (invalid_request
 * with the issues).
 */
import type { Context } from "hono";
import type { z } from "zod";
import { AuthError } from "../errors.ts";

export const MAX_BODY = 16 * 1024;
export const MAX_IMPORT_BODY = 1024 * 1024;
/**
 * The deepest JSON any route accepts (the body itself is level 1). No Warden body needs more
 * than four levels; past a few thousand, the recursive validators behind zod overflow the stack.
 */
export const MAX_JSON_DEPTH = 32;

export interface BodyOptions {
  maxBytes?: number;
  /** Also accept application/x-www-form-urlencoded (RFC 7009 / RFC 7662 clients send it). */
  form?: boolean;
}

/** Reads at most `max` bytes of the body; throws payload_too_large past that. */
export async function readLimited(req: Request, max: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > max) throw new AuthError("payload_too_large");
  if (!req.body) return new Uint8Array();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      throw new AuthError("payload_too_large");
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) (out.set(c, off), (off += c.byteLength));
  return out;
}

/**
 * True when no array or object in `v` lies deeper than `max` levels. Iterative, so the check
 * itself cannot overflow the stack whatever `JSON.parse` produced.
 */
export function withinDepth(v: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[v, 1]];
  while (stack.length) {
    const [x, depth] = stack.pop()!;
    if (x === null || typeof x !== "object") continue;
    if (depth > max) return false;
    for (const child of Array.isArray(x) ? x : Object.values(x)) stack.push([child, depth + 1]);
  }
  return true;
}

/**
 * Keys no body may carry, at any depth: `__proto__` (zod and object spreads would drop it, or
 * worse, assign the prototype) and the `constructor.prototype` pair that deep-merge gadgets
 * use for prototype pollution. Only the free-form parts (settings, metadata) could hold them;
 * they are refused rather than silently dropped, so what is stored is what was sent.
 */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** The path of the first forbidden key in `v` (`metadata.a.__proto__`), or null. Recursive: call after `withinDepth`. */
export function forbiddenKey(v: unknown, path = ""): string | null {
  if (v === null || typeof v !== "object") return null;
  for (const [k, x] of Object.entries(v)) {
    const p = path ? `${path}.${k}` : k;
    if (!Array.isArray(v) && FORBIDDEN_KEYS.has(k)) return p;
    const inner = forbiddenKey(x, p);
    if (inner) return inner;
  }
  return null;
}

/** Depth first (the other walks recurse), then forbidden keys, then Unicode; throws invalid_request. */
export function assertSafeJson(v: unknown): void {
  if (!withinDepth(v)) throw new AuthError("invalid_request", `The request is nested deeper than ${MAX_JSON_DEPTH} levels.`);
  const key = forbiddenKey(v);
  if (key) throw new AuthError("invalid_request", undefined, { details: [{ path: key, code: "forbidden_key", message: `"${key.split(".").pop()}" is not allowed as a key` }] });
  if (!wellFormed(v)) throw new AuthError("invalid_request", "The request contains invalid Unicode.");
}

/** True when every string in the value (keys included) is well-formed UTF-16 (no lone surrogates). */
export function wellFormed(v: unknown): boolean {
  if (typeof v === "string") return v.isWellFormed();
  if (Array.isArray(v)) return v.every(wellFormed);
  if (v && typeof v === "object") return Object.entries(v).every(([k, x]) => k.isWellFormed() && wellFormed(x));
  return true;
}

export function zodDetails(issues: z.core.$ZodIssue[]): { path: string; code: string; message: string }[] {
  return issues.map((i) => ({ path: i.path.map(String).join("."), code: i.code, message: i.message }));
}

export async function readBody<S extends z.ZodType>(c: Context, schema: S, opts: BodyOptions = {}): Promise<z.infer<S>> {
  const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  const isForm = opts.form && type === "application/x-www-form-urlencoded";
  if (type !== "application/json" && !isForm) throw new AuthError("unsupported_media_type");
  const bytes = await readLimited(c.req.raw, opts.maxBytes ?? MAX_BODY);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new AuthError("invalid_json", "The request body is not valid UTF-8.");
  }
  let value: unknown;
  if (isForm) {
    value = Object.fromEntries(new URLSearchParams(text));
  } else {
    try {
      value = JSON.parse(text);
    } catch {
      throw new AuthError("invalid_json");
    }
  }
  assertSafeJson(value);
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new AuthError("invalid_request", undefined, { details: zodDetails(parsed.error.issues) });
  return parsed.data;
}

/**
 * For routes whose body is optional (DELETE /me, DELETE /mfa/totp): no body at all (no
 * Content-Type, nothing sent) reads as `{}`; anything sent goes through `readBody`.
 */
export async function readOptionalBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  if (c.req.header("content-type")) return readBody(c, schema);
  if ((await readLimited(c.req.raw, MAX_BODY)).byteLength > 0) throw new AuthError("unsupported_media_type");
  const parsed = schema.safeParse({});
  if (!parsed.success) throw new AuthError("invalid_request", undefined, { details: zodDetails(parsed.error.issues) });
  return parsed.data;
}

/** Parses the query string with a route's strict zod schema; issues → invalid_request, as for bodies. */
export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw new AuthError("invalid_request", undefined, { details: zodDetails(parsed.error.issues) });
  return parsed.data;
}

/** For routes that take no body: anything sent is ignored, but an oversized one is still refused. */
export async function noBody(c: Context): Promise<void> {
  await readLimited(c.req.raw, MAX_BODY);
}
