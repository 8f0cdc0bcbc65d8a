/**
 * @module The breached-password check (ASVS 6.2.12, NIST SP 800-63B 5.1.1.2: "passwords
 * obtained from previous breach corpuses"), for tenants that turn it on
 * (`password.breached_check: "hibp"`): Have I Been Pwned's Pwned Passwords range API, by
 * k-anonymity. Only the first 5 hex digits of the password's SHA-1 leave Warden; the API
 * answers every suffix it knows under that prefix with its count, and the match is made here.
 * `Add-Padding: true` asks for a padded answer (decoy suffixes with count 0), so the answer's
 * size does not give the prefix's bucket away either. The request goes through the outbound
 * module (no redirects, a deadline). Fails closed, like Turnstile: when the API cannot be
 * asked, the new password is refused with 503 `unavailable` rather than taken unchecked.
 *
 * Written here rather than taken from a package: the API is one GET and a line format
 * (`SUFFIX:COUNT`), and the packages for it use Node's `https` or `crypto` modules, or their
 * own fetch, which would bypass the outbound rules.
 */
import { AuthError } from "../errors.ts";
import { OutboundError, outboundFetch, type OutboundEnv } from "../http/outbound.ts";

export const PWNED_RANGE_URL = "https://api.pwnedpasswords.com/range/";
const TIMEOUT_MS = 3000;

/** SHA-1 of the password's UTF-8 bytes, upper-case hex, as the API keys it. */
export async function pwnedDigest(password: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-1", new TextEncoder().encode(password)));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
}

/** How often the API has seen the password in breaches (0: never). Throws `unavailable` when it cannot be asked. */
export async function breachCount(password: string, env: OutboundEnv): Promise<number> {
  const digest = await pwnedDigest(password);
  const prefix = digest.slice(0, 5);
  const suffix = digest.slice(5);
  let text: string;
  try {
    const res = await outboundFetch(`${PWNED_RANGE_URL}${prefix}`, { headers: { "add-padding": "true", "user-agent": "warden" } }, { timeoutMs: TIMEOUT_MS, env });
    if (!res.ok) {
      await res.body?.cancel();
      throw new OutboundError("network", `answered ${res.status}`);
    }
    text = await res.text();
  } catch (e) {
    if (e instanceof OutboundError || e instanceof TypeError || (e instanceof DOMException && e.name === "AbortError")) {
      throw new AuthError("unavailable", "The breached-password check is unreachable; try again later.");
    }
    throw e;
  }
  const key = `${suffix}:`;
  for (const line of text.split("\n")) {
    if (!line.startsWith(key)) continue;
    const count = Number.parseInt(line.slice(key.length), 10);
    return Number.isFinite(count) ? count : 0;
  }
  return 0;
}
