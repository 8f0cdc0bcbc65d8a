/** @module Operations: passkeys (WebAuthn): registration, sign-in, second factor, step-up, passkey sign-up, management. */
import {
  mfaTokenBody,
  passkeyLoginBody,
  passkeyLoginOptionsBody,
  passkeySignupBody,
  passkeySignupOptionsBody,
  registerVerifyBody,
  renamePasskeyBody,
} from "../../../schema/requests.ts";
import { TokenResponse } from "../../../schema/answers/common.ts";
import { CreationOptions, Passkey, PasskeyList, RequestOptions, WebauthnDocument } from "../../../schema/answers/passkeys.ts";
import type { Operation } from "../operation.ts";

const noStore = { "Cache-Control": "no-store" };
const creation = (description: string) => ({ description, schema: CreationOptions, headers: noStore, example: CREATION_EXAMPLE });
const request = (description: string) => ({ description, schema: RequestOptions, headers: noStore, example: REQUEST_EXAMPLE });

const CREATION_EXAMPLE = {
  challenge: "q1b2…",
  rp: { name: "Acme", id: "auth.example.com" },
  user: { id: "Zm9v…", name: "ada@example.com", displayName: "ada@example.com" },
  pubKeyCredParams: [{ alg: -8, type: "public-key" }, { alg: -7, type: "public-key" }, { alg: -257, type: "public-key" }],
  timeout: 300000,
  attestation: "none",
  excludeCredentials: [],
  authenticatorSelection: { residentKey: "preferred", requireResidentKey: false, userVerification: "preferred" },
  extensions: { credProps: true },
  hints: [],
};
const REQUEST_EXAMPLE = { rpId: "auth.example.com", challenge: "q1b2…", timeout: 300000, userVerification: "preferred" };

/** `credential.toJSON()` of a registration, shortened. */
const ATTESTATION = { id: "AbC…", rawId: "AbC…", type: "public-key", response: { clientDataJSON: "eyJ0…", attestationObject: "o2Nm…", transports: ["internal", "hybrid"] }, clientExtensionResults: {} };
const ASSERTION = { id: "AbC…", rawId: "AbC…", type: "public-key", response: { clientDataJSON: "eyJ0…", authenticatorData: "SZYN…", signature: "MEUC…", userHandle: "Zm9v…" }, clientExtensionResults: {} };
const PASSKEY = { id: "pk_3xQ9v0aLm2Ks7HcD", name: "MacBook", created_at: "2026-12-01T09:30:00.000Z", last_used_at: null, transports: ["internal", "hybrid"], backup_eligible: true, backed_up: true, aaguid: "fbfc3007-154e-4ecc-8c0b-6e020557d7bd" };

const CEREMONY = "The challenge in the options is single-use and lives five minutes; options are rate-limited per IP.";

