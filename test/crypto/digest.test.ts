/** @module SHA-256 and HMAC-SHA256 (src/crypto/digest.ts) against the standards' own test vectors, in workerd. */
import { describe, expect, it } from "vitest";
import { fromB64url, hex, utf8 } from "../../src/crypto/bytes.ts";
import { hmacSha256, hmacSha256B64, sha256B64, sha256Hex } from "../../src/crypto/digest.ts";

const fromHex = (h: string) => new Uint8Array(h.match(/../g)!.map((b) => parseInt(b, 16)));

describe("SHA-256 (FIPS 180-4 examples)", () => {
  it.each([
    ["abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
    ["", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ["abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"],
  ])("%j", (input, digest) => {
    expect(sha256Hex(input)).toBe(digest);
    expect(sha256Hex(utf8(input))).toBe(digest);
    expect(hex(fromB64url(sha256B64(input)))).toBe(digest);
    expect(sha256B64(input)).not.toMatch(/[=+/]/);
  });

  it("hashes a string as its UTF-8 bytes", () => {
    expect(sha256Hex("é")).toBe(sha256Hex(new Uint8Array([0xc3, 0xa9])));
  });
});

// RFC 4231 section 4: test cases 1, 2, 4 and 6 (case 5 is a truncated output).
describe("HMAC-SHA256 (RFC 4231)", () => {
  it.each([
    ["1", "0b".repeat(20), utf8("Hi There"), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"],
    ["2", hex(utf8("Jefe")), utf8("what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"],
    ["4", "0102030405060708090a0b0c0d0e0f10111213141516171819", fromHex("cd".repeat(50)), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"],
    ["6", "aa".repeat(131), utf8("Test Using Larger Than Block-Size Key - Hash Key First"), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"],
  ])("test case %s", (_n, key, data, mac) => {
    const out = hmacSha256(fromHex(key), data);
    expect(out.constructor).toBe(Uint8Array);
    expect(hex(out)).toBe(mac);
    expect(hex(fromB64url(hmacSha256B64(fromHex(key), data)))).toBe(mac);
  });
});
