/// <reference types="node" />
/**
 * @module The requests the fuzzer sends to one operation, as fast-check arbitraries built from
 * the operation's OpenAPI description alone: its path parameters, query parameters, request
 * body (each documented media type) and security requirement. About half are valid (the
 * document's schemas, fixture ids and the right credential); the rest are mutations of them:
 * wrong types, missing and extra fields, huge and odd Unicode strings (RTL, zero-width, NUL,
 * emoji, lone surrogates written as `\ud800` escapes in the raw text), deep nesting, wrong
 * content types, empty and garbage bodies, bad, foreign, signed-out, expired and wrong-kind
 * credentials, and path parameters that are unknown, traversing, overlong or oddly encoded.
 */
import fc from "fast-check";
import { arbitraryOf, deref, type ArbContext, type Json } from "./schema-arb.ts";
import type { World } from "./world.ts";

/** One part of a request: its good and its bad values. */
interface Part<T> {
  good: fc.Arbitrary<T>;
  bad: fc.Arbitrary<T>;
}

export interface FuzzRequest {
  method: string;
  /** Path and query, already encoded. */
  target: string;
  headers: Record<string, string>;
  body?: string;
  /** What was meant, for the counterexample. */
  note: string;
  /** The credential is not one the operation accepts, and it takes no anonymous caller: only a 4xx will do. */
  mustRefuse: boolean;
}

/** Credentials of every kind the fuzzer knows, from the operation's world and the foreign one. */
export interface Credentials {
  world: World;
  foreign: World;
  adminToken: string;
  /** An access token past its `exp` (of the read world). */
  expired?: string;
}

const ODD = [
  "\u202eevil\u202c", // RTL override
  "a\u200bb\u200d\ufeff", // zero-width characters and a BOM
  "nul\u0000byte",
  "😀👩‍👩‍👧‍👦🏳️‍🌈",
  "e\u0301\u0301\u0301",
  "ＡＤＭＩＮ",
  "İıſK",
  "\u0000",
  "%00%ff",
  "../../etc/passwd",
  "<script>alert(1)</script>",
  "' OR 1=1 --",
  "\r\nX-Injected: 1",
  "",
  " ",
];
/** JSON texts no `JSON.stringify` writes: lone surrogates as escapes. */
const RAW_STRINGS = ['"\\ud800"', '"\\udfff\\ud800"', '"a\\ud83d"', '"\\u0000"'];

const oddString = fc.oneof(
  fc.constantFrom(...ODD),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.integer({ min: 1_000, max: 20_000 }).map((n) => "x".repeat(n)),
);

/** A value of the wrong kind for whatever was expected. */
const wrongValue = fc.oneof(
  fc.constantFrom<unknown>(null, true, false, 0, -1, 1e308, 1.5, [], {}, [null], { a: { b: {} } }, "true", "1"),
  oddString,
  fc.jsonValue({ maxDepth: 3 }),
);

function deepNesting(depth: number, open: string, close: string): string {
  return open.repeat(depth) + close.repeat(depth);
}

/** Raw bodies that are not what any route wants. */
const garbageBody = fc.oneof(
  fc.constantFrom("", "{", "}", "null", "[]", "1", '"text"', "\ufeff{}", "{'a':1}", '{"a":1,}', "{}{}", "\u0000", "a=b&c", "%%%"),
  fc.integer({ min: 100, max: 20_000 }).map((d) => deepNesting(d, "[", "]")),
  fc.integer({ min: 100, max: 5_000 }).map((d) => '{"a":'.repeat(d) + "1" + "}".repeat(d)),
  fc.constantFrom(...RAW_STRINGS).map((s) => `{"x":${s}}`),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.integer({ min: 16 * 1024, max: 40 * 1024 }).map((n) => JSON.stringify({ pad: "x".repeat(n) })),
);

const CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "text/plain", "application/xml", "multipart/form-data; boundary=x", "application/json; charset=utf-16", "application/merge-patch+json", "", "*/*", "application/json, text/html"];

