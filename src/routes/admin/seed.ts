/**
 * @module `POST /v1/admin/tenants/{slug}/bench/seed` (development only): one bounded batch
 * of synthetic users and sessions for `npm run bench`, inserted by the tenant object itself
 * (objects/tenant/flows/seed.ts). Behind the ADMIN_TOKEN like every admin route, and answered
 * `404 not_found` unless ENVIRONMENT is "development", checked on every request, so staging and
 * production carry no way to write rows around the normal flows.
 */
import { Hono } from "hono";
import { z } from "zod";
import { AuthError } from "../../errors.ts";
import { hashPassword, type HashAlgorithm } from "../../crypto/password.ts";
import { normalizePassword } from "../../crypto/password-policy.ts";
import { RESERVED_SLUGS, SLUG_RE } from "../../../schema/requests.ts";
import type { AppEnv } from "../../app-env.ts";
import { readBody } from "../../http/body.ts";
import { answer } from "../../http/helpers.ts";
import { SEED_MAX_ROWS } from "../../../objects/tenant/flows/seed.ts";

export const seedRoutes = new Hono<AppEnv>();

const seedBody = z.strictObject({
  users: z.number().int().min(1).max(SEED_MAX_ROWS),
  sessions: z.number().int().min(0).max(SEED_MAX_ROWS),
  offset: z.number().int().min(0).max(100_000_000),
  prefix: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,30}$/),
  session_ttl_s: z.number().int().min(1).max(31_536_000).optional(),
  password: z.string().min(8).max(256),
  hash: z.enum(["argon2id", "pbkdf2-sha256"]).default("argon2id"),
});

/** One hash per (algorithm, password) per isolate: seeding must not cost a hash per user. */
const hashes = new Map<string, Promise<string>>();

seedRoutes.post("/tenants/:slug/bench/seed", async (c) => {
  if (c.env.ENVIRONMENT !== "development") throw new AuthError("not_found");
  const slug = c.req.param("slug");
  if (!SLUG_RE.test(slug) || RESERVED_SLUGS.has(slug)) throw new AuthError("tenant_not_found");
  const b = await readBody(c, seedBody);
  const alg: HashAlgorithm = b.hash;
  const key = `${alg}\n${b.password}`;
  let hash = hashes.get(key);
  if (!hash) hashes.set(key, (hash = hashPassword(normalizePassword(b.password), alg)));
  return answer(c, c.env.TENANT.getByName(slug).seed({
    users: b.users,
    sessions: b.sessions,
    offset: b.offset,
    prefix: b.prefix,
    sessionTtlS: b.session_ttl_s,
    passwordHash: await hash,
    algorithm: alg,
  }));
});
