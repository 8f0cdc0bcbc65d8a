/**
 * @module The tenant's upstream identity providers: rows, the public shape, and the secret.
 * The configuration is JSON validated by `schema/identity-providers.ts`; the client secret (or,
 * for Apple, the PKCS#8 key that signs it) is sealed with purpose `idp-secret` and the
 * provider id as the row, opened only to talk to the upstream, never returned.
 */
import { iso } from "../../../src/clock.ts";
import { DEFAULT_SCOPES, IDP_ID_RE, type IdpConfig, type PublicIdp } from "../../../schema/identity-providers.ts";
import { all, one } from "../sql.ts";

export interface ProviderRow extends IdpConfig {
  secret_sealed: string | null;
  created_at: number;
  updated_at: number;
}

interface Stored {
  id: string;
  type: string;
  config: string;
  secret_sealed: string | null;
  created_at: number;
  updated_at: number;
}

const toRow = (r: Stored): ProviderRow => ({ ...(JSON.parse(r.config) as IdpConfig), id: r.id, secret_sealed: r.secret_sealed, created_at: r.created_at, updated_at: r.updated_at });

export function getProvider(sql: SqlStorage, id: string): ProviderRow | null {
  if (!IDP_ID_RE.test(id)) return null;
  const r = one<Stored>(sql, "SELECT * FROM identity_providers WHERE id = ?", id);
  return r ? toRow(r) : null;
}

export const listProviders = (sql: SqlStorage): ProviderRow[] => all<Stored>(sql, "SELECT * FROM identity_providers ORDER BY created_at, id").map(toRow);

/** Inserts or replaces; `secret` undefined keeps the stored one. */
export function putProvider(sql: SqlStorage, c: IdpConfig, secret: string | null | undefined, now: number): ProviderRow {
  const before = getProvider(sql, c.id);
  const sealed = secret === undefined ? (before?.secret_sealed ?? null) : secret;
  sql.exec(
    `INSERT INTO identity_providers (id, type, config, secret_sealed, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET type = excluded.type, config = excluded.config, secret_sealed = excluded.secret_sealed, updated_at = excluded.updated_at`,
    c.id, c.type, JSON.stringify(c), sealed, before?.created_at ?? now, now,
  );
  return getProvider(sql, c.id)!;
}

export const deleteProvider = (sql: SqlStorage, id: string): boolean => sql.exec("DELETE FROM identity_providers WHERE id = ?", id).rowsWritten > 0;

const DISPLAY: Record<string, string> = { google: "Google", microsoft: "Microsoft", apple: "Apple", github: "GitHub" };

export const scopesOf = (p: IdpConfig): string => p.scopes ?? DEFAULT_SCOPES[p.type];
export const displayNameOf = (p: IdpConfig): string => p.display_name ?? DISPLAY[p.type] ?? p.id;

/** The redirect URI to register at the upstream: one per provider (mix-up defence, RFC 9700 section 4.4.2.2). */
export const callbackUrl = (issuer: string, id: string): string => `${issuer}/idp/${id}/callback`;

/** Only what is stored in clear, plus whether a secret is set: the secret itself never leaves. */
export function toPublicProvider(p: ProviderRow, issuer: string): PublicIdp {
  const { secret_sealed, created_at, updated_at, ...config } = p;
  return { ...config, scopes: scopesOf(p), display_name: displayNameOf(p), client_secret_set: secret_sealed !== null, callback_url: callbackUrl(issuer, p.id), created_at: iso(created_at)!, updated_at: iso(updated_at)! };
}

/** The configuration as stored (without the row's own columns), for merging a PATCH over. */
export function configOf(p: ProviderRow): IdpConfig {
  const { secret_sealed: _s, created_at: _c, updated_at: _u, ...config } = p;
  return config;
}
