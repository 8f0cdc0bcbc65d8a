/**
 * @module The two WebAuthn ceremonies as SimpleWebAuthn shapes them: for each, one function
 * that makes the options and one that verifies the response (registration: L3 section 7.1,
 * authentication: section 7.2). Pure and async; the flows run them before their transaction
 * and keep the challenge and the counter in the tenant object. A refusal is a tagged
 * `Verdict` (`reason`), turned into the wire error by `ceremonyError`, the one switch.
 *
 * The challenge is a one-time token (one-time.ts: 256 bits, stored hashed, single use, five
 * minutes, one purpose per ceremony). Its bytes go into the options, so the browser's
 * clientDataJSON carries it back as base64url: exactly the token.
 */
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { b64url, fromB64url, fromUtf8 } from "../../../src/crypto/bytes.ts";
import { fail, type Failure } from "../../../src/errors.ts";
import type { Rp } from "./rp.ts";
import type { NewPasskey, PasskeyRow } from "./store.ts";

/** COSE algorithms offered, most preferred first (L3 section 5.8.3): EdDSA, ES256, RS256. */
export const ALGORITHMS = [-8, -7, -257];

/** How long the browser may take (ms); the challenge itself lives five minutes (one-time.ts). */
const TIMEOUT_MS = 5 * 60_000;

export type Reason =
  | "malformed"
  | "type"
  | "challenge"
  | "origin"
  | "rp_id"
  | "user_presence"
  | "user_verification"
  | "unknown_credential"
  | "signature"
  | "counter"
  | "duplicate";

export type Verdict<T> = { ok: true; value: T } | { ok: false; reason: Reason; detail?: string };

/** The library wants plain `ArrayBuffer`-backed bytes. */
const bytes = (s: string): Uint8Array<ArrayBuffer> => new Uint8Array(fromB64url(s));

const no = (reason: Reason, detail?: string): { ok: false; reason: Reason; detail?: string } => ({ ok: false, reason, detail });

/** The one mapping from a refusal to the wire. Credential failures share one message, so none tells whose passkey it was. */
export function ceremonyError(reason: Reason, detail?: string): { ok: false; error: Failure } {
  switch (reason) {
    case "malformed":
      return fail("invalid_request", `The credential is not a valid WebAuthn response${detail ? `: ${detail}` : ""}.`, { details: [{ path: "response", code: "invalid_credential", message: detail ?? "malformed" }] });
    case "type":
      return fail("invalid_request", `The response is of the wrong ceremony${detail ? ` (${detail})` : ""}.`, { details: [{ path: "response.clientDataJSON.type", code: "invalid_type", message: detail ?? "wrong type" }] });
    case "challenge":
      return fail("invalid_credentials", "The challenge is unknown, expired, already used, or for another ceremony; ask for new options.");
    case "origin":
      return fail("invalid_credentials", "The response was made on an origin this tenant does not accept.");
    case "rp_id":
      return fail("invalid_credentials", "The response was made for another relying party.");
    case "user_presence":
      return fail("invalid_credentials", "The authenticator did not report user presence.");
    case "user_verification":
      return fail("invalid_credentials", "This tenant requires user verification (PIN or biometrics) on the authenticator.");
    case "duplicate":
      return fail("conflict", "This passkey is already registered.");
    case "unknown_credential":
    case "signature":
    case "counter":
      return fail("invalid_credentials", "The passkey was not accepted.");
  }
}

export interface ClientData {
  type: string;
  challenge: string;
  origin: string;
  crossOrigin?: boolean;
}

/** Reads clientDataJSON (L3 section 5.8.1) far enough to find the challenge and judge type and origin. */
export function readClientData(encoded: string, expectedType: "webauthn.create" | "webauthn.get", rp: Rp): Verdict<ClientData> {
  let c: ClientData;
  try {
    c = JSON.parse(fromUtf8(fromB64url(encoded)));
  } catch {
    return no("malformed", "clientDataJSON is not base64url JSON");
  }
  if (!c || typeof c !== "object" || typeof c.type !== "string" || typeof c.challenge !== "string" || typeof c.origin !== "string") return no("malformed", "clientDataJSON lacks type, challenge or origin");
  if (c.type !== expectedType) return no("type", `expected ${expectedType}, got ${c.type}`);
  // Warden's pages are not framed: a cross-origin (iframe) ceremony is refused outright.
  if (c.crossOrigin === true || !rp.origins.includes(c.origin)) return no("origin");
  return { ok: true, value: c };
}

