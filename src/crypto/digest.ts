/**
 * @module Synchronous SHA-256 and HMAC-SHA256 (@noble/hashes). Synchronous on purpose: the
 * tenant object computes them inside `transactionSync`, where no `await` may split a read
 * from the write that depends on it.
 */
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { b64url, hex, utf8 } from "./bytes.ts";

export const sha256Hex = (data: string | Uint8Array): string =>
  hex(sha256(typeof data === "string" ? utf8(data) : data));

export const sha256B64 = (data: string | Uint8Array): string =>
  b64url(sha256(typeof data === "string" ? utf8(data) : data));

export const hmacSha256 = (key: Uint8Array, data: string | Uint8Array): Uint8Array =>
  hmac(sha256, key, typeof data === "string" ? utf8(data) : data);

export const hmacSha256B64 = (key: Uint8Array, data: string | Uint8Array): string => b64url(hmacSha256(key, data));
