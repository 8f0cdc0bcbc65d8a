/**
 * @module Password hashing and verification: RFC vectors for the derivations, hashes made by
 * the reference `argon2` tool and by other libraries, and the rehash and import rules.
 */
import { argon2id } from "@noble/hashes/argon2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import {
  dummyHash,
  hashPassword,
  hashPasswordWithSalt,
  isSupportedHash,
  needsRehash,
  verifyPassword,
} from "../../src/crypto/password.ts";
import { pbkdf2Sha256 } from "../../src/crypto/pbkdf2.ts";
import { ab64Encode, b64Encode } from "../../src/crypto/phc.ts";

const utf8 = new TextEncoder();
const PW = "correct horse battery staple";

describe("PBKDF2-HMAC-SHA256, RFC 7914 section 11", () => {
  it('P="passwd", S="salt", c=1, dkLen=64', async () => {
    const dk = await pbkdf2Sha256(utf8.encode("passwd"), utf8.encode("salt"), 1, 64);
    expect(bytesToHex(dk)).toBe(
      "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc" +
        "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783",
    );
  });

  it('P="Password", S="NaCl", c=80000, dkLen=64', async () => {
    const dk = await pbkdf2Sha256(utf8.encode("Password"), utf8.encode("NaCl"), 80_000, 64);
    expect(bytesToHex(dk)).toBe(
      "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56" +
        "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d",
    );
  });
});

describe("argon2id", () => {
  it("matches the RFC 9106 section 5.3 test vector (secret and associated data included)", () => {
    // @noble/hashes calls the secret `key` and the associated data `personalization`.
    const tag = argon2id(new Uint8Array(32).fill(1), new Uint8Array(16).fill(2), {
      m: 32,
      t: 3,
      p: 4,
      dkLen: 32,
      version: 0x13,
      key: new Uint8Array(8).fill(3),
      personalization: new Uint8Array(12).fill(4),
    });
    expect(bytesToHex(tag)).toBe("0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659");
  });

  // Produced by the reference tool (Debian `argon2` 0~20171227, libargon2), e.g.
  //   echo -n 'correct horse battery staple' | argon2 somesalt16bytes! -id -k 19456 -t 2 -p 1 -l 32 -e
  // These are data from that tool, not from our code.
  const reference = [
    // -k 19456 -t 2 -p 1: exactly Warden's default parameters
    [PW, "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQxNmJ5dGVzIQ$W2/hNMtQKxyFQI3cOFyMdL9hfH0kK/3DKouGLtcZUyw"],
    // -m 14 (2^14 KiB) -t 2 -p 1
    [PW, "$argon2id$v=19$m=16384,t=2,p=1$c29tZXNhbHQxNmJ5dGVzIQ$QKNPIhzIvzdjE06Zwii16DDAYEOLUtoe2VnJpyZToV4"],
    // salt 'another salt value', -k 4096 -t 3 -p 2
    ["Tr0ub4dor&3 but longer", "$argon2id$v=19$m=4096,t=3,p=2$YW5vdGhlciBzYWx0IHZhbHVl$91h1kR2awvd0vdXmuXHA0WVJKF08wE+4kJ+uch/nuV4"],
    // UTF-8 password, salt 'saltsaltsalt', -k 1024 -t 1 -p 4 -l 24
    ["pässwörd ünïcode", "$argon2id$v=19$m=1024,t=1,p=4$c2FsdHNhbHRzYWx0$iIQbRBGY+KSbD117zMbjuibGwxsdd30t"],
  ] as const;

  for (const [password, phc] of reference) {
    it(`verifies the reference tool's ${phc.slice(0, 30)}… and refuses a wrong password`, async () => {
      expect(await verifyPassword(password, phc)).toBe(true);
      expect(await verifyPassword(password + "!", phc)).toBe(false);
    });
  }

  it("produces exactly what the reference tool produces for the same password and salt", async () => {
    // Checked when written by running hashPasswordWithSalt in Node and comparing with
    //   echo -n 'correct horse battery staple' | argon2 warden-salt-0001 -id -k 19456 -t 2 -p 1 -l 32 -e
    // which printed this same string.
    const phc = await hashPasswordWithSalt(PW, "argon2id", utf8.encode("warden-salt-0001"));
    expect(phc).toBe("$argon2id$v=19$m=19456,t=2,p=1$d2FyZGVuLXNhbHQtMDAwMQ$Ko9CjMXsgE6Sk0+NfU8TFwfgB36mLmS9WSOgNj4J0l4");
  });

  it("hashPassword writes the default parameters with a fresh 16-byte salt, and verifies", async () => {
    const phc = await hashPassword(PW, "argon2id");
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyPassword(PW, phc)).toBe(true);
    expect(await verifyPassword("correct horse battery stapler", phc)).toBe(false);
  });
});

