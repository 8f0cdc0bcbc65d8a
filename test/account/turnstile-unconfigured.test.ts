/** @module Turnstile on a deployment without TURNSTILE_SECRET_KEY: a presented token verifies nothing and reaches nobody. */
import { describe, expect, it } from "vitest";
import { verifyTurnstile } from "../../src/turnstile.ts";

describe("Turnstile without a secret", () => {
  it("a presented token counts as absent, and siteverify is never asked", async () => {
    const calls: unknown[] = [];
    const fetcher = (async (...a: unknown[]) => (calls.push(a), new Response("{}"))) as typeof fetch;
    expect(await verifyTurnstile("XXXX.DUMMY.TOKEN.XXXX", undefined, "203.0.113.9", fetcher)).toBe(false);
    expect(await verifyTurnstile("some-real-looking-token", "", null, fetcher)).toBe(false);
    expect(calls).toEqual([]);
  });

  it("with a secret, the same token is checked (the test secret that always fails refuses it)", async () => {
    await expect(verifyTurnstile("XXXX.DUMMY.TOKEN.XXXX", "2x0000000000000000000000000000000AA", null)).rejects.toMatchObject({ code: "turnstile_failed" });
  });
});
