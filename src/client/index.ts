/**
 * @module The resource-server client library, `warden/client`: verify
 * Warden access tokens locally and apply pushed revocations at once. Runs in Workers (inside
 * a Durable Object, since a socket cannot outlive a request elsewhere), Node 20+ (pass a
 * WebSocket or `connect` where there is no global one), Deno and Bun.
 */
export { createVerifier, type InactiveReason, type TokenAlgorithm, type Verifier, type VerifierOptions, type VerifyResult } from "./verifier.ts";
export { wardenAuth, type WardenAuthOptions, type WardenVariables } from "./middleware.ts";
export { VerifierConfigError, type ConfigProblem } from "./config-check.ts";
export { createJwks, JwksUnavailableError, type GetKey, type Jwks, type JwksOptions } from "./jwks.ts";
export { PURPOSE_MEMBER } from "./types.ts";
export { Revocations, type RevocationOptions, type RevocationVerdict } from "./revocations.ts";
export { defaultConnect, Subscriber, SubscribeRefusedError, type SubscriberOptions } from "./subscriber.ts";
export type { AccessTokenClaims, Clock, Connect, FetchLike, Hello, KeyPurpose, WardenEvent, WebSocketLike } from "./types.ts";
