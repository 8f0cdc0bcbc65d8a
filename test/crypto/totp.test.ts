/**
 * @module HOTP and TOTP against the RFC 4226 and RFC 6238 vectors, the drift window, replay,
 * malformed codes and the otpauth URI.
 */
import { describe, expect, it } from "vitest";
import { generateTotpSecret, hotp, otpauthUri, totpStep, verifyTotp } from "../../src/crypto/totp.ts";

// The 20-byte ASCII secret of RFC 4226 Appendix D and RFC 6238 Appendix B (SHA-1 rows).
const SECRET = new TextEncoder().encode("12345678901234567890");

describe("HOTP, RFC 4226 Appendix D", () => {
  const expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
  expected.forEach((code, counter) => {
    it(`counter ${counter} → ${code}`, () => {
      expect(hotp(SECRET, counter)).toBe(code);
    });
  });

  it("refuses a negative or fractional counter and digits outside 6–8", () => {
    expect(() => hotp(SECRET, -1)).toThrow(RangeError);
    expect(() => hotp(SECRET, 1.5)).toThrow(RangeError);
    expect(() => hotp(SECRET, 1, 5)).toThrow(RangeError);
    expect(() => hotp(SECRET, 1, 9)).toThrow(RangeError);
  });
});

describe("TOTP, RFC 6238 Appendix B (SHA-1, 8 digits, X = 30 s)", () => {
  const rows = [
    [59, 0x1, "94287082"],
    [1111111109, 0x23523ec, "07081804"],
    [1111111111, 0x23523ed, "14050471"],
    [1234567890, 0x273ef07, "89005924"],
    [2000000000, 0x3f940aa, "69279037"],
    [20000000000, 0x27bc86aa, "65353130"],
  ] as const;
  for (const [seconds, step, code] of rows) {
    it(`T = ${seconds} s → step ${step.toString(16)} → ${code}`, () => {
      expect(totpStep(seconds * 1000)).toBe(step);
      expect(hotp(SECRET, totpStep(seconds * 1000), 8)).toBe(code);
    });
  }
});

describe("verifyTotp", () => {
  const now = 1_234_567_890_000;
  const step = totpStep(now);
  const codeAt = (s: number) => hotp(SECRET, s);

  it("accepts the current code and returns its step", () => {
    expect(verifyTotp(SECRET, codeAt(step), now, 1, null)).toEqual({ ok: true, step });
  });

  it("accepts exactly ±drift steps and refuses ±(drift + 1)", () => {
    for (const drift of [0, 1, 2]) {
      expect(verifyTotp(SECRET, codeAt(step - drift), now, drift, null)).toEqual({ ok: true, step: step - drift });
      expect(verifyTotp(SECRET, codeAt(step + drift), now, drift, null)).toEqual({ ok: true, step: step + drift });
      expect(verifyTotp(SECRET, codeAt(step - drift - 1), now, drift, null)).toEqual({ ok: false });
      expect(verifyTotp(SECRET, codeAt(step + drift + 1), now, drift, null)).toEqual({ ok: false });
    }
  });

  it("uses the step boundaries of RFC 6238: the first and last millisecond of a step", () => {
    const start = step * 30_000;
    expect(verifyTotp(SECRET, codeAt(step), start, 0, null)).toEqual({ ok: true, step });
    expect(verifyTotp(SECRET, codeAt(step), start + 29_999, 0, null)).toEqual({ ok: true, step });
    expect(verifyTotp(SECRET, codeAt(step), start + 30_000, 0, null)).toEqual({ ok: false });
  });

  it("refuses a replay of the step that was last used", () => {
    const first = verifyTotp(SECRET, codeAt(step), now, 1, null);
    expect(first).toEqual({ ok: true, step });
    expect(verifyTotp(SECRET, codeAt(step), now, 1, step)).toEqual({ ok: false });
  });

  it("refuses an older code in the window once a later step was used, but accepts a newer one", () => {
    expect(verifyTotp(SECRET, codeAt(step - 1), now, 1, step)).toEqual({ ok: false });
    expect(verifyTotp(SECRET, codeAt(step + 1), now, 1, step)).toEqual({ ok: true, step: step + 1 });
  });

  it("refuses a wrong code", () => {
    const wrong = String((Number(codeAt(step)) + 1) % 1_000_000).padStart(6, "0");
    expect(verifyTotp(SECRET, wrong, now, 1, null)).toEqual({ ok: false });
  });

  it("refuses anything but exactly six ASCII digits", () => {
    const code = codeAt(step);
    for (const bad of [code.slice(1), code + "0", ` ${code}`, `${code}\n`, code.slice(0, 5) + "a", "１２３４５６", ""]) {
      expect(verifyTotp(SECRET, bad, now, 1, null)).toEqual({ ok: false });
    }
    expect(verifyTotp(SECRET, Number(code) as unknown as string, now, 1, null)).toEqual({ ok: false });
  });

  it("throws on a drift setting outside 0–10", () => {
    expect(() => verifyTotp(SECRET, codeAt(step), now, -1, null)).toThrow(RangeError);
    expect(() => verifyTotp(SECRET, codeAt(step), now, 11, null)).toThrow(RangeError);
  });
});

describe("secrets and enrollment", () => {
  // ASVS 6.5.3
  it("generates distinct 20-byte secrets", () => {
    const a = generateTotpSecret();
    expect(a.length).toBe(20);
    expect(generateTotpSecret()).not.toEqual(a);
  });

  it("builds an otpauth URI with the label and issuer percent-encoded", () => {
    expect(otpauthUri({ secret: SECRET, issuer: "Acme Co", account: "alice@example.com" })).toBe(
      "otpauth://totp/Acme%20Co:alice%40example.com" +
        "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme%20Co&algorithm=SHA1&digits=6&period=30",
    );
  });

  it("encodes a colon inside the issuer or account so it cannot split the label", () => {
    const uri = otpauthUri({ secret: SECRET, issuer: "a:b", account: "c:d&e=f" });
    expect(uri.startsWith("otpauth://totp/a%3Ab:c%3Ad%26e%3Df?")).toBe(true);
    expect(new URL(uri).searchParams.get("issuer")).toBe("a:b");
  });
});
