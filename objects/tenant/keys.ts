/**
 * @module The tenant's signing keys. Private keys are sealed at rest and opened once into an
 * in-memory ring. Rotation adds a new current key and retires the old one, whose public half
 * stays in the JWKS until every token it signed has expired (max access TTL plus leeway).
 *
 * Each key has one purpose (`KeyPurpose`): it signs access tokens, or Security Event Tokens
 * (and, with OIDC, ID tokens), never two kinds, so a JWT of one kind cannot pass as another
 * even where both use the same algorithm. The JWKS names the purpose of every key in the
 * Warden member `warden_use` (RFC 7517 section 4 allows members beyond the registered ones),
 * which is how the client library keeps to access-token keys. A new purpose is one more value
 * of `KeyPurpose` and a `prepare(purpose, alg)` where its keys are made.
 */
import { iso } from "../../src/clock.ts";
import { b64url } from "../../src/crypto/bytes.ts";
import { generateSigningKey, jwsAlg, loadSigningKey, type GeneratedKey, type LoadedKey } from "../../src/crypto/jwt.ts";
import { PURPOSE_MEMBER, type KeyPurpose } from "../../src/client/types.ts";
import type { Sealer } from "../../src/crypto/seal.ts";
import type { TokenAlg } from "../../schema/settings.ts";
import type { TenantCtx } from "./context.ts";
import { all } from "./sql.ts";

/** Retired public keys stay published this long: the longest access TTL (1 h) plus leeway. */
export const RETIRED_KEY_PUBLISHED_MS = 3600_000 + 5 * 60_000;

export type { KeyPurpose };

/** A key of the ring, with what it signs. */
export type RingKey = LoadedKey & { purpose: KeyPurpose; retiredAt: number | null; createdAt: number };

/** A key made by `prepare`, to `install` inside a transaction. */
export interface PreparedKey {
  purpose: KeyPurpose;
  gen: GeneratedKey;
  sealed: string;
  loaded: LoadedKey;
}

interface KeyRow {
  kid: string;
  alg: TokenAlg;
  private_key: string;
  public_jwk: string | null;
  purpose: KeyPurpose;
  created_at: number;
  retired_at: number | null;
}

export class KeyRing {
  #keys = new Map<string, RingKey>();

  constructor(
    private readonly sealer: Sealer,
    private readonly slug: string,
  ) {}

  async load(sql: SqlStorage): Promise<void> {
    const rows = all<KeyRow>(sql, "SELECT * FROM signing_keys");
    const next = new Map<string, RingKey>();
    for (const r of rows) {
      const secret = await this.sealer.open(r.private_key, "signing-key", this.slug, r.kid);
      const k = await loadSigningKey(r.kid, r.alg, secret, r.public_jwk ? JSON.parse(r.public_jwk) : null);
      next.set(r.kid, { ...k, purpose: r.purpose, retiredAt: r.retired_at, createdAt: r.created_at });
    }
    this.#keys = next;
  }

  /** The newest unretired key of `purpose` (and of `alg`, when given). */
  current(purpose: KeyPurpose, alg?: TokenAlg): RingKey | null {
    let best: RingKey | null = null;
    for (const k of this.#keys.values()) {
      if (k.purpose === purpose && (alg === undefined || k.alg === alg) && k.retiredAt === null && (!best || k.createdAt > best.createdAt)) best = k;
    }
    return best;
  }

  get(kid: string): RingKey | null {
    return this.#keys.get(kid) ?? null;
  }

  /** Generates and seals a key (async, before any transaction). */
  async prepare(purpose: KeyPurpose, alg: TokenAlg): Promise<PreparedKey> {
    const gen = await generateSigningKey(alg);
    const sealed = await this.sealer.seal(gen.secret, "signing-key", this.slug, gen.kid);
    const loaded = await loadSigningKey(gen.kid, alg, gen.secret, gen.publicJwk);
    return { purpose, gen, sealed, loaded };
  }

  /** Synchronous: stores the prepared key as current for its purpose and alg, and retires the previous ones. */
  install(ctx: TenantCtx, p: PreparedKey): void {
    ctx.sql.exec("UPDATE signing_keys SET retired_at = ? WHERE purpose = ? AND alg = ? AND retired_at IS NULL", ctx.now, p.purpose, p.gen.alg);
    ctx.sql.exec(
      "INSERT INTO signing_keys (kid, alg, purpose, private_key, public_jwk, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      p.gen.kid, p.gen.alg, p.purpose, p.sealed, p.gen.publicJwk ? JSON.stringify(p.gen.publicJwk) : null, ctx.now,
    );
    for (const k of this.#keys.values()) if (k.purpose === p.purpose && k.alg === p.gen.alg && k.retiredAt === null) k.retiredAt = ctx.now;
    this.#keys.set(p.gen.kid, { ...p.loaded, purpose: p.purpose, retiredAt: null, createdAt: ctx.now });
  }

  /** Drops keys retired long enough ago that nothing they signed can still be valid. */
  purgeRetired(sql: SqlStorage, now: number): number {
    const gone = all<{ kid: string }>(sql, "DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < ? RETURNING kid", now - RETIRED_KEY_PUBLISHED_MS);
    for (const g of gone) this.#keys.delete(g.kid);
    return gone.length;
  }
}

/**
 * The public keys to publish: current and recently retired asymmetric keys, each with `kid`,
 * `alg` and `use: "sig"` (RFC 7517 sections 4.2 to 4.5) and its purpose, taken from the row
 * rather than the stored JWK so that every key has them.
 */
export function jwks(sql: SqlStorage, now: number): { keys: Record<string, unknown>[] } {
  const rows = all<{ kid: string; alg: TokenAlg; purpose: KeyPurpose; public_jwk: string }>(
    sql,
    "SELECT kid, alg, purpose, public_jwk FROM signing_keys WHERE public_jwk IS NOT NULL AND (retired_at IS NULL OR retired_at > ?) ORDER BY created_at DESC",
    now - RETIRED_KEY_PUBLISHED_MS,
  );
  return { keys: rows.map((r) => ({ ...JSON.parse(r.public_jwk), kid: r.kid, alg: jwsAlg(r.alg), use: "sig", [PURPOSE_MEMBER]: r.purpose })) };
}

export function describeKey(gen: GeneratedKey, now: number): { kid: string; alg: string; created_at: string; secret?: string } {
  const out: { kid: string; alg: string; created_at: string; secret?: string } = { kid: gen.kid, alg: gen.alg, created_at: iso(now)! };
  // An HS256 secret is shown once, to the operator who rotated it, for the apps that verify with it.
  if (gen.alg === "HS256") out.secret = b64url(gen.secret);
  return out;
}
