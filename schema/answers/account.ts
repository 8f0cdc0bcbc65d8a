/**
 * @module Answers of the signed-in user's routes: their sessions with the OAuth grants each
 * holds, linked upstream identities, TOTP enrollment and recovery codes, the events ticket.
 * Each mirrors what the tenant object builds (`toPublicSession` and `grantsBySession`,
 * `toPublicIdentity`, objects/tenant/flows/mfa.ts, flows/subscriber-credentials.ts).
 */
import { z } from "zod";
import { isoTime, Session, TokenResponse } from "./common.ts";

/** An OAuth client signed in under a session (objects/tenant/oauth/grants.ts `PublicGrant`). */
export const Grant = z
  .object({
    id: z.string(),
    client_id: z.string(),
    client_name: z.string().nullable().meta({ description: "The client's registered `client_name`, if any." }),
    scope: z.string().meta({ description: "Space-separated scopes granted." }),
    resource: z.string().nullable().meta({ description: "The RFC 8707 resource the grant's tokens are for; null for Warden itself." }),
    created_at: isoTime,
    last_refreshed_at: isoTime.nullable(),
  })
  .meta({ id: "Grant" });

export const SessionList = z
  .object({ sessions: z.array(Session.extend({ grants: z.array(Grant).meta({ description: "The OAuth clients signed in under this session." }) })) })
  .meta({ description: "Every live session of the user, newest first." });

/** A linked upstream account (objects/tenant/idp/identities.ts `PublicIdentity`). */
export const Identity = z
  .object({
    id: z.string(),
    provider: z.string().meta({ description: "The identity provider's id in this tenant." }),
    issuer: z.string(),
    subject: z.string().meta({ description: "The user's id at the provider (`sub`)." }),
    email: z.string().nullable(),
    email_verified: z.boolean(),
    created_at: isoTime,
    last_used_at: isoTime,
  })
  .meta({ id: "Identity" });

export const IdentityList = z.object({ identities: z.array(Identity) });

export const TotpEnrollment = z.object({
  secret: z.string().meta({ description: "The shared secret in base32 (RFC 4648), for manual entry." }),
  otpauth_uri: z.string().meta({ description: "An `otpauth://totp/…` URI for a QR code." }),
});

const recoveryCodes = z.array(z.string()).meta({ description: "Ten single-use codes, shown once; each stands in for a TOTP code." });

export const TotpConfirmed = z.object({ enabled: z.literal(true), recovery_codes: recoveryCodes });

export const RecoveryCodes = z.object({ codes: recoveryCodes });

export const EventTicket = z.object({
  ticket: z.string().meta({ description: "Single use; for `GET /events?ticket=`." }),
  expires_in: z.number().int().meta({ description: "Seconds the ticket lives (60)." }),
});

/** `POST /login/mfa`: the token response, and after an enrollment the new factor's recovery codes. */
export const MfaTokenResponse = TokenResponse.extend({
  recovery_codes: z.array(z.string()).optional().meta({ description: "Only when the sign-in added a TOTP (after `mfa_enrollment_required`): its first ten recovery codes, shown once." }),
}).meta({ id: "MfaTokenResponse" });
