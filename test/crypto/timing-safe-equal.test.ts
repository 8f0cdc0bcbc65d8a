/**
 * @module timingSafeEqual: equal, unequal and different-length inputs.
 */
import { expect, it } from "vitest";
import { timingSafeEqual } from "../../src/crypto/timing-safe-equal.ts";

it("is true only for the same bytes", () => {
  expect(timingSafeEqual(new Uint8Array([]), new Uint8Array([]))).toBe(true);
  expect(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
  expect(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(false);
  expect(timingSafeEqual(new Uint8Array([0, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(false);
});

it("is false for different lengths, including a prefix", () => {
  expect(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3]))).toBe(false);
  expect(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([]))).toBe(false);
});
