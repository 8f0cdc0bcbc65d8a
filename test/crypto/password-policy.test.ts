/**
 * @module The password policy: NFKC, lengths in code points, limits, the
 * common-password list, context-specific words and malformed input.
 */
import { describe, expect, it } from "vitest";
import {
  checkPasswordPolicy,
  commonPasswordCount,
  contextWordsLeave,
  identifierWords,
  isCommonPassword,
  normalizePassword,
  wordsOf,
} from "../../src/crypto/password-policy.ts";

const GOOD = "violet-ferry-umbrella";

describe("checkPasswordPolicy", () => {
  it("accepts a good password and returns it normalized", () => {
    expect(checkPasswordPolicy(GOOD, 12)).toEqual({ ok: true, normalized: GOOD });
  });

  // ASVS 6.2.1
  it("refuses min-1 code points and accepts exactly min, counting code points not UTF-16 units", () => {
    expect(checkPasswordPolicy("qzvbnmtkpwr", 12)).toEqual({ ok: false, reason: "too_short" });
    expect(checkPasswordPolicy("qzvbnmtkpwrx", 12)).toEqual({ ok: true, normalized: "qzvbnmtkpwrx" });
    // 11 emoji are 22 UTF-16 units but 11 code points.
    expect(checkPasswordPolicy("🦊".repeat(11), 12)).toEqual({ ok: false, reason: "too_short" });
    expect(checkPasswordPolicy("🦊".repeat(12), 12).ok).toBe(true);
  });

  it("counts length after NFKC: a decomposed accent counts once", () => {
    // "e" + U+0301 composes to "é": 12 code points in, 11 out.
    const pw = "cafe\u0301-ferrys";
    expect([...pw].length).toBe(12);
    expect(checkPasswordPolicy(pw, 12)).toEqual({ ok: false, reason: "too_short" });
  });

  it("normalizes full-width forms with NFKC", () => {
    expect(normalizePassword("ｖｉｏｌｅｔ－ｆｅｒｒｙ")).toBe("violet-ferry");
    expect(checkPasswordPolicy("ｖｉｏｌｅｔ－ｆｅｒｒｙ", 12)).toEqual({ ok: true, normalized: "violet-ferry" });
  });

  // ASVS 6.2.9
  it("accepts 256 code points and refuses 257", () => {
    expect(checkPasswordPolicy("a".repeat(255) + "z", 12).ok).toBe(true);
    expect(checkPasswordPolicy("a".repeat(256) + "z", 12)).toEqual({ ok: false, reason: "too_long" });
  });

  it("accepts 256 four-byte code points (exactly 1,024 UTF-8 bytes) and refuses 257 (1,028 bytes)", () => {
    // UTF-8 needs at most 4 bytes per code point, so the 1,024-byte limit coincides with
    // the 256-code-point one and cannot be exceeded alone.
    const max = "🦊".repeat(256);
    expect(new TextEncoder().encode(max).length).toBe(1024);
    expect(checkPasswordPolicy(max, 12).ok).toBe(true);
    expect(checkPasswordPolicy(max + "🦊", 12)).toEqual({ ok: false, reason: "too_long" });
  });

  it("refuses a huge input before normalizing it", () => {
    expect(checkPasswordPolicy("x".repeat(1_000_000), 12)).toEqual({ ok: false, reason: "too_long" });
  });

  // ASVS 6.2.8
  it("does not truncate: a long password is returned whole", () => {
    const pw = "correct horse battery staple ".repeat(8).trim();
    expect(checkPasswordPolicy(pw, 12)).toEqual({ ok: true, normalized: pw });
  });

  // ASVS 6.2.5
  it("imposes no composition rules: all lower-case letters and spaces are fine", () => {
    expect(checkPasswordPolicy("purple monkey dishwasher", 12).ok).toBe(true);
  });

  // ASVS 6.2.4, 6.2.12
  it("refuses passwords on the common list, ignoring case and after NFKC", () => {
    for (const pw of ["password1234", "123456789012", "qwertyuiop123", "1q2w3e4r5t6y", "passwordpassword"]) {
      expect(checkPasswordPolicy(pw, 12)).toEqual({ ok: false, reason: "too_common" });
    }
    expect(checkPasswordPolicy("PassWord1234", 12)).toEqual({ ok: false, reason: "too_common" });
    // Full-width "password1234" normalizes onto the list.
    expect(checkPasswordPolicy("ｐａｓｓｗｏｒｄ１２３４", 12)).toEqual({ ok: false, reason: "too_common" });
  });

  it("refuses lone surrogates as invalid Unicode", () => {
    expect(checkPasswordPolicy("violet-ferry-\uD83E", 12)).toEqual({ ok: false, reason: "invalid" });
    expect(checkPasswordPolicy("\uDD8Aviolet-ferry", 12)).toEqual({ ok: false, reason: "invalid" });
  });

  it("refuses control characters (NUL, tab, newline, DEL, C1) but allows spaces", () => {
    for (const c of ["\u0000", "\t", "\n", "\u001b", "\u007f", "\u0085"]) {
      expect(checkPasswordPolicy(`violet${c}ferry-umbrella`, 12)).toEqual({ ok: false, reason: "invalid" });
    }
    expect(checkPasswordPolicy("violet ferry\u00a0umbrella", 12).ok).toBe(true);
  });

  it("refuses a non-string as invalid", () => {
    expect(checkPasswordPolicy(12345678901234 as unknown as string, 12)).toEqual({ ok: false, reason: "invalid" });
  });

  it("throws on a min length that settings validation should have refused", () => {
    expect(() => checkPasswordPolicy(GOOD, 0)).toThrow(RangeError);
    expect(() => checkPasswordPolicy(GOOD, 8.5)).toThrow(RangeError);
  });
});

