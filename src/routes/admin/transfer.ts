/**
 * @module User import and export as NDJSON (`application/x-ndjson`), admin only. Import reads
 * at most 1 MiB a request and checks every line here, in the Worker (JSON, strict zod shape,
 * identifiers, PHC hash format); a bad line is reported by number and the rest go on, in one
 * RPC. Export streams every active user with its hash, a page of 1,000 per RPC: an operator
 * route, the one place where a request makes more than one call to the object.
 */
import { Hono } from "hono";
import { AuthError, unwrap, type Result } from "../../errors.ts";
import { userId } from "../../crypto/random.ts";
import { parseHash } from "../../crypto/phc.ts";
import { normalizeEmail, normalizeUsername } from "../../../schema/identifiers.ts";
import { importLine } from "../../../schema/requests.ts";
import type { ExportLine, ImportFailure, ImportUser } from "../../../objects/tenant/flows/transfer.ts";
import type { AppEnv } from "../../app-env.ts";
import { forbiddenKey, MAX_IMPORT_BODY, MAX_JSON_DEPTH, readLimited, wellFormed, withinDepth } from "../../http/body.ts";
import { meta, noStore } from "../../http/helpers.ts";

const NDJSON = "application/x-ndjson";

/** One line → a user ready for the object, or why not. */
function importUser(text: string, line: number): ImportUser | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "invalid JSON";
  }
  if (!withinDepth(value)) return `nested deeper than ${MAX_JSON_DEPTH} levels`;
  const key = forbiddenKey(value);
  if (key) return `${key}: not allowed as a key`;
  if (!wellFormed(value)) return "invalid Unicode";
  const p = importLine.safeParse(value);
  if (!p.success) return p.error.issues.map((i) => `${i.path.join(".") || "line"}: ${i.message}`).join("; ");
  const u = p.data;
  const email = u.email === undefined ? null : normalizeEmail(u.email);
  if (u.email !== undefined && !email) return "email: not a valid email address";
  const username = u.username === undefined ? null : normalizeUsername(u.username);
  if (u.username !== undefined && !username) return "username: 3–64 of a-z 0-9 . _ -";
  const hash = u.password_hash === undefined ? null : parseHash(u.password_hash);
  if (u.password_hash !== undefined && !hash) return "password_hash: not a supported hash (argon2id, pbkdf2-sha256, bcrypt $2a$/$2b$/$2y$) or beyond the verifier's cost limits";
  return {
    line,
    id: u.id?.toLowerCase() ?? userId(),
    email: u.email?.normalize("NFKC") ?? null,
    username: u.username?.normalize("NFKC") ?? null,
    email_norm: email,
    username_norm: username,
    email_verified: u.email_verified ?? false,
    metadata: u.metadata ?? {},
    hash: u.password_hash ?? null,
    algorithm: hash?.alg ?? null,
    createdAt: u.created_at === undefined ? undefined : Date.parse(u.created_at),
    status: u.status ?? "active",
  };
}

/** Every non-blank line, numbered from 1 (LF or CRLF). */
export function parseImport(text: string): { users: ImportUser[]; failed: ImportFailure[] } {
  const users: ImportUser[] = [];
  const failed: ImportFailure[] = [];
  text.split("\n").forEach((raw, k) => {
    const s = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (s.trim() === "") return;
    const u = importUser(s, k + 1);
    if (typeof u === "string") failed.push({ line: k + 1, error: u });
    else users.push(u);
  });
  return { users, failed };
}

export const transferRoutes = new Hono<AppEnv>();

transferRoutes.post("/users/import", async (c) => {
  const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== NDJSON) throw new AuthError("unsupported_media_type", "Content-Type must be application/x-ndjson.");
  const bytes = await readLimited(c.req.raw, MAX_IMPORT_BODY);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new AuthError("invalid_json", "The request body is not valid UTF-8.");
  }
  const parsed = parseImport(text);
  const r = unwrap(await c.get("tenant").importUsers({ users: parsed.users, meta: meta(c) }));
  return noStore(c, { imported: r.imported, failed: [...parsed.failed, ...r.failed].sort((a, b) => a.line - b.line) });
});

transferRoutes.get("/users/export", async (c) => {
  const stub = c.get("tenant");
  const m = meta(c);
  const fetchPage = async (cursor: string | null) => (await stub.exportUsers({ cursor, meta: m })) as Result<{ users: ExportLine[]; next_cursor: string | null }>;
  // The first page is fetched before answering, so an unknown tenant is a proper 404.
  let page = unwrap(await fetchPage(null));
  const utf8 = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(out) {
      out.enqueue(utf8.encode(page.users.map((u) => JSON.stringify(u) + "\n").join("")));
      if (page.next_cursor === null) return out.close();
      const next = await fetchPage(page.next_cursor);
      if (!next.ok) return out.error(AuthError.from(next.error));
      page = next.value;
    },
  });
  return c.body(body, 200, { "Content-Type": NDJSON, "Cache-Control": "no-store" });
});
