/**
 * @module Types shared by the client library: the wire messages of `GET /v1/{tenant}/events`,
 * the access-token claims, and the few outside things the
 * library takes as parameters (clock, fetch, socket factory) so that it runs unchanged in
 * Workers, in Node 24, and in tests.
 */

/**
 * A revocation-log event, as a JSON subscriber receives it. `tenant.revoked` (an operator signed
 * everyone out) and `key.rotated` concern the whole tenant: their `sub` is the tenant's slug.
 */
export interface WardenEvent {
  seq: number;
  type: "session.revoked" | "session.expired" | "user.revoked" | "user.disabled" | "user.deleted" | "tenant.revoked" | "key.rotated";
  ts: string;
  tenant: string;
  sub: string;
  sid?: string;
  ver?: number;
  reason: string;
}

export interface Hello {
  type: "hello";
  tenant: string;
  seq: number;
  server_time: string;
}

/**
 * What a key of the tenant JWKS signs, in the Warden member `warden_use` of each JWK:
 * `access_token` (access tokens, `typ: at+jwt`), `set` (Security Event Tokens of
 * `?format=set` subscribers), `id_token` (OIDC ID tokens). A verifier uses only the keys of
 * the kind of token it checks.
 */
export type KeyPurpose = "access_token" | "set" | "id_token";

/** The JWK member that carries a key's purpose (a Warden extension: RFC 7517 section 4 allows members beyond the registered ones). */
export const PURPOSE_MEMBER = "warden_use";

/** The claims of a Warden access token (`typ: at+jwt`). */
export interface AccessTokenClaims {
  iss: string;
  aud: string | string[];
  sub: string;
  tid: string;
  sid: string;
  ver: number;
  roles: string[];
  scope: string;
  amr: string[];
  /**
   * When the user last proved a factor in this session, seconds (OIDC Core section 2): the
   * sign-in or a step-up (`POST /reauth`); a refresh carries it over unchanged.
   */
  auth_time: number;
  email: string | null;
  username: string | null;
  jti: string;
  iat: number;
  exp: number;
  [claim: string]: unknown;
}

/** Milliseconds since the epoch. Tests pass a fake one. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** What the library needs of a WebSocket; the Workers and WHATWG (Node 24, undici) sockets both fit. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  // Events: `open`, `message` ({ data }), `close` ({ code, reason }), `error`.
  addEventListener(type: "open" | "message" | "close" | "error", listener: (ev: any) => void, options?: { once?: boolean }): void;
  /** Workers sockets from `fetch` must be accepted; called after the listeners are attached. */
  accept?(): void;
}

/**
 * Opens the subscriber socket. `url` is the `http(s)` events URL with its query; `headers`
 * carries `Authorization`. Resolves with a socket not yet accepted (Workers) or already open.
 */
export type Connect = (url: string, headers: Record<string, string>) => Promise<WebSocketLike>;