describe("common password list", () => {
  // ASVS 6.2.4
  it("ships at least 10,000 entries", () => {
    expect(commonPasswordCount()).toBeGreaterThanOrEqual(10_000);
  });

  it("holds the classics and not a random passphrase", () => {
    expect(isCommonPassword("123456")).toBe(true);
    expect(isCommonPassword("password")).toBe(true);
    expect(isCommonPassword(GOOD)).toBe(false);
  });
});

// ASVS 6.1.2, 6.2.11
describe("context-specific words", () => {
  it("6.1.2 a name yields itself and each run of letters and digits of 4 or more, NFKC and lower case", () => {
    expect(wordsOf("Acme Corp")).toEqual(["acme corp", "acme", "corp"]);
    expect(wordsOf("ＡＣＭＥ")).toEqual(["acme"]);
    expect(wordsOf("bob", null, undefined, "")).toEqual([]);
    expect(wordsOf("acme", "ACME")).toEqual(["acme"]);
  });

  it("6.1.2 an account's identifiers: username, the email's local part and its domain's labels but the last", () => {
    expect(identifierWords("Jane.Doe@mail.example.com", "jdoe42")).toEqual(["jdoe42", "jane.doe", "jane", "mail", "example"]);
    expect(identifierWords(null, null)).toEqual([]);
  });

  it("6.2.11 the words do not count toward the length: a derivative is refused, a long passphrase holding one is not", () => {
    const words = wordsOf("acme", "Zebracorn");
    expect(contextWordsLeave("acme2024!", words, 8)).toBe(false);
    expect(contextWordsLeave("ACMEacmeAcme12", words, 8)).toBe(false);
    expect(contextWordsLeave("zebracorn-acme-2025", words, 12)).toBe(false);
    expect(contextWordsLeave("violet ferry acme umbrella", words, 12)).toBe(true);
    // Exactly the minimum left over is enough.
    expect(contextWordsLeave("acme" + "qzvbnmtk", words, 8)).toBe(true);
    expect(contextWordsLeave("acme" + "qzvbnmt", words, 8)).toBe(false);
    // No words: only the length counts.
    expect(contextWordsLeave("acme2024!", [], 8)).toBe(true);
  });

  it("takes the longest word out first", () => {
    // Taking "acme" out first would leave "corporation" and hide the longer word.
    expect(contextWordsLeave("acmecorporation", wordsOf("acme", "acmecorporation"), 1)).toBe(false);
  });
});
