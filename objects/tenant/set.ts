/**
 * @module Security Event Tokens (RFC 8417) for `?format=set` subscribers, with the OpenID
 * CAEP event types: `session-revoked` for session events and `credential-change` for events
 * that rotate the user secret. Subjects use RFC 9493 complex identifiers (user + session; the
 * tenant alone for `tenant.revoked`, every session of the tenant).
 * Signed with the tenant's SET key (EdDSA, `warden_use: "set"` in the JWKS), never with an
 * access-token key, so a SET cannot pass as an access token nor the reverse.
 */
import { signJwt } from "../../src/crypto/jwt.ts";
import { randomToken } from "../../src/crypto/random.ts";
import type { EventRecord } from "./context.ts";
import type { KeyRing } from "./keys.ts";

const CAEP = "https://schemas.openid.net/secevent/caep/event-type/";

export function setPayload(e: EventRecord, issuer: string, audience: string): Record<string, unknown> {
  const ts = Math.floor(Date.parse(e.ts) / 1000);
  const user = { format: "opaque", id: e.sub };
  let events: Record<string, unknown>;
  let sub_id: Record<string, unknown> = { format: "complex", user };
  switch (e.type) {
    case "session.revoked":
    case "session.expired":
      sub_id = { format: "complex", user, session: { format: "opaque", id: e.sid } };
      events = { [`${CAEP}session-revoked`]: { event_timestamp: ts, initiating_entity: e.type === "session.expired" ? "system" : "user", reason_admin: { en: e.reason } } };
      break;
    case "user.revoked":
    case "user.disabled":
    case "user.deleted":
      events = { [`${CAEP}credential-change`]: { event_timestamp: ts, credential_type: "password", change_type: e.type === "user.deleted" ? "delete" : "revoke", reason_admin: { en: e.reason } } };
      break;
    case "tenant.revoked":
      // Every session of the tenant: an RFC 9493 complex subject naming the tenant alone.
      sub_id = { format: "complex", tenant: { format: "opaque", id: e.sub } };
      events = { [`${CAEP}session-revoked`]: { event_timestamp: ts, initiating_entity: "admin", reason_admin: { en: e.reason } } };
      break;
    case "key.rotated":
      sub_id = { format: "opaque", id: e.sub };
      events = { "urn:warden:event-type:key-rotated": { event_timestamp: ts } };
      break;
  }
  return { iss: issuer, aud: audience, iat: ts, jti: randomToken(16), txn: String(e.seq), sub_id, events, warden: { seq: e.seq, type: e.type, sid: e.sid, ver: e.ver } };
}

export async function signSet(ring: KeyRing, e: EventRecord, issuer: string, audience: string): Promise<string> {
  const key = ring.current("set", "EdDSA");
  if (!key) throw new Error("no key for Security Event Tokens");
  return signJwt(setPayload(e, issuer, audience), { alg: "EdDSA", kid: key.kid, typ: "secevent+jwt" }, key.sign);
}
