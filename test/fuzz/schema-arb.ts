/// <reference types="node" />
/**
 * @module fast-check arbitraries built from the JSON Schemas of the OpenAPI document (the
 * subset zod's `z.toJSONSchema` writes): types, `enum`/`const`, string lengths, patterns and
 * formats, number bounds, arrays, objects with required and optional properties, `anyOf`/
 * `oneOf`/`allOf`, `$ref` into `components.schemas`. Values are valid by construction (a
 * refinement zod checks in code, such as "nothing to change", can still refuse them); the
 * fuzzer's mutations make them invalid on purpose.
 *
 * `known` lets a property named like a fixture value (`login`, `refresh_token`, …) take a
 * real one half the time, so valid-looking requests get past the first lookup and reach the
 * code behind it.
 */
import fc from "fast-check";

export type Json = Record<string, any>;

export interface ArbContext {
  /** `components.schemas` of the document. */
  components: Record<string, Json>;
  /** Property name → real values from the fixtures. */
  known?: Record<string, unknown[]>;
}

const MAX_DEPTH = 6;

/** RFC 3339 date-times between 1970 and 2100, as zod's `z.iso.datetime({offset: true})` accepts them. */
const dateTime = fc.date({ min: new Date(0), max: new Date(4_102_444_800_000), noInvalidDate: true }).map((d) => d.toISOString());

const FORMATS: Record<string, fc.Arbitrary<string>> = {
  email: fc.emailAddress().filter((e) => e.length <= 254),
  uri: fc.webUrl({ withQueryParameters: true }),
  url: fc.webUrl(),
  uuid: fc.uuid(),
  "date-time": dateTime,
  date: dateTime.map((s) => s.slice(0, 10)),
  ipv4: fc.ipV4(),
  ipv6: fc.ipV6(),
};

/** Mostly plain characters, some beyond ASCII (accents, astral emoji, RTL, CJK, zero-width). */
const CHAR = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789-_ @.".split("")) },
  { weight: 1, arbitrary: fc.constantFrom("é", "ß", "😀", "א", "\u200b", "中", "İ") },
);

function stringArb(s: Json): fc.Arbitrary<string> {
  const minLength = s.minLength ?? 0;
  const maxLength = Math.min(s.maxLength ?? 40, Math.max(minLength, 64));
  if (s.format && FORMATS[s.format]) return FORMATS[s.format].filter((v) => v.length >= minLength && v.length <= (s.maxLength ?? Infinity));
  if (s.pattern) {
    let re: RegExp;
    try {
      re = new RegExp(s.pattern, "u");
    } catch {
      re = new RegExp(s.pattern);
    }
    return fc.stringMatching(re).filter((v) => v.length >= minLength && v.length <= (s.maxLength ?? Infinity));
  }
  return fc.string({ unit: CHAR, minLength, maxLength }).filter((v) => v.length <= (s.maxLength ?? Infinity));
}

function numberArb(s: Json, integer: boolean): fc.Arbitrary<number> {
  const lo = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + (integer ? 1 : Number.EPSILON) : -1_000_000);
  const hi = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - (integer ? 1 : Number.EPSILON) : 1_000_000);
  return integer ? fc.integer({ min: Math.ceil(lo), max: Math.floor(hi) }) : fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true });
}

/** Merges the parts of an `allOf` (enough for the shapes zod writes: objects narrowed by objects). */
function mergeAll(parts: Json[], ctx: ArbContext): Json {
  const out: Json = {};
  for (const p of parts.map((x) => deref(x, ctx))) {
    for (const [k, v] of Object.entries(p)) {
      if (k === "properties") out.properties = { ...(out.properties ?? {}), ...v };
      else if (k === "required") out.required = [...new Set([...(out.required ?? []), ...v])];
      else out[k] = v;
    }
  }
  return out;
}

export function deref(s: Json, ctx: ArbContext): Json {
  let cur = s;
  for (let i = 0; cur?.$ref && i < 20; i++) cur = ctx.components[String(cur.$ref).replace(/^.*#\/components\/schemas\//, "")] ?? {};
  return cur ?? {};
}

/** An arbitrary of values valid against `schema`. `name` is the property it fills, for `known`. */
export function arbitraryOf(schema: Json, ctx: ArbContext, name?: string, depth = 0): fc.Arbitrary<unknown> {
  const base = plain(deref(schema, ctx), ctx, depth);
  // `new_password`, `current_password`, `new_email`: the same values as `password`, `email`.
  const real = name ? (ctx.known?.[name] ?? ctx.known?.[name.replace(/^(new|current|old)_/, "")]) : undefined;
  return real?.length ? fc.oneof(base, fc.constantFrom(...real)) : base;
}

function plain(s: Json, ctx: ArbContext, depth: number): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const);
  if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum);
  if (s.allOf) return plain(mergeAll(s.allOf, ctx), ctx, depth);
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return fc.oneof(...alts.map((a: Json) => arbitraryOf(a, ctx, undefined, depth + 1)));
  const type = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (type.length > 1) return fc.oneof(...type.map((t: string) => plain({ ...s, type: t }, ctx, depth)));
  switch (type[0]) {
    case "string":
      return stringArb(s);
    case "integer":
      return numberArb(s, true);
    case "number":
      return numberArb(s, false);
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array": {
      const minLength = s.minItems ?? 0;
      const maxLength = Math.min(s.maxItems ?? 4, Math.max(minLength, 4));
      const item = depth >= MAX_DEPTH ? fc.constant(null) : arbitraryOf(s.items ?? {}, ctx, undefined, depth + 1);
      return s.uniqueItems ? fc.uniqueArray(item, { minLength, maxLength, selector: (v) => JSON.stringify(v) }) : fc.array(item, { minLength, maxLength });
    }
    case "object":
      return objectArb(s, ctx, depth);
    default:
      // `{}` (unknown): any small JSON value.
      return depth >= MAX_DEPTH ? fc.constant(null) : fc.jsonValue({ maxDepth: 2 });
  }
}

function objectArb(s: Json, ctx: ArbContext, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const props = (s.properties ?? {}) as Record<string, Json>;
  const required = new Set<string>(s.required ?? []);
  const names = Object.keys(props);
  if (!names.length) {
    const extra = s.additionalProperties;
    if (extra && typeof extra === "object" && depth < MAX_DEPTH) return fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), arbitraryOf(extra, ctx, undefined, depth + 1), { maxKeys: 3 });
    if (extra === false) return fc.constant({});
    return depth < MAX_DEPTH ? fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }) : fc.constant({});
  }
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const n of names) record[n] = depth >= MAX_DEPTH ? fc.constant(null) : arbitraryOf(props[n], ctx, n, depth + 1);
  return fc.record(record, { requiredKeys: names.filter((n) => required.has(n)) });
}