/** What the library's throws mean; anything it says that is not one of these is a malformed response. */
function classify(e: unknown): { ok: false; reason: Reason; detail?: string } {
  const m = e instanceof Error ? e.message : String(e);
  if (/RP ID/i.test(m)) return no("rp_id");
  if (/user verification/i.test(m)) return no("user_verification");
  if (/not present|presence/i.test(m)) return no("user_presence");
  return no("malformed", m.replace(/"[^"]{40,}"/g, '"…"').slice(0, 200));
}

// ---------------------------------------------------------------- registration (L3 section 7.1)

export interface RegistrationUser {
  /** base64url of the user handle. */
  handle: string;
  name: string;
  displayName: string;
}

export function registrationOptions(rp: Rp, user: RegistrationUser, challenge: string, exclude: PasskeyRow[], residentKey: "required" | "preferred"): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: user.name,
    userDisplayName: user.displayName,
    userID: bytes(user.handle),
    challenge: bytes(challenge),
    timeout: TIMEOUT_MS,
    attestationType: "none",
    excludeCredentials: exclude.map((p) => ({ id: p.credential_id, transports: JSON.parse(p.transports) })),
    authenticatorSelection: { residentKey, requireResidentKey: residentKey === "required", userVerification: rp.userVerification },
    supportedAlgorithmIDs: ALGORITHMS,
  });
}

/** Verifies the attestation (`none`, or a self or packed statement the library can check) for this challenge. */
export async function verifyRegistration(rp: Rp, response: RegistrationResponseJSON, challenge: string): Promise<Verdict<NewPasskey & { userVerified: boolean }>> {
  try {
    const v = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origins,
      expectedRPID: rp.id,
      requireUserPresence: true,
      requireUserVerification: rp.userVerification === "required",
      supportedAlgorithmIDs: ALGORITHMS,
    });
    if (!v.verified) return no("signature");
    const i = v.registrationInfo;
    return {
      ok: true,
      value: {
        credentialId: i.credential.id,
        publicKey: b64url(i.credential.publicKey),
        counter: i.credential.counter,
        transports: (response.response.transports ?? []).filter((t) => typeof t === "string").slice(0, 8),
        backupEligible: i.credentialDeviceType === "multiDevice",
        backedUp: i.credentialBackedUp,
        aaguid: i.aaguid,
        userVerified: i.userVerified,
      },
    };
  } catch (e) {
    return classify(e);
  }
}

// ---------------------------------------------------------------- authentication (L3 section 7.2)

export function assertionOptions(rp: Rp, challenge: string, allow: { id: string; transports: string[] }[] | null, userVerification: "required" | "preferred" | "discouraged" = rp.userVerification): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({
    rpID: rp.id,
    challenge: bytes(challenge),
    timeout: TIMEOUT_MS,
    userVerification,
    ...(allow ? { allowCredentials: allow } : {}),
  });
}

export interface Assertion {
  counter: number;
  userVerified: boolean;
  backedUp: boolean;
}

/**
 * Verifies the signature over authenticatorData and the clientDataJSON hash with the stored
 * key, the RP ID hash, and the UP/UV flags. The counter is not judged here (the library is
 * handed 0): the flow compares it with the stored one inside its transaction, where a
 * parallel assertion cannot have moved it in between.
 */
export async function verifyAssertion(rp: Rp, response: AuthenticationResponseJSON, challenge: string, passkey: PasskeyRow): Promise<Verdict<Assertion>> {
  try {
    const v = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origins,
      expectedRPID: rp.id,
      credential: { id: passkey.credential_id, publicKey: bytes(passkey.public_key), counter: 0, transports: JSON.parse(passkey.transports) },
      requireUserVerification: rp.userVerification === "required",
    });
    if (!v.verified) return no("signature");
    const a = v.authenticationInfo;
    return { ok: true, value: { counter: a.newCounter, userVerified: a.userVerified, backedUp: a.credentialBackedUp } };
  } catch (e) {
    return classify(e);
  }
}

/** L3 section 7.2 step 22: a counter that does not increase, where either side is non-zero, may be a cloned authenticator. */
export const counterRegressed = (stored: number, received: number): boolean => (stored > 0 || received > 0) && received <= stored;
