/**
 * @module The app client's types: Warden's wire shapes (request bodies and answers) and the few
 * platform things the client takes as parameters (storage, locks, channel, socket, clock), so
 * it runs unchanged in browsers, React Native, Workers, Deno, Bun and Node. The wire shapes are
 * written out here, with no import of the server, so the published types need nothing else
 * installed; test/app/wire-types.ts holds them equal to the zod schemas and the answer types
 * the server itself uses, and `npm run typecheck` fails when the two drift apart.
 */

// ---- wire: answers

export interface PublicUser {
  id: string;
  email: string | null;
  username: string | null;
  email_verified: boolean;
  /** The address a `PATCH /me` asked for, until its link is used; `email` stays the login until then. */
  pending_email: string | null;
  status: string;
  metadata: Record<string, unknown>;
  mfa_enabled: boolean;
  created_at: string;
  updated_at: string;
}

/** Every sign-in, refresh, step-up and credential change answers this. */
export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  refresh_token: string;
  session_id: string;
  user: PublicUser;
}

export interface PublicSession {
  id: string;
  created_at: string;
  last_refreshed_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
  amr: string[];
  current: boolean;
  online: boolean;
}

/** One of the user's passkeys (`GET /passkeys`). */
export interface PublicPasskey {
  id: string;
  name: string;
  created_at: string;
  last_used_at: string | null;
  transports: string[];
  backup_eligible: boolean;
  backed_up: boolean;
  aaguid: string;
}

export interface TotpEnrollment {
  /** Base32, for manual entry. */
  secret: string;
  otpauth_uri: string;
}

// ---- wire: request bodies

export interface SignUpInput {
  email?: string;
  username?: string;
  password: string;
  metadata?: Record<string, unknown>;
}

export interface SignInInput {
  /** An email address or a username. */
  login: string;
  password: string;
}

/** `PATCH /me`: at least one change; `current_password` is the inline step-up proof. */
export interface UpdateUserInput {
  current_password?: string;
  new_password?: string;
  new_username?: string;
  new_email?: string;
  metadata?: Record<string, unknown>;
}

/**
 * A WebAuthn assertion as the browser's `PublicKeyCredential.toJSON()` writes it (WebAuthn L3),
 * for a passkey step-up; get its options from `POST /reauth/webauthn/options`.
 */
export type AuthenticationResponseJSON = {
  id: string;
  rawId: string;
  type: "public-key";
  authenticatorAttachment?: "platform" | "cross-platform" | null;
  clientExtensionResults?: Record<string, unknown>;
  response: { clientDataJSON: string; authenticatorData: string; signature: string; userHandle?: string | null };
};

/** A WebAuthn attestation as `PublicKeyCredential.toJSON()` writes it, for a registration. */
export type RegistrationResponseJSON = {
  id: string;
  rawId: string;
  type: "public-key";
  authenticatorAttachment?: "platform" | "cross-platform" | null;
  clientExtensionResults?: Record<string, unknown>;
  response: { clientDataJSON: string; attestationObject: string; transports?: string[] };
};

/** `POST /signup/passkey/options`: an account whose only credential is a passkey. */
export interface PasskeySignUpInput {
  email?: string;
  username?: string;
  metadata?: Record<string, unknown>;
}

/** `POST /reauth`: exactly one proof. */
export type ReauthInput = { password: string } | { code: string } | { magic_link_token: string } | { webauthn: AuthenticationResponseJSON };

// ---- what the client hands out

/** The signed-in session, as this client holds it. */
export interface Session {
  user: PublicUser;
  session_id: string;
  /** When the access token expires, in this device's clock (ms): receipt time plus `expires_in`. */
  expires_at: number;
}

export type SignInResult =
  | { status: "signed_in"; session: Session }
  | {
      status: "mfa_required";
      /** `totp`, and `recovery_code` while the user has unused ones. */
      methods: string[];
      /** Finishes the sign-in with a TOTP or recovery code (`POST /login/mfa`). */
      complete(code: string): Promise<{ status: "signed_in"; session: Session }>;
      /** Finishes it with a passkey instead, when `methods` lists `webauthn` (a WebAuthn ceremony in this browser). */
      completeWithPasskey(): Promise<{ status: "signed_in"; session: Session }>;
    }
  | {
      /** The tenant requires a second factor and the account has none yet (its `mfa.required`). */
      status: "mfa_enrollment_required";
      /** A new TOTP secret for this sign-in (`POST /login/mfa/totp`): show `otpauth_uri` as a QR code, or `secret` to type in. Again: a new secret. */
      enroll(): Promise<TotpEnrollment>;
      /** A code of that authenticator turns the factor on and signs in; `recoveryCodes` are its first ten, shown once. */
      complete(code: string): Promise<{ status: "signed_in"; session: Session; recoveryCodes: string[] }>;
    };

/**
 * Why a session ended: `local` (this app called `signOut`, `signOutEverywhere` or deleted the
 * account), a revocation pushed over the live socket (`session_revoked`, `session_expired`,
 * `user_revoked`, `user_disabled`, `user_deleted`, `tenant_revoked`: an operator signed every
 * user out), or Warden refusing the refresh token
 * (`refresh_rejected`: `invalid_token` / `invalid_grant`).
 */
export type SignOutReason = "local" | "session_revoked" | "session_expired" | "user_revoked" | "user_disabled" | "user_deleted" | "tenant_revoked" | "refresh_rejected";

export type ChangeEvent =
  | { type: "signed_in"; session: Session }
  | { type: "refreshed"; session: Session }
  | { type: "signed_out"; reason: SignOutReason };

// ---- platform

/** `localStorage`, an in-memory map, React Native's AsyncStorage, or a cookie-backed store: sync or async. */
export interface StorageLike {
  getItem(key: string): string | null | Promise<string | null>;
  setItem(key: string, value: string): void | Promise<void>;
  removeItem(key: string): void | Promise<void>;
}

/** What the client needs of the Web Locks API (`navigator.locks`). */
export interface LocksLike {
  request<T>(name: string, options: { signal?: AbortSignal }, callback: () => Promise<T>): Promise<T>;
}

/** What the client needs of a `BroadcastChannel`. */
export interface ChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (ev: { data: unknown }) => void): void;
  close(): void;
}

export type BroadcastChannelCtor = new (name: string) => ChannelLike;

/** What the client needs of a WHATWG WebSocket (browsers, Node 22+, React Native, Deno, Bun, `ws`). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "open" | "message" | "close" | "error", listener: (ev: any) => void): void;
}

export type WebSocketCtor = new (url: string) => WebSocketLike;

export type FetchLike = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

/** Milliseconds; tests pass a clock they move. */
export interface Clock {
  now(): number;
}