/** A valid body changed in one way: a field dropped, added, of the wrong type, odd, or the whole shape replaced. */
function mutateBody(value: unknown, schema: Json, ctx: ArbContext): fc.Arbitrary<{ text: string; note: string }> {
  const s = deref(schema, ctx);
  const obj = value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  const keys = Object.keys(s.properties ?? {});
  const json = (v: unknown, note: string) => ({ text: JSON.stringify(v), note });
  const options: fc.Arbitrary<{ text: string; note: string }>[] = [
    wrongValue.map((v) => json(v, "body of the wrong type")),
    fc.tuple(fc.string({ minLength: 1, maxLength: 20 }), wrongValue).map(([k, v]) => json({ ...(obj ?? {}), [`${k}_extra`]: v }, `extra field ${k}_extra`)),
  ];
  if (keys.length) {
    options.push(
      fc.tuple(fc.constantFrom(...keys), wrongValue).map(([k, v]) => json({ ...(obj ?? {}), [k]: v }, `${k} of the wrong type`)),
      fc.tuple(fc.constantFrom(...keys), oddString).map(([k, v]) => json({ ...(obj ?? {}), [k]: v }, `${k} odd`)),
      fc.tuple(fc.constantFrom(...keys), fc.constantFrom(...RAW_STRINGS)).map(([k, raw]) => ({ text: JSON.stringify({ ...(obj ?? {}), [k]: "\u0001" }).replace('"\\u0001"', raw), note: `${k} a lone surrogate` })),
      fc.tuple(fc.constantFrom(...keys), fc.integer({ min: 50, max: 3_000 })).map(([k, d]) => ({ text: JSON.stringify({ ...(obj ?? {}), [k]: "\u0001" }).replace('"\\u0001"', deepNesting(d, "[", "]")), note: `${k} nested ${d} deep` })),
    );
    const required: string[] = s.required ?? [];
    if (required.length && obj) options.push(fc.constantFrom(...required).map((k) => json(Object.fromEntries(Object.entries(obj).filter(([n]) => n !== k)), `without ${k}`)));
  }
  return fc.oneof(...options);
}

/** Form encoding of a flat object (what a browser or an OAuth client sends). */
function formOf(v: unknown): string {
  if (!v || typeof v !== "object" || Array.isArray(v)) return String(v);
  const p = new URLSearchParams();
  for (const [k, x] of Object.entries(v)) p.append(k, typeof x === "string" ? x : JSON.stringify(x));
  return p.toString();
}

const BAD_SEGMENTS = ["..", "%2e%2e", "..%2f..%2fadmin", "%2F", "%00", "%ff%fe", "%E2%80%AE", "%F0%9F%98%80", "%", "%zz", "a".repeat(400), "%20", "null", "undefined", "0", "-1", "admin", ".well-known", "00000000-0000-0000-0000-000000000000", "%C0%AE"];

/** Good: an id that exists in the world (or one made to the pattern where none does); bad: unknown, traversing, overlong, oddly encoded. */
function segmentArb(name: string, world: World, ctx: ArbContext, pattern?: string): Part<string> {
  const real = world.ids[name] ?? [];
  // `/v1/admin/…` is the operator API: a tenant of that name cannot exist, and the path is another operation's.
  const bad = name === "tenant" || name === "slug" ? BAD_SEGMENTS.filter((x) => x !== "admin") : BAD_SEGMENTS;
  const made = (pattern ? arbitraryOf({ type: "string", pattern }, ctx) : fc.string({ minLength: 1, maxLength: 24, unit: fc.constantFrom(..."abcdefghij0123456789-_".split("")) })) as fc.Arbitrary<string>;
  return {
    good: (real.length ? fc.constantFrom(...real) : made).map((v) => encodeURIComponent(v.toWellFormed())),
    bad: fc.oneof(
      { weight: 1, arbitrary: made.map((v) => encodeURIComponent(v.toWellFormed())) },
      { weight: 2, arbitrary: fc.constantFrom(...bad) },
      { weight: 1, arbitrary: oddString.map((v) => encodeURIComponent(v.slice(0, 600).toWellFormed())) },
    ),
  };
}

function queryArb(op: Json, ctx: ArbContext): Part<string> {
  const params = ((op.parameters ?? []) as Json[]).filter((p) => p.in === "query");
  if (!params.length) return { good: fc.constant(""), bad: fc.constantFrom("zz=1", "%", "a=%ff") };
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const p of params) record[p.name] = arbitraryOf(p.schema ?? {}, ctx, p.name);
  const valid = fc.record(record, { requiredKeys: params.filter((p) => p.required).map((p) => p.name) });
  const encode = (o: Record<string, unknown>) => new URLSearchParams(Object.entries(o).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])).toString();
  const names = params.map((p) => p.name);
  return {
    good: valid.map(encode),
    bad: fc.oneof(
      fc.tuple(valid, fc.constantFrom("zz", "__proto__", "constructor", ...names), wrongValue).map(([o, k, v]) => `${encode(o)}&${encodeURIComponent(k)}=${encodeURIComponent(typeof v === "string" ? v.toWellFormed() : JSON.stringify(v))}`),
      fc.constantFrom("%", "%zz=1", "a=%ff", "=", "&&&", "limit=1e999", "cursor=%00"),
    ),
  };
}

