/**
 * @module Synchronous SHA-256 and HMAC-SHA256, from the runtime's `node:crypto` (BoringSSL in
 * workerd, with the `nodejs_compat` flag). Synchronous on purpose: the tenant object computes
 * them inside `transactionSync`, where no `await` may split a read from the write that
 * depends on it (WebCrypto's `digest` and `sign` are promises). They were @noble/hashes
 * before; the native code is several times faster on the refresh path, where a rotation MACs
 * its chain token (test/bench/README.md).
 */
import { createHash, createHmac } from "node:crypto";

export const sha256Hex = (data: string | Uint8Array): string => createHash("sha256").update(data).digest("hex");

export const sha256B64 = (data: string | Uint8Array): string => createHash("sha256").update(data).digest("base64url");

/** A plain Uint8Array (not a Buffer, whose `slice` shares memory). */
export const hmacSha256 = (key: Uint8Array, data: string | Uint8Array): Uint8Array => new Uint8Array(createHmac("sha256", key).update(data).digest());

export const hmacSha256B64 = (key: Uint8Array, data: string | Uint8Array): string => createHmac("sha256", key).update(data).digest("base64url");
