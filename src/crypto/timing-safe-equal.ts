/**
 * @module Constant-time equality of two byte strings, for comparing derived keys, MACs and
 * one-time codes without leaking how many leading bytes matched.
 */

/**
 * True when `a` and `b` hold the same bytes. The running time depends only on the lengths:
 * every byte is visited and folded into one accumulator, with no early exit. Lengths are
 * not secret here (a hash or MAC has a fixed, public size), so unequal lengths return at once.
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
