/**
 * @module Benchmark seeding (development only): inserts synthetic users, credentials, sessions
 * and refresh-token rows straight into the tenant's tables, one bounded batch per call, so
 * `npm run bench` can build a tenant of a million users without a million HTTP sign-ups.
 *
 * Refused unless ENVIRONMENT is "development" (the route is not even mounted elsewhere). The
 * rows are real rows: each user gets its own sealed 512-bit secret (the seal's associated data
 * names the row, so one sealed value cannot be shared) and one password hash shared by the
 * batch, computed once by the router; each session gets a refresh-token hash keyed with its
 * user's secret. Seeded users are not written to the D1 directory (the daily reconcile would
 * add them) and are not audited: they never signed up.
 */
import { randomBytes, sessionId } from "../../../src/crypto/random.ts";
import { fail, ok, type Result } from "../../../src/errors.ts";
import { due } from "../context.ts";
import type { Runtime } from "../runtime.ts";
import { startChain } from "../refresh-chain.ts";

/** Rows per call: keeps one call near a second of object time, so other requests interleave. */
export const SEED_MAX_ROWS = 5_000;

export interface SeedInput {
  /** Users in this batch: `{prefix}{offset + k}@seed.invalid`, username `{prefix}{offset + k}`. */
  users: number;
  offset: number;
  prefix: string;
  /** Sessions in this batch, spread round-robin over the batch's users. */
  sessions: number;
  /** Seconds until the seeded sessions' idle expiry; default the tenant's `refresh_idle_ttl_s`. */
  sessionTtlS?: number;
  /** A PHC hash (made by the router, once) stored as every seeded user's credential. */
  passwordHash: string;
  algorithm: string;
}

export interface SeedResult {
  users: number;
  sessions: number;
}

export async function seed(rt: Runtime, i: SeedInput): Promise<Result<SeedResult>> {
  if (rt.bindings.ENVIRONMENT !== "development") return fail("not_found");
  if (i.users < 1 || i.sessions < 0 || i.users + i.sessions > SEED_MAX_ROWS) return fail("invalid_request", `users ≥ 1 and users + sessions ≤ ${SEED_MAX_ROWS} per call.`);
  const b = await rt.begin();
  if (!b.ok) return b;
  const ctx = b.value;
  // Async preparation first: ids, secrets and their seals, refresh tokens.
  const users = await Promise.all(
    Array.from({ length: i.users }, async (_, k) => {
      const n = i.offset + k;
      const id = uuidV7At(ctx.now, n);
      const secret = randomBytes(64);
      return { id, name: `${i.prefix}${n}`, secret, sealed: await rt.sealer.seal(secret, "user-secret", ctx.slug, id) };
    }),
  );
  const ttl = (i.sessionTtlS ?? ctx.settings.refresh_idle_ttl_s) * 1000;
  const expires = ctx.now + ctx.settings.refresh_ttl_s * 1000;
  const idle = Math.min(expires, ctx.now + ttl);
  const amr = JSON.stringify(["pwd"]);
  const insertBatch = (): Result<SeedResult> =>
    rt.tx(ctx, () => {
      for (const u of users) {
        const email = `${u.name}@seed.invalid`;
        ctx.sql.exec(
          `INSERT INTO users (id, username, email, username_norm, email_norm, email_verified, status, secret, secret_version, metadata, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, 1, 'active', ?, 1, '{}', ?, ?)`,
          u.id, u.name, email, u.name, email, u.sealed, ctx.now, ctx.now,
        );
        ctx.sql.exec("INSERT INTO credentials (user_id, hash, algorithm, updated_at) VALUES (?, ?, ?, ?)", u.id, i.passwordHash, i.algorithm, ctx.now);
      }
      for (let s = 0; s < i.sessions; s++) {
        const u = users[s % users.length];
        const sid = sessionId();
        ctx.sql.exec(
          `INSERT INTO sessions (id, user_id, created_at, last_refreshed_at, expires_at, idle_expires_at, due_at, amr, ip, user_agent)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, '127.0.0.1', 'warden-bench-seed')`,
          sid, u.id, ctx.now, ctx.now, expires, idle, idle, amr,
        );
        startChain(ctx, sid, u.secret);
      }
      if (i.sessions > 0) due(ctx, idle);
      return ok({ users: users.length, sessions: i.sessions });
    });
  let r: Result<SeedResult>;
  try {
    r = insertBatch();
  } catch (e) {
    // A taken name or email (an offset seeded before): the whole batch rolled back.
    if (String(e).includes("UNIQUE constraint failed")) return fail("conflict", "A seeded username or email is taken; use another prefix or offset.");
    throw e;
  }
  await rt.commit(ctx);
  return r;
}

/**
 * A UUIDv7 (RFC 9562 section 5.7) for time `ms` whose 74 "random" bits start with the
 * counter `n`, so ids made in one millisecond stay unique and sorted, like real sign-ups.
 */
function uuidV7At(ms: number, n: number): string {
  const b = randomBytes(16);
  const t = BigInt(ms);
  for (let k = 0; k < 6; k++) b[k] = Number((t >> BigInt(8 * (5 - k))) & 0xffn);
  b[6] = 0x70 | ((n >>> 20) & 0x0f);
  b[7] = (n >>> 12) & 0xff;
  b[8] = 0x80 | ((n >>> 6) & 0x3f);
  b[9] = ((n & 0x3f) << 2) | (b[9] & 0x03);
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