const garbageToken = fc.oneof(
  fc.string({ unit: fc.constantFrom(..."abcdefABCDEF0123456789._-~+/=".split("")), maxLength: 300 }),
  fc.constantFrom("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "wk_", "wk_" + "0".repeat(40), "rt_x", "null", "a.b.c", "x".repeat(9000)),
);

type Cred = { authorization?: string; note: string; valid: boolean };

/** The Authorization header (or none): good, one the operation takes; bad, any other. */
function credentialArb(op: Json, c: Credentials): Part<Cred> {
  const w = c.world;
  const schemes = new Set<string>();
  const scopes = new Set<string>();
  for (const req of (op.security ?? []) as Json[]) {
    if (!Object.keys(req).length) schemes.add("public");
    for (const [name, s] of Object.entries(req)) (schemes.add(name), (s as string[]).forEach((x) => scopes.add(x)));
  }
  const bearer = (t: string, note: string, valid: boolean) => ({ authorization: `Bearer ${t}`, note, valid });
  const good: { authorization?: string; note: string; valid: boolean }[] = [];
  if (schemes.has("public")) good.push({ note: "no credential", valid: true });
  if (schemes.has("accessToken")) for (const u of w.users) good.push(bearer(u.access, `${u.email}'s access token`, true));
  if (schemes.has("apiKey")) for (const s of scopes) good.push(bearer(w.keys[s as keyof World["keys"]], `a ${s} key`, true));
  if (schemes.has("adminToken")) good.push(bearer(c.adminToken, "the admin token", true));
  if (schemes.has("clientSecretBasic")) good.push({ authorization: `Basic ${Buffer.from(`${w.client.client_id}:${w.client.client_secret}`).toString("base64")}`, note: "client_secret_basic", valid: true });
  const bad = [
    ...(schemes.has("public") ? [] : [{ note: "no credential", valid: false }]),
    bearer(c.foreign.users[0].access, "another tenant's access token", false),
    bearer(c.foreign.keys.manage, "another tenant's manage key", false),
    bearer(w.signedOut.access, "a signed-out session's token", false),
    ...(c.expired ? [bearer(c.expired, "an expired access token", false)] : []),
    ...Object.entries(w.keys).filter(([s]) => !scopes.has(s)).map(([s, k]) => bearer(k, `a ${s} key without the scope`, false)),
    ...(schemes.has("adminToken") ? [] : [bearer(c.adminToken, "the admin token", false)]),
    ...(schemes.has("accessToken") ? [] : [bearer(w.users[0].access, "a user token", false)]),
    bearer(w.users[0].refresh, "a refresh token as bearer", false),
    { authorization: `Basic ${Buffer.from(`${w.client.client_id}:wrong`).toString("base64")}`, note: "a wrong client secret", valid: false },
    { authorization: "Basic !!!", note: "broken Basic", valid: false },
    { authorization: `bearer  ${w.users[0].access}`, note: "lower-case scheme, two spaces", valid: false },
  ];
  const tampered = w.users[0].access.split(".");
  if (tampered.length === 3) bad.push(bearer(`${tampered[0]}.${Buffer.from(JSON.stringify({ sub: w.users[0].id, exp: 1 })).toString("base64url")}.${tampered[2]}`, "a token with a forged payload", false));
  const badArb = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...bad) }, { weight: 1, arbitrary: garbageToken.map((t) => bearer(t, "a garbage token", false)) });
  return { good: good.length ? fc.constantFrom(...good) : badArb, bad: badArb };
}

const FORBIDDEN_HEADERS = new Set(["connection", "upgrade", "host", "content-length", "transfer-encoding", "keep-alive", "te", "trailer", "expect"]);

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);

/** One line a person can read, long values clipped. */
export function describe(r: Pick<FuzzRequest, "method" | "target" | "headers" | "body" | "note">): string {
  const hs = Object.entries(r.headers).map(([k, v]) => `${k}: ${clip(v, 80)}`).join(", ");
  return `${r.method} ${clip(r.target, 200)} [${hs}] body ${r.body === undefined ? "(none)" : JSON.stringify(clip(r.body, 200))} (${r.note})`;
}

type Body = { text?: string; type?: string; note: string };

