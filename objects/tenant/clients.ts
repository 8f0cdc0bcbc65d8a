/**
 * @module The tenant's OAuth clients: rows, their public shape, redirect URI matching, and
 * client authentication at the token endpoint. A confidential client's secret is 256 random
 * bits, shown once; only its SHA-256 is stored (a high-entropy secret needs no slow hash) and
 * compared in constant time.
 */
import { iso } from "../../src/clock.ts";
import { utf8 } from "../../src/crypto/bytes.ts";
import { sha256B64 } from "../../src/crypto/digest.ts";
import { randomToken } from "../../src/crypto/random.ts";
import { timingSafeEqual } from "../../src/crypto/timing-safe-equal.ts";
import { isLoopbackIpRedirect, type ClientMetadata } from "../../schema/clients.ts";
import { all, one } from "./sql.ts";

export interface ClientRow extends ClientMetadata {
  client_id: string;
  /** Seconds since the epoch (RFC 7591 section 3.2.1). */
  client_id_issued_at: number;
  secret_hash: string | null;
  /** Registered through RFC 7591 dynamic registration rather than by an operator. */
  dynamic: boolean;
  created_at: number;
  updated_at: number;
}

interface StoredRow {
  client_id: string;
  metadata: string;
  secret_hash: string | null;
  dynamic: number;
  client_id_issued_at: number;
  created_at: number;
  updated_at: number;
}

const toRow = (r: StoredRow): ClientRow => ({
  ...(JSON.parse(r.metadata) as ClientMetadata),
  client_id: r.client_id,
  client_id_issued_at: r.client_id_issued_at,
  secret_hash: r.secret_hash,
  dynamic: r.dynamic === 1,
  created_at: r.created_at,
  updated_at: r.updated_at,
});

/** Client ids are `wc_` and 128 random bits: unguessable, so knowing one grants nothing. */
export const CLIENT_ID_RE = /^wc_[A-Za-z0-9_-]{22}$/;

export function getClient(sql: SqlStorage, clientId: string): ClientRow | null {
  if (!CLIENT_ID_RE.test(clientId)) return null;
  const r = one<StoredRow>(sql, "SELECT * FROM clients WHERE client_id = ?", clientId);
  return r ? toRow(r) : null;
}

export function listClients(sql: SqlStorage): ClientRow[] {
  return all<StoredRow>(sql, "SELECT * FROM clients ORDER BY created_at, client_id").map(toRow);
}

export const countDynamicClients = (sql: SqlStorage): number => one<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM clients WHERE dynamic = 1")!.n;

export const isPublicClient = (c: Pick<ClientRow, "token_endpoint_auth_method">): boolean => c.token_endpoint_auth_method === "none";

export const newClientSecret = (): string => randomToken(32);

/** Inserts a client; returns it and, for a confidential client, its secret (shown once). */
export function insertClient(sql: SqlStorage, m: ClientMetadata, now: number, o: { dynamic: boolean }): { client: ClientRow; secret: string | null } {
  const clientId = `wc_${randomToken(16)}`;
  const secret = isPublicClient(m) ? null : newClientSecret();
  sql.exec(
    "INSERT INTO clients (client_id, metadata, secret_hash, dynamic, client_id_issued_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    clientId, JSON.stringify(m), secret ? sha256B64(secret) : null, o.dynamic ? 1 : 0, Math.floor(now / 1000), now, now,
  );
  return { client: getClient(sql, clientId)!, secret };
}

/**
 * Stores new metadata. A client that becomes public loses its secret; one that becomes
 * confidential gets a new one (returned, shown once).
 */
export function updateClient(sql: SqlStorage, c: ClientRow, m: ClientMetadata, now: number): { client: ClientRow; secret: string | null } {
  let hash = c.secret_hash;
  let secret: string | null = null;
  if (isPublicClient(m)) hash = null;
  else if (!hash) (secret = newClientSecret()), (hash = sha256B64(secret));
  sql.exec("UPDATE clients SET metadata = ?, secret_hash = ?, updated_at = ? WHERE client_id = ?", JSON.stringify(m), hash, now, c.client_id);
  return { client: getClient(sql, c.client_id)!, secret };
}

export function rotateClientSecret(sql: SqlStorage, c: ClientRow, now: number): string {
  const secret = newClientSecret();
  sql.exec("UPDATE clients SET secret_hash = ?, updated_at = ? WHERE client_id = ?", sha256B64(secret), now, c.client_id);
  return secret;
}

export function deleteClient(sql: SqlStorage, clientId: string): boolean {
  return sql.exec("DELETE FROM clients WHERE client_id = ?", clientId).rowsWritten > 0;
}

/**
 * The origins a browser app of this client runs on: those of a public client's web redirect
 * URIs. A confidential client has a back end and needs no CORS; native schemes have no origin.
 */
export function corsOrigins(c: ClientRow): string[] {
  if (!isPublicClient(c)) return [];
  const out = new Set<string>();
  for (const r of c.redirect_uris) {
    try {
      const u = new URL(r);
      if (u.protocol === "https:" || u.protocol === "http:") out.add(u.origin);
    } catch {
      /* validated at registration */
    }
  }
  return [...out];
}

/** Constant-time check of a presented secret against the stored hash. */
export function secretMatches(c: ClientRow, presented: string): boolean {
  if (!c.secret_hash) return false;
  return timingSafeEqual(utf8(c.secret_hash), utf8(sha256B64(presented)));
}

/**
 * Exact string match (OAuth 2.1 section 2.3.1, RFC 9700 section 4.1.3), except that for an
 * `http` redirect to a loopback IP literal the port may differ (RFC 8252 section 7.3: native
 * apps listen on an ephemeral port).
 */
export function redirectUriMatches(client: Pick<ClientRow, "redirect_uris">, uri: string): boolean {
  if (client.redirect_uris.includes(uri)) return true;
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return false;
  }
  if (!isLoopbackIpRedirect(u) || uri.includes("#")) return false;
  const portless = (x: URL) => `${x.protocol}//${x.hostname}${x.pathname}${x.search}`;
  return client.redirect_uris.some((r) => {
    try {
      const ru = new URL(r);
      return isLoopbackIpRedirect(ru) && portless(ru) === portless(u);
    } catch {
      return false;
    }
  });
}

/** OIDC RP-Initiated Logout section 3: an exact match against a registered value, nothing looser. */
export function postLogoutUriMatches(client: Pick<ClientRow, "post_logout_redirect_uris">, uri: string): boolean {
  return client.post_logout_redirect_uris.includes(uri);
}

/** The public shape (RFC 7591 section 3.2.1): never the secret's hash. */
export interface PublicClient extends ClientMetadata {
  client_id: string;
  client_id_issued_at: number;
  /** 0: the secret does not expire (RFC 7591 section 3.2.1); present for confidential clients. */
  client_secret_expires_at?: number;
  client_secret?: string;
  dynamic: boolean;
  created_at: string;
  updated_at: string;
}

export function toPublicClient(c: ClientRow, secret: string | null = null): PublicClient {
  const { secret_hash: _h, created_at, updated_at, ...rest } = c;
  const out: PublicClient = { ...rest, created_at: iso(created_at)!, updated_at: iso(updated_at)! };
  if (!isPublicClient(c)) out.client_secret_expires_at = 0;
  if (secret) out.client_secret = secret;
  return out;
}
