/**
 * @module Reading a request body once, at the edge: content type (415), size (413, counted
 * while streaming so a lying Content-Length does not help), UTF-8 and JSON (invalid_json),
 * well-formed Unicode, then the route's strict zod schema (invalid_request with the issues).
 */
import type { Context } from "hono";
import type { z } from "zod";
import { AuthError } from "../errors.ts";

export const MAX_BODY = 16 * 1024;
export const MAX_IMPORT_BODY = 1024 * 1024;

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
  if (!wellFormed(value)) throw new AuthError("invalid_request", "The request contains invalid Unicode.");
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
