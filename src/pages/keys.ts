/**
 * @module The router's MAC keys for the hosted pages (CSRF tokens, the carried authorization
 * request), derived from MASTER_KEY with HMAC-SHA256 under a label per use and tenant, so a
 * token made for one tenant or one purpose means nothing for another.
 */
import { hmacSha256, hmacSha256B64 } from "../crypto/digest.ts";
import { utf8 } from "../crypto/bytes.ts";
import { timingSafeEqual } from "../crypto/timing-safe-equal.ts";

type Purpose = "csrf" | "flow" | "console-csrf";

const cache = new Map<string, Uint8Array>();

function key(masterKey: string, purpose: Purpose, slug: string): Uint8Array {
  const id = `${purpose}\u0000${slug}`;
  let k = cache.get(id);
  if (!k) {
    if (cache.size > 10_000) cache.clear();
    k = hmacSha256(utf8(masterKey), `warden hosted pages ${id}`);
    cache.set(id, k);
  }
  return k;
}

export const mac = (masterKey: string, purpose: Purpose, slug: string, data: string): string => hmacSha256B64(key(masterKey, purpose, slug), data);

/** Constant-time check of a presented MAC against the one `data` should have. */
export function macMatches(masterKey: string, purpose: Purpose, slug: string, data: string, presented: string | null | undefined): boolean {
  if (!presented) return false;
  return timingSafeEqual(utf8(mac(masterKey, purpose, slug, data)), utf8(presented));
}
