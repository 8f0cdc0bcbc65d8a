/** @module Sealing secrets at rest: the asynchronous and synchronous paths open each other's output. */
import { describe, expect, it } from "vitest";
import { Sealer } from "../../src/crypto/seal.ts";
import { utf8 } from "../../src/crypto/bytes.ts";

const KEY = "dGVzdC1tYXN0ZXIta2V5LTAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWI=";

describe("Sealer", () => {
  it("a value sealed synchronously (inside a transaction) opens with the asynchronous open", async () => {
    const s = await Sealer.create(KEY);
    const sealed = s.sealSync(utf8("a one-time token"), "outbox-message", "acme", "outbox:r1");
    expect(sealed).toMatch(/^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain("token");
    expect(new TextDecoder().decode(await s.open(sealed, "outbox-message", "acme", "outbox:r1"))).toBe("a one-time token");
  });

  it("a synchronously sealed value is bound to its tenant, row and purpose", async () => {
    const s = await Sealer.create(KEY);
    const sealed = s.sealSync(utf8("x"), "outbox-message", "acme", "outbox:r1");
    await expect(s.open(sealed, "outbox-message", "other", "outbox:r1")).rejects.toThrow();
    await expect(s.open(sealed, "outbox-message", "acme", "outbox:r2")).rejects.toThrow();
    await expect(s.open(sealed, "webhook-secret", "acme", "outbox:r1")).rejects.toThrow();
  });

  it("each seal uses a fresh IV, and a value sealed under the previous master key still opens", async () => {
    const old = await Sealer.create(KEY);
    const a = old.sealSync(utf8("same"), "user-secret", "t", "u");
    const b = old.sealSync(utf8("same"), "user-secret", "t", "u");
    expect(a).not.toBe(b);
    const rotated = await Sealer.create("another-master-key-of-at-least-32-characters", KEY);
    expect(new TextDecoder().decode(await rotated.open(a, "user-secret", "t", "u"))).toBe("same");
    expect(rotated.isStale(a)).toBe(true);
  });
});
