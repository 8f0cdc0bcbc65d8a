/**
 * @module Answers of the passkey routes: a stored passkey as its owner sees it, the WebAuthn L3
 * options JSON (section 5.1.1 `PublicKeyCredentialCreationOptionsJSON`, section 5.1.2
 * `PublicKeyCredentialRequestOptionsJSON`) exactly as @simplewebauthn/server builds them
 * (objects/tenant/passkeys/ceremony.ts), and the related-origins document (section 5.11).
 */
import { z } from "zod";
import { isoTime } from "./common.ts";

const b64url = z.string().meta({ description: "base64url, no padding." });

/** What `toPublicPasskey` (objects/tenant/passkeys/store.ts) sends: never the public key or the counter. */
export const Passkey = z
  .object({
    id: z.string().meta({ description: "`pk_` and 16 base64url characters." }),
    name: z.string(),
    created_at: isoTime,
    last_used_at: isoTime.nullable(),
    transports: z.array(z.string()).meta({ description: "AuthenticatorTransport values the browser reported (`internal`, `hybrid`, `usb`, …)." }),
    backup_eligible: z.boolean().meta({ description: "A synced (multi-device) passkey." }),
    backed_up: z.boolean(),
    aaguid: z.string().meta({ description: "The authenticator model (all zeros when it did not say)." }),
  })
  .meta({ id: "Passkey" });

/** L3 section 5.8.3 `PublicKeyCredentialDescriptorJSON`. */
const descriptor = z.object({ id: b64url, type: z.literal("public-key"), transports: z.array(z.string()).optional() });

export const CreationOptions = z
  .object({
    challenge: b64url,
    rp: z.object({ name: z.string(), id: z.string() }),
    user: z.object({ id: b64url.meta({ description: "The user handle: 256 random bits, never the user id or the email." }), name: z.string(), displayName: z.string() }),
    pubKeyCredParams: z.array(z.object({ alg: z.number().int().meta({ description: "COSE algorithm: -8 EdDSA, -7 ES256, -257 RS256." }), type: z.literal("public-key") })),
    timeout: z.number().int().meta({ description: "Milliseconds." }),
    attestation: z.literal("none"),
    excludeCredentials: z.array(descriptor).meta({ description: "The user's passkeys already registered." }),
    authenticatorSelection: z.object({
      residentKey: z.enum(["required", "preferred", "discouraged"]),
      requireResidentKey: z.boolean(),
      userVerification: z.enum(["required", "preferred", "discouraged"]),
    }),
    extensions: z.object({ credProps: z.literal(true) }),
    hints: z.array(z.string()),
  })
  .meta({
    id: "PublicKeyCredentialCreationOptionsJSON",
    description: "WebAuthn L3 section 5.1.1: hand it to `PublicKeyCredential.parseCreationOptionsFromJSON`, then `navigator.credentials.create`; send `credential.toJSON()` back.",
  });

export const RequestOptions = z
  .object({
    rpId: z.string(),
    challenge: b64url,
    allowCredentials: z.array(descriptor).optional().meta({ description: "Absent for a usernameless (discoverable credential) sign-in." }),
    timeout: z.number().int().meta({ description: "Milliseconds." }),
    userVerification: z.enum(["required", "preferred", "discouraged"]),
  })
  .meta({
    id: "PublicKeyCredentialRequestOptionsJSON",
    description: "WebAuthn L3 section 5.1.2: hand it to `PublicKeyCredential.parseRequestOptionsFromJSON`, then `navigator.credentials.get`; send `credential.toJSON()` back.",
  });

/** L3 section 5.11.1: the origins that may use this tenant's RP ID. */
export const WebauthnDocument = z.object({ origins: z.array(z.string()) }).meta({ id: "WebAuthnRelatedOrigins" });

export const PasskeyList = z.object({ passkeys: z.array(Passkey) });