export const passkeyOperations: Operation[] = [
  {
    id: "getWebauthnRelatedOrigins",
    method: "get",
    path: "/v1/{tenant}/.well-known/webauthn",
    tag: "passkeys",
    summary: "Origins that may use the tenant's RP ID (WebAuthn L3 section 5.11)",
    description: "Browsers fetch this from the RP ID's own host; an operator whose RP ID is another host serves it there. 404 when passkeys are off.",
    security: { kind: "public" },
    answers: { 200: { description: "The related-origins document. Cached for 300 s.", schema: WebauthnDocument, headers: { "Cache-Control": "public, max-age=300" }, example: { origins: ["https://auth.example.com"] } } },
    errors: ["not_found"],
  },
  {
    id: "passkeyRegisterOptions",
    method: "post",
    path: "/v1/{tenant}/passkeys/register/options",
    tag: "passkeys",
    summary: "Start registering a passkey",
    description: `Needs a recent authentication (\`reauth_required\` otherwise, with the methods to step up with). ${CEREMONY}`,
    security: { kind: "bearer" },
    answers: { 200: creation("Creation options for `navigator.credentials.create`.") },
    errors: ["reauth_required", "forbidden"],
  },
  {
    id: "passkeyRegisterVerify",
    method: "post",
    path: "/v1/{tenant}/passkeys/register/verify",
    tag: "passkeys",
    summary: "Finish registering a passkey",
    description: "The browser's `credential.toJSON()` of the creation ceremony, and an optional name. A credential registered to anyone already is `conflict`.",
    security: { kind: "bearer" },
    body: { schema: registerVerifyBody, example: { response: ATTESTATION, name: "MacBook" } },
    answers: { 201: { description: "The new passkey.", schema: Passkey, headers: noStore, example: PASSKEY } },
    errors: ["reauth_required", "invalid_credentials", "conflict", "forbidden"],
  },
  {
    id: "listPasskeys",
    method: "get",
    path: "/v1/{tenant}/passkeys",
    tag: "passkeys",
    summary: "The signed-in user's passkeys",
    security: { kind: "bearer" },
    answers: { 200: { description: "Every passkey of the user, oldest first.", schema: PasskeyList, headers: noStore, example: { passkeys: [PASSKEY] } } },
  },
  {
    id: "renamePasskey",
    method: "patch",
    path: "/v1/{tenant}/passkeys/{id}",
    tag: "passkeys",
    summary: "Rename a passkey",
    description: "A label only, so no step-up.",
    security: { kind: "bearer" },
    body: { schema: renamePasskeyBody, example: { name: "Work laptop" } },
    answers: { 200: { description: "The passkey, renamed.", schema: Passkey, headers: noStore, example: { ...PASSKEY, name: "Work laptop" } } },
    errors: ["not_found"],
  },
  {
    id: "deletePasskey",
    method: "delete",
    path: "/v1/{tenant}/passkeys/{id}",
    tag: "passkeys",
    summary: "Remove a passkey",
    description: "Needs a recent authentication. Ends the sessions the passkey signed in (`session.revoked`, reason `credential_removed`) and no others. The account's last way to sign in cannot be removed (`conflict`).",
    security: { kind: "bearer" },
    answers: { 204: { description: "Removed." } },
    errors: ["reauth_required", "not_found", "conflict"],
  },
  {
    id: "passkeyLoginOptions",
    method: "post",
    path: "/v1/{tenant}/login/passkey/options",
    tag: "passkeys",
    summary: "Start signing in with a passkey",
    description: `No body, \`{}\`, or \`{login}\`. Without a login the ceremony is usernameless (discoverable credentials, no \`allowCredentials\`); with one, the answer looks the same whether or not the account exists. ${CEREMONY}`,
    security: { kind: "public" },
    body: { schema: passkeyLoginOptionsBody, optional: true, example: { login: "ada@example.com" } },
    answers: { 200: request("Request options for `navigator.credentials.get`.") },
    errors: ["forbidden"],
  },
  {
    id: "passkeyLogin",
    method: "post",
    path: "/v1/{tenant}/login/passkey",
    tag: "passkeys",
    summary: "Sign in with a passkey",
    description:
      "The browser's `credential.toJSON()` of the request ceremony. A user-verified passkey is two factors (`amr` `[\"pop\", \"mfa\"]`); without user verification on an account with TOTP the answer is 401 `mfa_required`. Failed attempts are rate-limited per IP.",
    security: { kind: "public" },
    body: { schema: passkeyLoginBody, example: { response: ASSERTION } },
    answers: { 200: { description: "Signed in: a new session.", schema: TokenResponse, headers: noStore } },
    errors: ["invalid_credentials", "mfa_required", "mfa_enrollment_required", "forbidden"],
  },
  {
    id: "passkeyMfaOptions",
    method: "post",
    path: "/v1/{tenant}/login/mfa/webauthn/options",
    tag: "passkeys",
    summary: "A passkey challenge for the second factor",
    description: "For the `mfa_token` of a 401 `mfa_required`; answer with `POST /login/mfa {mfa_token, webauthn}`. `invalid_request` when the account has no passkey.",
    security: { kind: "public" },
    body: { schema: mfaTokenBody, example: { mfa_token: "mfa_…" } },
    answers: { 200: request("Request options bound to this MFA token.") },
    errors: ["invalid_token", "forbidden"],
  },
  {
    id: "passkeyReauthOptions",
    method: "post",
    path: "/v1/{tenant}/reauth/webauthn/options",
    tag: "passkeys",
    summary: "A passkey challenge for step-up",
    description: "For this session; answer with `POST /reauth {webauthn}`. `invalid_request` when the account has no passkey.",
    security: { kind: "bearer" },
    answers: { 200: request("Request options bound to this session.") },
    errors: ["invalid_request", "forbidden"],
  },
  {
    id: "passkeySignupOptions",
    method: "post",
    path: "/v1/{tenant}/signup/passkey/options",
    tag: "passkeys",
    summary: "Start a passkey-only sign-up",
    description: `An email or a username (or both), as the tenant signs users up, and optional metadata. The passkey must be discoverable (\`residentKey: required\`). ${CEREMONY}`,
    security: { kind: "public" },
    body: { schema: passkeySignupOptionsBody, example: { email: "ada@example.com" } },
    answers: { 200: creation("Creation options for the new account.") },
    errors: ["forbidden", "conflict"],
  },
  {
    id: "passkeySignup",
    method: "post",
    path: "/v1/{tenant}/signup/passkey",
    tag: "passkeys",
    summary: "Finish a passkey-only sign-up",
    description: "The browser's `credential.toJSON()` of the creation ceremony. The account's only credential is the passkey.",
    security: { kind: "public" },
    headers: { "cf-turnstile-response": { description: "A Turnstile token, when the tenant requires one for sign-up." } },
    body: { schema: passkeySignupBody, example: { response: ATTESTATION, name: "iPhone" } },
    answers: { 201: { description: "The account and its first session.", schema: TokenResponse, headers: noStore } },
    errors: ["invalid_credentials", "conflict", "forbidden", "turnstile_required", "turnstile_failed", "unavailable"],
  },
];