describe("pbkdf2-sha256", () => {
  it("hashPassword writes $pbkdf2-sha256$i=100000,l=32$… and verifies", async () => {
    const phc = await hashPassword(PW, "pbkdf2-sha256");
    expect(phc).toMatch(/^\$pbkdf2-sha256\$i=100000,l=32\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyPassword(PW, phc)).toBe(true);
    expect(await verifyPassword("wrong", phc)).toBe(false);
  });

  it("is the RFC 8018 derivation written in the documented format", async () => {
    const salt = utf8.encode("passlib-fixture!");
    const phc = await hashPasswordWithSalt(PW, "pbkdf2-sha256", salt);
    const dk = await pbkdf2Sha256(utf8.encode(PW), salt, 100_000, 32);
    expect(phc).toBe(`$pbkdf2-sha256$i=100000,l=32$${b64Encode(salt)}$${b64Encode(dk)}`);
    // The same value from Python's hashlib.pbkdf2_hmac, an independent implementation.
    expect(phc).toBe("$pbkdf2-sha256$i=100000,l=32$cGFzc2xpYi1maXh0dXJlIQ$hRO267KVSo6nACiqOUTZyQtbkaDMs79t1MWuh0v+/L0");
  });

  it("verifies passlib's format: the example from passlib's documentation", async () => {
    const phc = "$pbkdf2-sha256$6400$0ZrzXitFSGltTQnBWOsdAw$Y11AchqV4b0sUisdZd0Xr97KWoymNE0LNNrnEgY4H9M";
    expect(await verifyPassword("password", phc)).toBe(true);
    expect(await verifyPassword("Password", phc)).toBe(false);
  });

  it("verifies passlib's format with '.' in the adapted base64 (made with Python hashlib)", async () => {
    const phc = "$pbkdf2-sha256$29000$cGFzc2xpYi1maXh0dXJlIQ$4COPswUPtlkWPn.OZQ5ZS1BtRlfkPJzTe3/OKrpZlrA";
    expect(await verifyPassword(PW, phc)).toBe(true);
    expect(await verifyPassword("wrong", phc)).toBe(false);
  });

  it("fails closed above 100,000 iterations, the most Workers' WebCrypto runs", async () => {
    const salt = utf8.encode("0123456789abcdef");
    const dk = await pbkdf2Sha256(utf8.encode(PW), salt, 1000, 32);
    const ok = `$pbkdf2-sha256$1000$${ab64Encode(salt)}$${ab64Encode(dk)}`;
    expect(await verifyPassword(PW, ok)).toBe(true);
    // Relabelled at 100,001 iterations: refused without deriving anything.
    expect(await verifyPassword(PW, ok.replace("$1000$", "$100001$"))).toBe(false);
    expect(isSupportedHash(ok.replace("$1000$", "$100001$"))).toBe(false);
  });
});

