/**
 * @module Refresh-token chains: refresh token rotation with reuse detection (RFC 9700 section
 * 4.14.2, RFC 6749 section 10.4). A chain is the sequence of refresh tokens of one owner, with
 * exactly one live token at a time. The owner is a session today and an OAuth grant tomorrow;
 * this module knows neither, so both call the same functions with their own id:
 *
 * - `startChain(ctx, chainId, secret)`: a new chain; returns its first token.
 * - `restartChain(ctx, chainId, secret)`: the same owner starts over with a random token (a
 *   session going on after a secret rotation or a step-up); every earlier token of the chain
 *   is then unknown: retired on purpose, not reuse.
 * - `rotateChain(ctx, chainId, secret, token)`: the one refresh step, synchronous inside the
 *   caller's transaction, one read and at most one write. `rotated` and `grace` carry the
 *   token to hand out; on `reuse` the caller revokes its owner (a session:
 *   `revokeSession(…, "refresh_reuse")`, which drops the chain); `unknown` changes nothing.
 * - `chainTokenState(ctx, chainId, secret, token)`: the same classification, read only
 *   (introspection, RFC 7009 revocation).
 * - `dropChains(sql, chainIds)`: when owners end.
 * - `parseChainToken(token)`: the chain id and generation, by shape alone (nothing verified).
 *
 * Chain ids are 16–64 base64url characters and share one table, so an owner's id must not
 * collide with another kind's (session ids are 22 random characters; give grant ids a
 * distinguishable shape or prefix, since the token names only the chain).
 *
 * The caller checks first that its owner is alive, and passes the owner's user secret (S) for
 * the user's current `secret_version`. A token is `{chain id}.{generation}.{proof}`:
 * proof = base64url(next ‖ tag). Generation 0 has 256 random bits as `next`; the successor of
 * token t has `next = HMAC(S, "refresh-next|" + t)`, so a rotated token presented again inside
 * `refresh_reuse_grace_s` gets back the very successor its first use received, which is
 * derived again rather than stored. `tag = HMAC(S, "refresh-tag|{chain}.{generation}.{next}")`
 * (128 bits) proves that a token of any generation was issued under S, so a superseded one,
 * however old, is told from a forgery (which must never revoke: session ids are in every
 * access token) without keeping it. Stored per chain: the current generation, the one it
 * (re)started at, HMAC(S, current token) and when it was issued; never a token. Rotating S kills every token of every chain
 * of the user at once: no hash or tag matches any more, and they are unknown.
 *
 * Tokens from before chains (`{session id}.{43 chars}`, no generation) are read as generation
 * 0 without a tag: valid while they are their chain's current token (the migration kept each
 * session's newest), reuse while they are its direct predecessor (the derivation proves it),
 * unknown once superseded twice.
 */
import { b64url, fromB64url, utf8 } from "../../src/crypto/bytes.ts";
import { hmacSha256, hmacSha256B64 } from "../../src/crypto/digest.ts";
import { randomBytes } from "../../src/crypto/random.ts";
import { timingSafeEqual } from "../../src/crypto/timing-safe-equal.ts";
import type { TenantCtx } from "./context.ts";
import { one } from "./sql.ts";

export interface ChainToken {
  chainId: string;
  generation: number;
  /** `next` and `tag`, or null for a token from before chains. */
  proof: { next: Uint8Array; tag: Uint8Array } | null;
}

const TOKEN = /^([A-Za-z0-9_-]{16,64})\.(0|[1-9][0-9]{0,14})\.([A-Za-z0-9_-]{64})$/;
const LEGACY = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;
const NEXT_BYTES = 32;
const TAG_BYTES = 16;

/** The token's parts, or null when it is not shaped like a refresh token. */
export function parseChainToken(token: string): ChainToken | null {
  const m = TOKEN.exec(token);
  if (m) {
    const bytes = fromB64url(m[3]);
    return { chainId: m[1], generation: Number(m[2]), proof: { next: bytes.subarray(0, NEXT_BYTES), tag: bytes.subarray(NEXT_BYTES) } };
  }
  const legacy = LEGACY.exec(token);
  return legacy ? { chainId: legacy[1], generation: 0, proof: null } : null;
}

/** The only value stored of a token. Keyed with the user secret, unprefixed as before chains. */
const tokenHash = (secret: Uint8Array, token: string): string => hmacSha256B64(secret, token);

const tagOf = (secret: Uint8Array, chainId: string, generation: number, next: Uint8Array): Uint8Array =>
  hmacSha256(secret, `refresh-tag|${chainId}.${generation}.${b64url(next)}`).subarray(0, TAG_BYTES);

function format(secret: Uint8Array, chainId: string, generation: number, next: Uint8Array): string {
  const proof = new Uint8Array(NEXT_BYTES + TAG_BYTES);
  proof.set(next);
  proof.set(tagOf(secret, chainId, generation, next), NEXT_BYTES);
  return `${chainId}.${generation}.${b64url(proof)}`;
}

