/** @module Operations: the signed-in user: profile, sessions, linked identities, TOTP, step-up, email links, password reset, the events stream. */
import type { ErrorCode } from "../../errors.ts";
import { codeBody, emailBody, eventsQuery, loginMfaBody, mfaTokenBody, oneTimeTokenBody, optionalPasswordBody, patchMeBody, reauthBody, resetBody } from "../../../schema/requests.ts";
import { TokenResponse, User } from "../../../schema/answers/common.ts";
import { Empty } from "../../../schema/answers/auth.ts";
import { EventTicket, IdentityList, MfaTokenResponse, RecoveryCodes, SessionList, TotpConfirmed, TotpEnrollment } from "../../../schema/answers/account.ts";
import type { Operation } from "../operation.ts";

const bearer = { kind: "bearer" } as const;
const noStore = { "Cache-Control": "no-store" };
const tokens = { description: "A token response for the session.", schema: TokenResponse, headers: noStore };
/** A new TOTP secret, pending until a code of it arrives (`POST /mfa/totp`, `POST /login/mfa/totp`). */
const pendingTotp = { description: "The pending secret.", schema: TotpEnrollment, headers: noStore, example: { secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", otpauth_uri: "otpauth://totp/Acme:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Acme" } };
const done = { description: "Done.", headers: noStore };
const accepted = { description: "Accepted.", schema: Empty, example: {}, headers: noStore };
const turnstile = { "cf-turnstile-response": { description: "A Turnstile token, when the tenant requires one (`turnstile` setting) or after repeated failures." } };

/**
 * Every route behind a bearer token refuses an OAuth client's token that does not reach the
 * account (`forbidden`, with `WWW-Authenticate: Bearer error="insufficient_scope"`).
 */
const ACCOUNT: ErrorCode[] = ["forbidden"];
/** A change that needs a recent authentication (objects/tenant/step-up.ts). */
const STEP_UP: ErrorCode[] = [...ACCOUNT, "reauth_required"];
/** A change that also takes the current password inline: a wrong one counts toward the lockout. */
const INLINE_PASSWORD: ErrorCode[] = [...STEP_UP, "invalid_credentials", "locked", "turnstile_required"];

const STEP_UP_NOTE =
  "Needs a recent authentication (within 5 minutes, `POST /reauth`), else 401 `reauth_required` with the account's `methods`.";
const INLINE_NOTE = `${STEP_UP_NOTE} The current \`password\` sent with the request counts instead, for an account whose step-up method is its password; a wrong one is 401 \`invalid_credentials\` and counts toward the lockout.`;

const example = {
  tokens: { access_token: "eyJhbGciOiJFZERTQSJ9…", token_type: "Bearer", expires_in: 900, refresh_token: "rt_…", session_id: "Vq1nYc3aQ8mJ0sL2xR7tKw" },
  user: {
    id: "0b9d4c1e-6a8f-4f55-9a3e-2d7c1f0e8b21",
    email: "ada@example.com",
    username: null,
    email_verified: true,
    pending_email: null,
    status: "active",
    metadata: {},
    mfa_enabled: false,
    created_at: "2026-12-01T09:30:00.000Z",
    updated_at: "2026-12-01T09:30:00.000Z",
  },
};

const EVENTS_DESCRIPTION = `Upgrades to a WebSocket (RFC 6455) served by the tenant object; a request without \`Upgrade: websocket\` is refused with 400 \`invalid_request\`. Every credential is checked before the upgrade; a refusal is a Warden error and nothing is stored.

**Who.** A *service* subscriber (\`Authorization: Bearer\` an API key with the \`subscribe\` scope, or the \`ADMIN_TOKEN\`) receives every event of the tenant. A *user* subscriber (\`?ticket=\` from \`POST /events/ticket\`, or \`?access_token=\`) receives its own user's events and the tenant-wide \`tenant.revoked\` only, and lives no longer than the access token that admitted it.

**Messages from the server** (JSON text frames):
- first \`{"type":"hello","tenant","seq","server_time"}\`, \`seq\` being the newest event;
- with \`?since=\`, every retained event after it, in order, before any live one; \`{"type":"reset","seq"}\` instead when the log cannot serve the cursor (expired, ahead of the log, or more than 10,000 behind): treat cached state as unverified;
- events \`{"seq","type","ts","tenant","sub","sid"?,"ver"?,"reason"}\`, \`type\` one of \`session.revoked\`, \`session.expired\`, \`user.revoked\`, \`user.disabled\`, \`user.deleted\`, \`tenant.revoked\` (an operator signed every user out: \`sub\` is the tenant, and every user token issued before \`ts\` is dead), \`key.rotated\`; with \`?format=set\` each is a Security Event Token (RFC 8417, EdDSA, verify with the JWKS key marked \`warden_use: "set"\`);
- \`{"type":"renewed","expires_at"}\` or \`{"type":"error","error":{"code":"invalid_token","message"}}\` in answer to a renewal.

**Messages from the client.** \`{"type":"renew","access_token"}\`: a fresh access token of the same session moves a user subscriber's expiry to that token's. \`ping\` is answered \`pong\`. Anything else is ignored.

**Close codes.** 4001: revoked (the user subscriber's session, its user's tokens, every session of the tenant, or the service's API key); 4003: the user subscriber's access token expired (refresh, reconnect with \`since\`); 4004: the tenant was deleted; 1011: a Security Event Token could not be signed (reconnect with \`since\`).`;

export const accountOperations: Operation[] = [
  // ---- me
  {
    id: "getMe",
    method: "get",
    path: "/v1/{tenant}/me",
    tag: "me",
    summary: "The signed-in user",
    security: bearer,
    answers: { 200: { description: "The user.", schema: User, headers: noStore, example: example.user } },
    errors: ACCOUNT,
  },
  {
    id: "updateMe",
    method: "patch",
    path: "/v1/{tenant}/me",
    tag: "me",
    summary: "Change the profile or a credential",
    description: `A new password, username or email rotates the user's secret and ends every other session; this one continues with the new refresh token answered. A new email only becomes \`pending_email\` until the link sent to it is used (\`POST /email/verify\`). A new password needs \`current_password\` whenever the account has one. ${STEP_UP_NOTE} \`current_password\` counts instead, for an account whose step-up method is its password.`,
    security: bearer,
    body: { schema: patchMeBody, example: { current_password: "correct horse battery staple", new_password: "a longer, newer passphrase" } },
    answers: { 200: { ...tokens, description: "Changed: the session's new tokens.", example: { ...example.tokens, user: example.user } } },
    errors: [...INLINE_PASSWORD, "password_policy", "conflict", "unavailable"],
  },
  {
    id: "deleteMe",
    method: "delete",
    path: "/v1/{tenant}/me",
    tag: "me",
    summary: "Delete the account",
    description: `Soft delete: every token dies at once, the identifiers are freed, the account is purged after the retention period. ${INLINE_NOTE}`,
    security: bearer,
    body: { schema: optionalPasswordBody, optional: true, example: { password: "correct horse battery staple" } },
    answers: { 204: { ...done, description: "Deleted." } },
    errors: INLINE_PASSWORD,
  },
  {
    id: "listSessions",
    method: "get",
    path: "/v1/{tenant}/sessions",
    tag: "me",
    summary: "The user's live sessions",
    description: "Each with the OAuth clients signed in under it; `current` marks the one asking, `online` those connected to the events stream.",
    security: bearer,
    answers: { 200: { description: "Newest first.", schema: SessionList, headers: noStore } },
    errors: ACCOUNT,
  },
  {
    id: "revokeSession",
    method: "delete",
    path: "/v1/{tenant}/sessions/{id}",
    tag: "me",
    summary: "End one of the user's sessions",
    description: `Ending the current session is a logout. Ending another one: ${STEP_UP_NOTE}`,
    security: bearer,
    answers: { 204: { ...done, description: "Ended; its tokens are dead everywhere at once." } },
    errors: [...STEP_UP, "not_found"],
  },
  // ---- identities
  {
    id: "listIdentities",
    method: "get",
    path: "/v1/{tenant}/identities",
    tag: "identities",
    summary: "The user's linked upstream identities",
    security: bearer,
    answers: { 200: { description: "Every linked identity.", schema: IdentityList, headers: noStore } },
    errors: ACCOUNT,
  },
  {
    id: "unlinkIdentity",
    method: "delete",
    path: "/v1/{tenant}/identities/{id}",
    tag: "identities",
    summary: "Unlink an upstream identity",
    description: `The account's last way to sign in (a password, a passkey, another identity or a verified email) cannot be unlinked: 409 \`conflict\`. ${INLINE_NOTE}`,
    security: bearer,
    body: { schema: optionalPasswordBody, optional: true, example: { password: "correct horse battery staple" } },
    answers: { 204: { ...done, description: "Unlinked." } },
    errors: [...INLINE_PASSWORD, "not_found", "conflict"],
  },
  // ---- mfa
  {
    id: "logInMfa",
    method: "post",
    path: "/v1/{tenant}/login/mfa",
    tag: "mfa",
    summary: "Complete a sign-in with a second factor",
    description:
      "After 401 `mfa_required`: its `mfa_token` and a TOTP code (six digits) or a recovery code, or a passkey assertion (`webauthn`) for `POST /login/mfa/webauthn/options`. After 401 `mfa_enrollment_required` and `POST /login/mfa/totp`: a code of the new TOTP, which turns it on; the answer then carries its first ten `recovery_codes` (shown once), and anything but a six-digit code is 400 `invalid_request`. A wrong code counts toward the account's lockout; the `mfa_token` survives it until it expires.",
    security: { kind: "public" },
    body: { schema: loginMfaBody, example: { mfa_token: "mfa_…", code: "123456" } },
    answers: { 200: { description: "Signed in: a new session.", schema: MfaTokenResponse, headers: noStore, example: { ...example.tokens, user: { ...example.user, mfa_enabled: true } } } },
    errors: ["invalid_token", "invalid_credentials", "locked", "turnstile_required", "forbidden", "conflict"],
  },
  {
    id: "logInMfaEnrollTotp",
    method: "post",
    path: "/v1/{tenant}/login/mfa/totp",
    tag: "mfa",
    summary: "Add a TOTP during a sign-in the tenant requires a second factor for",
    description:
      "For the `mfa_token` of a 401 `mfa_enrollment_required` (the tenant's `mfa.required`, an account with no second factor): a new secret, pending until `POST /login/mfa` brings a code of it. Asking again replaces the pending secret. The token of an ordinary `mfa_required` is 401 `invalid_token` here.",
    security: { kind: "public" },
    body: { schema: mfaTokenBody, example: { mfa_token: "mfa_…" } },
    answers: {
      200: pendingTotp,
    },
    errors: ["invalid_token", "conflict"],
  },
  {
    id: "enrollTotp",
    method: "post",
    path: "/v1/{tenant}/mfa/totp",
    tag: "mfa",
    summary: "Start a TOTP enrollment",
    description: `A new secret (RFC 6238), pending until confirmed; enrolling again before confirming replaces it. An active factor must be disabled first (409 \`conflict\`). ${STEP_UP_NOTE}`,
    security: bearer,
    answers: {
      200: pendingTotp,
    },
    errors: [...STEP_UP, "conflict"],
  },
  {
    id: "confirmTotp",
    method: "post",
    path: "/v1/{tenant}/mfa/totp/confirm",
    tag: "mfa",
    summary: "Activate TOTP with a current code",
    description: `Answers the first ten recovery codes, shown once. A wrong code is 400 \`invalid_request\` (\`details[].code: invalid_code\`). ${STEP_UP_NOTE}`,
    security: bearer,
    body: { schema: codeBody, example: { code: "123456" } },
    answers: { 200: { description: "TOTP is on.", schema: TotpConfirmed, headers: noStore, example: { enabled: true, recovery_codes: ["k3v9-q2xw-7hmp", "…"] } } },
    errors: [...STEP_UP, "not_found", "conflict"],
  },
  {
    id: "disableTotp",
    method: "delete",
    path: "/v1/{tenant}/mfa/totp",
    tag: "mfa",
    summary: "Remove TOTP and the recovery codes",
    description: `${INLINE_NOTE} With the tenant's \`mfa.required\`, an active TOTP that is the account's only second factor (no passkey) cannot be removed: 403 \`forbidden\` (an operator can reset it).`,
    security: bearer,
    body: { schema: optionalPasswordBody, optional: true, example: { password: "correct horse battery staple" } },
    answers: { 204: { ...done, description: "Removed (pending or active)." } },
    errors: [...INLINE_PASSWORD, "not_found", "forbidden"],
  },
  {
    id: "regenerateRecoveryCodes",
    method: "post",
    path: "/v1/{tenant}/mfa/recovery-codes",
    tag: "mfa",
    summary: "Replace the recovery codes",
    description: `Ten new codes; every earlier one stops working. Needs an active TOTP factor (else 409 \`conflict\`). ${STEP_UP_NOTE}`,
    security: bearer,
    answers: { 200: { description: "The new codes, shown once.", schema: RecoveryCodes, headers: noStore, example: { codes: ["k3v9-q2xw-7hmp", "…"] } } },
    errors: [...STEP_UP, "conflict"],
  },
  // ---- reauth
  {
    id: "reauthenticate",
    method: "post",
    path: "/v1/{tenant}/reauth",
    tag: "reauth",
    summary: "Step up: prove a factor again",
    description:
      "Exactly one proof among the account's step-up methods (those `reauth_required` lists): `password`, a TOTP or recovery `code`, a `magic_link_token` from `POST /reauth/magic-link`, or a passkey assertion (`webauthn`) for `POST /reauth/webauthn/options`. A method the account does not have is 400 `invalid_request` with its `methods`. Answers new tokens for the same session, with a fresh `auth_time`; retry the change with the new access token.",
    security: bearer,
    body: { schema: reauthBody, example: { password: "correct horse battery staple" } },
    answers: { 200: { ...tokens, description: "Stepped up.", example: { ...example.tokens, user: example.user } } },
    errors: [...ACCOUNT, "invalid_credentials", "locked", "turnstile_required"],
  },
  {
    id: "requestReauthLink",
    method: "post",
    path: "/v1/{tenant}/reauth/magic-link",
    tag: "reauth",
    summary: "Send a step-up link",
    description:
      "For an account without a password or TOTP: a link to its address (delivered by the tenant's webhook), good once, for 10 minutes, with this session only. Any other account is 400 `invalid_request` with its `methods`.",
    security: bearer,
    answers: { 202: { ...accepted, description: "The link is on its way." } },
    errors: [...ACCOUNT, "invalid_request"],
  },
  // ---- account: links and reset
  {
    id: "requestMagicLink",
    method: "post",
    path: "/v1/{tenant}/magic-link",
    tag: "account",
    summary: "Send a sign-in link",
    description:
      "202 whether or not the address is known (an unknown one gets a link only when the tenant lets people sign up by email; the account is made when it is used). Limited per IP and per address.",
    security: { kind: "public" },
    headers: turnstile,
    body: { schema: emailBody, example: { email: "ada@example.com" } },
    answers: { 202: accepted },
    errors: ["turnstile_required", "turnstile_failed", "unavailable"],
  },
  {
    id: "verifyMagicLink",
    method: "post",
    path: "/v1/{tenant}/magic-link/verify",
    tag: "account",
    summary: "Sign in with a link's token",
    description:
      "Spends the token and signs in (`amr: [\"email\"]`), which also verifies the address. An account with TOTP answers 401 `mfa_required` instead; an unknown address becomes a new account.",
    security: { kind: "public" },
    body: { schema: oneTimeTokenBody, example: { token: "ml_…" } },
    answers: { 200: { ...tokens, description: "Signed in: a new session.", example: { ...example.tokens, user: example.user } } },
    errors: ["invalid_token", "mfa_required", "mfa_enrollment_required", "forbidden"],
  },
  {
    id: "forgotPassword",
    method: "post",
    path: "/v1/{tenant}/password/forgot",
    tag: "account",
    summary: "Send a password-reset link",
    description: "202 whether or not the address is known; only a known active account gets a token. Limited per IP and per address.",
    security: { kind: "public" },
    headers: turnstile,
    body: { schema: emailBody, example: { email: "ada@example.com" } },
    answers: { 202: accepted },
    errors: ["turnstile_required", "turnstile_failed", "unavailable"],
  },
  {
    id: "resetPassword",
    method: "post",
    path: "/v1/{tenant}/password/reset",
    tag: "account",
    summary: "Set a new password with a reset token",
    description:
      "Rotates the user's secret (every session and token dies), verifies the address and lifts a lockout. Does not sign in. A token allows a few hash attempts before 429.",
    security: { kind: "public" },
    body: { schema: resetBody, example: { token: "pr_…", new_password: "a longer, newer passphrase" } },
    answers: { 204: { ...done, description: "The password is set." } },
    errors: ["invalid_token", "password_policy", "unavailable"],
  },
  {
    id: "requestEmailVerification",
    method: "post",
    path: "/v1/{tenant}/email/verify/request",
    tag: "account",
    summary: "Send a verification link to the user's address",
    description: "Already verified: 202 and nothing is sent. An account without an address is 400 `invalid_request`.",
    security: bearer,
    answers: { 202: { ...accepted, description: "Sent, or nothing to verify." } },
    errors: [...ACCOUNT, "invalid_request"],
  },
  {
    id: "verifyEmail",
    method: "post",
    path: "/v1/{tenant}/email/verify",
    tag: "account",
    summary: "Verify an address with its token",
    description:
      "Completes only with a live session of the same account (the bearer token); otherwise 401 `unauthorized` and the token stays usable. A token for the `pending_email` of a `PATCH /me` makes it the login, unless another account took it meanwhile (409 `conflict`).",
    security: bearer,
    body: { schema: oneTimeTokenBody, example: { token: "ev_…" } },
    answers: { 204: { ...done, description: "Verified." } },
    errors: ["conflict"],
  },
  // ---- events
  {
    id: "createEventTicket",
    method: "post",
    path: "/v1/{tenant}/events/ticket",
    tag: "events",
    summary: "A ticket for the events WebSocket",
    description: "Single use, 60 seconds, for this session: `GET /events?ticket=` keeps the access token out of the URL (RFC 6750 section 2.3).",
    security: bearer,
    answers: { 200: { description: "The ticket.", schema: EventTicket, headers: noStore, example: { ticket: "et_…", expires_in: 60 } } },
    errors: ACCOUNT,
  },
  {
    id: "subscribeEvents",
    method: "get",
    path: "/v1/{tenant}/events",
    tag: "events",
    summary: "Revocation events (WebSocket)",
    description: EVENTS_DESCRIPTION,
    security: { kind: "anyOf", of: [{ kind: "apiKey", scopes: ["subscribe"] }, { kind: "admin" }, { kind: "public" }] },
    query: eventsQuery,
    headers: {
      Upgrade: { description: "`websocket`.", required: true },
      Connection: { description: "`Upgrade`.", required: true },
    },
    answers: { 101: { description: "Switching Protocols: the WebSocket is open; the first message is `hello`." } },
  },
];
