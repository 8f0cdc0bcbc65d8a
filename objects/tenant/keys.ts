/**
 * @module The tenant's signing keys. Private keys are sealed at rest and opened once into an
 * in-memory ring. Rotation adds a new current key and retires the old one, whose public half
 * stays in the JWKS until every token it signed has expired (max access TTL plus leeway).
 */
import { iso } from "../../src/clock.ts";
import { b64url } from "../../src/crypto/bytes.ts";
import { generateSigningKey, loadSigningKey, type GeneratedKey, type LoadedKey } from "../../src/crypto/jwt.ts";
import type { Sealer } from "../../src/crypto/seal.ts";
import type { TokenAlg } from "../../schema/settings.ts";
import type { TenantCtx } from "./context.ts";
import { all } from "./sql.ts";

/** Retired public keys stay published this long: the longest access TTL (1 h) plus leeway. */
export const RETIRED_KEY_PUBLISHED_MS = 3600_000 + 5 * 60_000;

interface KeyRow {
  kid: string;
  alg: TokenAlg;
  private_key: string;
  public_jwk: string | null;
  created_at: number;
  retired_at: number | null;
}

export class KeyRing {
  #keys = new Map<string, LoadedKey & { retiredAt: number | null; createdAt: number }>();

  constructor(
    private readonly sealer: Sealer,
    private readonly slug: string,
  ) {}

  async load(sql: SqlStorage): Promise<void> {
    const rows = all<KeyRow>(sql, "SELECT * FROM signing_keys");
    const next = new Map<string, LoadedKey & { retiredAt: number | null; createdAt: number }>();
    for (const r of rows) {
      const secret = await this.sealer.open(r.private_key, "signing-key", this.slug, r.kid);
      const k = await loadSigningKey(r.kid, r.alg, secret, r.public_jwk ? JSON.parse(r.public_jwk) : null);
      next.set(r.kid, { ...k, retiredAt: r.retired_at, createdAt: r.created_at });
    }
    this.#keys = next;
  }

  /** The newest unretired key of `alg`. */
  current(alg: TokenAlg): LoadedKey | null {
    let best: (LoadedKey & { createdAt: number }) | null = null;
    for (const k of this.#keys.values()) if (k.alg === alg && k.retiredAt === null && (!best || k.createdAt > best.createdAt)) best = k;
    return best;
  }

  get(kid: string): LoadedKey | null {
    return this.#keys.get(kid) ?? null;
  }

  /** Generates and seals a key (async, before any transaction). */
  async prepare(alg: TokenAlg): Promise<{ gen: GeneratedKey; sealed: string; loaded: LoadedKey }> {
    const gen = await generateSigningKey(alg);
    const sealed = await this.sealer.seal(gen.secret, "signing-key", this.slug, gen.kid);
    const loaded = await loadSigningKey(gen.kid, alg, gen.secret, gen.publicJwk);
    return { gen, sealed, loaded };
  }

  /** Synchronous: stores the prepared key as current for its alg and retires the previous ones. */
  install(ctx: TenantCtx, p: { gen: GeneratedKey; sealed: string; loaded: LoadedKey }): void {
    ctx.sql.exec("UPDATE signing_keys SET retired_at = ? WHERE alg = ? AND retired_at IS NULL", ctx.now, p.gen.alg);
    ctx.sql.exec(
      "INSERT INTO signing_keys (kid, alg, private_key, public_jwk, created_at) VALUES (?, ?, ?, ?, ?)",
      p.gen.kid, p.gen.alg, p.sealed, p.gen.publicJwk ? JSON.stringify(p.gen.publicJwk) : null, ctx.now,
    );
    for (const k of this.#keys.values()) if (k.alg === p.gen.alg && k.retiredAt === null) k.retiredAt = ctx.now;
    this.#keys.set(p.gen.kid, { ...p.loaded, retiredAt: null, createdAt: ctx.now });
  }

  /** Drops keys retired long enough ago that nothing they signed can still be valid. */
  purgeRetired(sql: SqlStorage, now: number): number {
    const gone = all<{ kid: string }>(sql, "DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < ? RETURNING kid", now - RETIRED_KEY_PUBLISHED_MS);
    for (const g of gone) this.#keys.delete(g.kid);
    return gone.length;
  }
}

/** The public keys to publish: current and recently retired asymmetric keys. */
export function jwks(sql: SqlStorage, now: number): { keys: Record<string, unknown>[] } {
  const rows = all<{ public_jwk: string }>(
    sql,
    "SELECT public_jwk FROM signing_keys WHERE public_jwk IS NOT NULL AND (retired_at IS NULL OR retired_at > ?) ORDER BY created_at DESC",
    now - RETIRED_KEY_PUBLISHED_MS,
  );
  return { keys: rows.map((r) => JSON.parse(r.public_jwk)) };
}

export function describeKey(gen: GeneratedKey, now: number): { kid: string; alg: string; created_at: string; secret?: string } {
  const out: { kid: string; alg: string; created_at: string; secret?: string } = { kid: gen.kid, alg: gen.alg, created_at: iso(now)! };
  // An HS256 secret is shown once, to the operator who rotated it, for the apps that verify with it.
  if (gen.alg === "HS256") out.secret = b64url(gen.secret);
  return out;
}
