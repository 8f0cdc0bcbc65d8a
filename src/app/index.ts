/**
 * @module The app client, `warden/app`: sign users in to one Warden tenant from a browser,
 * React Native or a Node back end, keep their tokens fresh without racing other tabs, and
 * sign them out everywhere the moment Warden revokes the session. No dependencies: it uses the
 * platform's fetch, Web Locks, BroadcastChannel and WebSocket, or the ones passed in.
 */
export { createWardenApp, type WardenApp, type WardenAppOptions } from "./client.ts";
export { WardenError, isTransient, isRejectedGrant } from "./errors.ts";
export { memoryStorage } from "./coordination.ts";
export type { LiveStatus } from "./live.ts";
export { pkceChallenge, type AuthorizeParams, type OAuthOptions } from "./oauth.ts";
export type { RetryPolicy } from "./session.ts";
export type { Passkeys } from "./passkeys.ts";
export type { CeremonyOptions, CredentialsLike, PublicKeyCredentialStatics } from "./webauthn.ts";
export type {
  AuthenticationResponseJSON, BroadcastChannelCtor, ChangeEvent, ChannelLike, Clock, FetchLike, LocksLike, PasskeySignUpInput, PublicPasskey, PublicSession, PublicUser, ReauthInput, RegistrationResponseJSON, Session, SignInInput,
  SignInResult, SignOutReason, SignUpInput, StorageLike, TokenResponse, TotpEnrollment, UpdateUserInput, WebSocketCtor, WebSocketLike,
} from "./types.ts";
