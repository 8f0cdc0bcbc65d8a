/**
 * @module MFA recovery codes ("lookup secrets", NIST SP 800-63B section 5.1.2): 120 random
 * bits from the CSPRNG, written as six groups of four lower-case base32 characters. At 112
 * bits or more a plain SHA-256 is an acceptable way to store them (OWASP ASVS 5.0 6.5.2);
 * below that they would need a salted password hash.
 */
import { base32Encode } from "./base32.ts";
import { randomBytes } from "./random.ts";

export const RECOVERY_CODE_BYTES = 15;
export const RECOVERY_CODE_COUNT = 10;

/** e.g. `k3vq-7mzd-2wpa-hx4n-c6tj-ubre` */
export function generateRecoveryCode(): string {
  return base32Encode(randomBytes(RECOVERY_CODE_BYTES)).toLowerCase().match(/.{4}/g)!.join("-");
}

/** What people type back: case, spaces and hyphens do not matter. Null when it cannot be a code. */
export function normalizeRecoveryCode(input: string): string | null {
  const s = input.replace(/[\s-]/g, "").toLowerCase();
  return /^[a-z2-7]{24}$/.test(s) ? s : null;
}
