/**
 * @module Verification of imported bcrypt hashes (`$2a$`, `$2b$`, `$2y$`) with bcryptjs.
 * Warden never writes bcrypt; a successful login rehashes to the tenant's algorithm.
 */
import bcrypt from "bcryptjs";
import { timingSafeEqual } from "./timing-safe-equal.ts";

const utf8 = new TextEncoder();

/**
 * Recomputes the hash with the stored salt and cost and compares the whole strings in
 * constant time. The sync API is used on purpose: the async one only slices the same work
 * into timer callbacks, which adds latency in a Worker without freeing any CPU.
 * bcrypt reads at most 72 bytes of the password; longer ones are compared on that prefix,
 * as every bcrypt implementation does, so imported hashes keep working.
 */
export function verifyBcrypt(password: string, stored: string): boolean {
  // The first 29 characters are `$2x$NN$` and the 22-character salt.
  const recomputed = bcrypt.hashSync(password, stored.slice(0, 29));
  return timingSafeEqual(utf8.encode(recomputed), utf8.encode(stored));
}
