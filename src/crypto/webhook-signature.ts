/**
 * @module Webhook signatures: `Warden-Signature: v1={hex HMAC-SHA256(secret,
 * "{timestamp}.{body}")}` with `Warden-Timestamp: {unix seconds}`. Receivers recompute the
 * HMAC over the raw body and refuse timestamps older than a few minutes.
 */
import { hex, utf8 } from "./bytes.ts";
import { hmacSha256 } from "./digest.ts";

export function webhookSignature(secret: string, body: string, timestamp: number): string {
  return `v1=${hex(hmacSha256(utf8(secret), `${timestamp}.${body}`))}`;
}

export function webhookHeaders(secret: string, body: string, timestamp: number): Record<string, string> {
  return { "Warden-Timestamp": String(timestamp), "Warden-Signature": webhookSignature(secret, body, timestamp) };
}
