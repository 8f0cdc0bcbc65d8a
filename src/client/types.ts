/**
 * @module Types shared by the client library: the wire messages of `GET /v1/{tenant}/events`
 * (SPEC section 7), the access-token claims (SPEC section 5), and the few outside things the
 * library takes as parameters (clock, fetch, socket factory) so that it runs unchanged in
 * Workers, in Node 24, and in tests.
 */

/** A revocation-log event, as a JSON subscriber receives it. */
export interface WardenEvent {
  seq: number;
  type: "session.revoked" | "session.expired" | "user.revoked" | "user.disabled" | "user.deleted" | "key.rotated";
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
