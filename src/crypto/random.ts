/**
 * @module Identifiers and secrets, all from the platform CSPRNG (crypto.getRandomValues).
 * Sortable user ids are UUIDv7 (RFC 9562 section 5.7) from the `uuid` package.
 */
import { v7 } from "uuid";
import { b64url } from "./bytes.ts";

export const randomBytes = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));

/** A base64url secret of `bytes` random bytes (32 bytes = 256 bits by default). */
export const randomToken = (bytes = 32): string => b64url(randomBytes(bytes));

export const userId = (): string => v7();

/** Session ids: 128 random bits, base64url (22 characters). */
export const sessionId = (): string => randomToken(16);

export const shortId = (): string => randomToken(9);