function bodyArb(method: string, op: Json, ctx: ArbContext): Part<Body> {
  const content = (op.requestBody?.content ?? {}) as Record<string, Json>;
  const medias = Object.keys(content);
  const garbage = fc.tuple(garbageBody, fc.constantFrom(...CONTENT_TYPES)).map(([text, type]) => ({ text, type, note: `garbage as ${type || "(no type)"}` }));
  // fetch sends no body with GET (RFC 9110 section 9.3.1 gives it no meaning).
  if (method === "GET") return { good: fc.constant({ note: "no body" }), bad: fc.constant({ type: "application/json", note: "a content type and no body" }) };
  if (!medias.length) return { good: fc.constant({ note: "no body" }), bad: garbage.map((b) => ({ ...b, note: `${b.note}, where none is read` })) };
  const valid = fc.constantFrom(...medias).chain((m) => arbitraryOf(content[m].schema?.contentSchema ?? content[m].schema ?? {}, ctx).map((v) => ({ m, v })));
  const none = { note: "no body" };
  const good = valid.map(({ m, v }) => ({ text: m.includes("form") ? formOf(v) : m.includes("ndjson") ? JSON.stringify(v) + "\n" : JSON.stringify(v), type: m, note: `valid ${m}` }));
  return {
    good: op.requestBody.required ? good : fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: fc.constant(none) }),
    bad: fc.oneof(
      { weight: 5, arbitrary: valid.chain(({ m, v }) => mutateBody(v, content[m].schema?.contentSchema ?? content[m].schema ?? {}, ctx).map((b) => ({ text: b.text, type: "application/json", note: b.note }))) },
      { weight: 1, arbitrary: valid.map(({ m, v }) => ({ text: m.includes("form") ? JSON.stringify(v) : formOf(v), type: m, note: "JSON and form swapped" })) },
      { weight: 2, arbitrary: garbage },
      { weight: 1, arbitrary: valid.chain(({ v }) => fc.constantFrom(...CONTENT_TYPES).map((type) => ({ text: JSON.stringify(v), type, note: `JSON as ${type || "(no type)"}` }))) },
      { weight: op.requestBody.required ? 1 : 0, arbitrary: fc.constant(none) },
    ),
  };
}

/**
 * Every request the fuzzer may send to `op` (at `path`, with `method`): valid in every part, or
 * with exactly one part (path, query, body, credential) made bad, so each refusal has one cause.
 */
export function requestArb(method: string, path: string, op: Json, ctx: ArbContext, c: Credentials): fc.Arbitrary<FuzzRequest> {
  const params = (op.parameters ?? []) as Json[];
  const segments = params.filter((p) => p.in === "path").map((p) => segmentArb(p.name, c.world, ctx, p.schema?.pattern));
  // fetch refuses to set the hop-by-hop ones (the WebSocket upgrade's `Upgrade`, `Connection`).
  const headerParams = params.filter((p) => p.in === "header" && !FORBIDDEN_HEADERS.has(p.name.toLowerCase()));
  // Optional headers now and then: a Turnstile token where the deployment has no secret is refused with 503.
  const headers = fc.oneof(
    { weight: 6, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: fc.record(Object.fromEntries(headerParams.map((p) => [p.name, fc.string({ unit: fc.constantFrom(..."abcXYZ019-_.".split("")), maxLength: 60 })])), { requiredKeys: [] }) },
  );
  const query = queryArb(op, ctx);
  const body = bodyArb(method, op, ctx);
  const cred = credentialArb(op, c);
  const ip = fc.oneof({ weight: 20, arbitrary: fc.constant("") }, { weight: 1, arbitrary: fc.constantFrom("garbage", "::1", "1.2.3.4, 5.6.7.8", "999.1.1.1") });
  const hasQuery = params.some((p) => p.in === "query");
  const modes = fc.oneof(
    { weight: 4, arbitrary: fc.constant("none") },
    { weight: segments.length ? 1 : 0, arbitrary: fc.nat(Math.max(0, segments.length - 1)).map((i) => `path${i}`) },
    { weight: hasQuery ? 1 : 0, arbitrary: fc.constant("query") },
    { weight: 3, arbitrary: fc.constant("body") },
    { weight: 2, arbitrary: fc.constant("cred") },
  );
  const pick = <T>(part: Part<T>, bad: boolean) => (bad ? part.bad : part.good);
  return modes.chain((mode) =>
    fc
      .record({
        segments: fc.tuple(...segments.map((s, i) => pick(s, mode === `path${i}`))),
        query: pick(query, mode === "query"),
        body: pick(body, mode === "body"),
        cred: pick(cred, mode === "cred"),
        headers,
        ip,
      })
      .map((r) => {
        let i = 0;
        const target = path.replace(/\{[^}]+\}/g, () => r.segments[i++]) + (r.query ? `?${r.query}` : "");
        const h: Record<string, string> = { ...r.headers };
        if (r.cred.authorization) h.authorization = r.cred.authorization;
        if (r.body.type) h["content-type"] = r.body.type;
        if (r.ip) h["cf-connecting-ip"] = r.ip;
        const mustRefuse = !r.cred.valid && !(op.security ?? []).some((req: Json) => !Object.keys(req).length);
        const note = `${mode === "none" ? "valid" : `bad ${mode}`}: ${r.cred.note}; ${r.body.note}`;
        return { method, target, headers: h, body: r.body.text, note, mustRefuse, [fc.toStringMethod]: () => describe({ method, target, headers: h, body: r.body.text, note }) };
      }),
  );
}