/** The successor of `t`: a pure function of the token and the secret. */
const successorOf = (secret: Uint8Array, t: ChainToken, token: string): string =>
  format(secret, t.chainId, t.generation + 1, hmacSha256(secret, `refresh-next|${token}`));

const sameHash = (a: string, b: string): boolean => timingSafeEqual(utf8(a), utf8(b));

interface ChainRow {
  generation: number;
  first_generation: number;
  hash: string;
  issued_at: number;
}

/** A new chain at generation 0. Returns its first token. */
export function startChain(ctx: TenantCtx, chainId: string, secret: Uint8Array): string {
  return writeFirst(ctx, chainId, secret, 0);
}

/**
 * Starts an existing chain again with a random token, past every generation handed out: the
 * earlier ones can never be current again, and are unknown rather than reuse (a restart
 * retires them on purpose; under the same secret their tags would still verify).
 */
export function restartChain(ctx: TenantCtx, chainId: string, secret: Uint8Array): string {
  const prev = one<{ generation: number }>(ctx.sql, "SELECT generation FROM refresh_chains WHERE chain_id = ?", chainId);
  return writeFirst(ctx, chainId, secret, prev ? prev.generation + 1 : 0);
}

function writeFirst(ctx: TenantCtx, chainId: string, secret: Uint8Array, generation: number): string {
  const token = format(secret, chainId, generation, randomBytes(NEXT_BYTES));
  ctx.sql.exec(
    "INSERT OR REPLACE INTO refresh_chains (chain_id, generation, first_generation, hash, issued_at) VALUES (?, ?, ?, ?, ?)",
    chainId, generation, generation, tokenHash(secret, token), ctx.now,
  );
  return token;
}

export type ChainState =
  /** The live token; `successor` is what a rotation makes current. */
  | { kind: "current"; successor: string }
  /** The direct predecessor of the live token, inside the grace: `successor` is the live token. */
  | { kind: "grace"; successor: string }
  /** A token issued under this secret that is no longer live: reuse. */
  | { kind: "superseded" }
  | { kind: "unknown" };

/** Read only: what `token` is to the chain (rotation, introspection, RFC 7009 revocation). */
export function chainTokenState(ctx: TenantCtx, chainId: string, secret: Uint8Array, token: string): ChainState {
  const t = parseChainToken(token);
  const row = t?.chainId === chainId ? one<ChainRow>(ctx.sql, "SELECT generation, first_generation, hash, issued_at FROM refresh_chains WHERE chain_id = ?", chainId) : null;
  return t && row ? classify(ctx, row, secret, t, token) : { kind: "unknown" };
}

function classify(ctx: TenantCtx, row: ChainRow, secret: Uint8Array, t: ChainToken, token: string): ChainState {
  if (t.generation < row.first_generation) return { kind: "unknown" };
  if (t.generation === row.generation && sameHash(tokenHash(secret, token), row.hash)) return { kind: "current", successor: successorOf(secret, t, token) };
  if (t.generation === row.generation - 1) {
    const successor = successorOf(secret, t, token);
    if (sameHash(tokenHash(secret, successor), row.hash)) {
      // With no grace, any second use is reuse: the clock may not have moved since the
      // rotation (Workers freeze Date.now() within an I/O turn), and a request that began
      // before the rotation can even see a negative age.
      const grace = ctx.settings.refresh_reuse_grace_s * 1000;
      return grace > 0 && ctx.now - row.issued_at <= grace ? { kind: "grace", successor } : { kind: "superseded" };
    }
  }
  if (t.proof && timingSafeEqual(tagOf(secret, t.chainId, t.generation, t.proof.next), t.proof.tag)) return { kind: "superseded" };
  return { kind: "unknown" };
}

export type RotateOutcome = { kind: "rotated" | "grace"; token: string } | { kind: "reuse" } | { kind: "unknown" };

export function rotateChain(ctx: TenantCtx, chainId: string, secret: Uint8Array, token: string): RotateOutcome {
  const state = chainTokenState(ctx, chainId, secret, token);
  switch (state.kind) {
    case "current":
      ctx.sql.exec("UPDATE refresh_chains SET generation = generation + 1, hash = ?, issued_at = ? WHERE chain_id = ?", tokenHash(secret, state.successor), ctx.now, chainId);
      return { kind: "rotated", token: state.successor };
    case "grace":
      return { kind: "grace", token: state.successor };
    case "superseded":
      return { kind: "reuse" };
    case "unknown":
      return state;
  }
}

export function dropChains(sql: SqlStorage, chainIds: string[]): void {
  if (chainIds.length === 1) sql.exec("DELETE FROM refresh_chains WHERE chain_id = ?", chainIds[0]);
  else if (chainIds.length) sql.exec("DELETE FROM refresh_chains WHERE chain_id IN (SELECT value FROM json_each(?))", JSON.stringify(chainIds));
}