describe("bcrypt (imported hashes)", () => {
  // OpenBSD / Openwall crypt_blowfish test vectors.
  const published = [
    ["U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"],
    ["U*U*", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK"],
    [
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789chars after 72 are ignored",
      "$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui",
    ],
  ] as const;
  // Generated with bcryptjs.hashSync(PW, "$2x$06$<salt>") in a scratch script.
  const generated = [
    [PW, "$2b$06$WardenFixtureSaltBcry.FMIxMmU59c2Y39OGZ3JzyOarDhvlOwi"],
    [PW, "$2y$06$AnotherFixtureSaltForOKOi0BfAhBHDndsI5IyL8eUNbjpgphDW"],
    [PW, "$2a$06$ThirdFixtureSaltForAaOfok4.pJUR6KTBIuPO93oaLRzZ9q5dky"],
  ] as const;

  for (const [password, phc] of [...published, ...generated]) {
    it(`verifies ${phc.slice(0, 7)} ${phc.slice(7, 20)}… and refuses a wrong password`, async () => {
      expect(await verifyPassword(password, phc)).toBe(true);
      expect(await verifyPassword("x" + password, phc)).toBe(false);
    });
  }

  it("reads only the first 72 bytes of the password, as every bcrypt does", async () => {
    const [long, phc] = published[2];
    expect(await verifyPassword(long.slice(0, 72), phc)).toBe(true);
    expect(await verifyPassword(long.slice(0, 71), phc)).toBe(false);
  });

  it("refuses a cost above 14 without running it", async () => {
    const phc = "$2b$31$WardenFixtureSaltBcry.FMIxMmU59c2Y39OGZ3JzyOarDhvlOwi";
    expect(isSupportedHash(phc)).toBe(false);
    expect(await verifyPassword(PW, phc)).toBe(false);
  });
});

describe("bad stored data reads as false, never as an exception", () => {
  const bad = [
    "",
    "plaintext",
    "$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHQxNmJ5dGVzIQ$W2/hNMtQKxyFQI3cOFyMdL9hfH0kK/3DKouGLtcZUyw",
    "$argon2id$v=16$m=19456,t=2,p=1$c29tZXNhbHQxNmJ5dGVzIQ$W2/hNMtQKxyFQI3cOFyMdL9hfH0kK/3DKouGLtcZUyw",
    "$argon2id$m=19456,t=2,p=1$c29tZXNhbHQxNmJ5dGVzIQ$W2/hNMtQKxyFQI3cOFyMdL9hfH0kK/3DKouGLtcZUyw",
    "$argon2id$v=19$t=2,m=19456,p=1$c29tZXNhbHQxNmJ5dGVzIQ$W2/hNMtQKxyFQI3cOFyMdL9hfH0kK/3DKouGLtcZUyw",
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQxNmJ5dGVzIQ==$W2/hNMtQKxyFQI3cOFyMdL9hfH0kK/3DKouGLtcZUyw",
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQxNmJ5dGVzIQ$W2/hNMtQKxyFQI3cOFyMdL9hfH0kK/3DKouGLtcZUyw$",
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQxNmJ5dGVzIQ$W2/hNMtQ",
    "$pbkdf2-sha256$i=100000,l=31$cGFzc2xpYi1maXh0dXJlIQ$hRO267KVSo6nACiqOUTZyQtbkaDMs79t1MWuh0v+/L0",
    "$pbkdf2-sha256$0$cGFzc2xpYi1maXh0dXJlIQ$4COPswUPtlkWPn.OZQ5ZS1BtRlfkPJzTe3/OKrpZlrA",
    "$pbkdf2-sha256$029000$cGFzc2xpYi1maXh0dXJlIQ$4COPswUPtlkWPn.OZQ5ZS1BtRlfkPJzTe3/OKrpZlrA",
    "$pbkdf2-sha512$29000$cGFzc2xpYi1maXh0dXJlIQ$4COPswUPtlkWPn.OZQ5ZS1BtRlfkPJzTe3/OKrpZlrA",
    "$2x$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
    "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOe",
    "$2a$5$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
  ];
  for (const phc of bad) {
    it(`refuses ${JSON.stringify(phc.slice(0, 40))}`, async () => {
      expect(isSupportedHash(phc)).toBe(false);
      await expect(verifyPassword(PW, phc)).resolves.toBe(false);
    });
  }

  it("refuses absurd argon2id parameters (m > 64 MiB, t > 10, p > 4) without running them", async () => {
    const tail = "$c29tZXNhbHQxNmJ5dGVzIQ$W2/hNMtQKxyFQI3cOFyMdL9hfH0kK/3DKouGLtcZUyw";
    for (const params of ["m=65537,t=2,p=1", "m=4194304,t=2,p=1", "m=19456,t=11,p=1", "m=19456,t=2,p=5", "m=7,t=1,p=1", "m=19456,t=0,p=1"]) {
      const phc = `$argon2id$v=19$${params}${tail}`;
      expect(isSupportedHash(phc)).toBe(false);
      expect(await verifyPassword(PW, phc)).toBe(false);
    }
    expect(isSupportedHash(`$argon2id$v=19$m=65536,t=10,p=4${tail}`)).toBe(true);
  });

  it("a non-string password is refused, not thrown on", async () => {
    expect(await verifyPassword(undefined as unknown as string, "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW")).toBe(false);
  });
});

describe("needsRehash", () => {
  const defaultArgon = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQxNmJ5dGVzIQ$W2/hNMtQKxyFQI3cOFyMdL9hfH0kK/3DKouGLtcZUyw";
  const defaultPbkdf2 = "$pbkdf2-sha256$i=100000,l=32$cGFzc2xpYi1maXh0dXJlIQ$hRO267KVSo6nACiqOUTZyQtbkaDMs79t1MWuh0v+/L0";

  it("is false for a hash with the tenant's algorithm and current parameters", () => {
    expect(needsRehash(defaultArgon, "argon2id")).toBe(false);
    expect(needsRehash(defaultPbkdf2, "pbkdf2-sha256")).toBe(false);
    // Stronger than the default is kept too.
    expect(needsRehash(defaultArgon.replace("m=19456,t=2", "m=65536,t=3"), "argon2id")).toBe(false);
  });

  it("is true when the tenant's policy names another algorithm", () => {
    expect(needsRehash(defaultArgon, "pbkdf2-sha256")).toBe(true);
    expect(needsRehash(defaultPbkdf2, "argon2id")).toBe(true);
  });

  it("is true for argon2id weaker than m=19456 or t=2", () => {
    expect(needsRehash(defaultArgon.replace("m=19456", "m=16384"), "argon2id")).toBe(true);
    expect(needsRehash(defaultArgon.replace("t=2", "t=1"), "argon2id")).toBe(true);
  });

  it("is true for pbkdf2 under 100,000 iterations, and for passlib's spelling", () => {
    expect(needsRehash(defaultPbkdf2.replace("i=100000", "i=99999"), "pbkdf2-sha256")).toBe(true);
    expect(
      needsRehash("$pbkdf2-sha256$100000$cGFzc2xpYi1maXh0dXJlIQ$4COPswUPtlkWPn.OZQ5ZS1BtRlfkPJzTe3/OKrpZlrA", "pbkdf2-sha256"),
    ).toBe(true);
  });

  it("is always true for bcrypt and for an unparseable hash", () => {
    expect(needsRehash("$2b$14$WardenFixtureSaltBcry.FMIxMmU59c2Y39OGZ3JzyOarDhvlOwi", "argon2id")).toBe(true);
    expect(needsRehash("garbage", "argon2id")).toBe(true);
  });
});

describe("dummyHash", () => {
  it("is a valid hash with the current default parameters, the same on every call", () => {
    const argon = dummyHash("argon2id");
    expect(argon).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(dummyHash("argon2id")).toBe(argon);
    expect(isSupportedHash(argon)).toBe(true);
    expect(needsRehash(argon, "argon2id")).toBe(false);

    const pbkdf2 = dummyHash("pbkdf2-sha256");
    expect(pbkdf2).toMatch(/^\$pbkdf2-sha256\$i=100000,l=32\$/);
    expect(needsRehash(pbkdf2, "pbkdf2-sha256")).toBe(false);
  });

  it("verifies as false, after doing the full derivation", async () => {
    expect(await verifyPassword(PW, dummyHash("argon2id"))).toBe(false);
    expect(await verifyPassword(PW, dummyHash("pbkdf2-sha256"))).toBe(false);
  });
});
