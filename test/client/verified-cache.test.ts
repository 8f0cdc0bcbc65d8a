import { describe, expect, it } from "vitest";
import { VerifiedTokens } from "../../src/client/verified-cache.ts";
import type { AccessTokenClaims } from "../../src/client/types.ts";

const claims = (exp: number) => ({ exp, sub: "u", sid: "s", ver: 1, tid: "t" }) as unknown as AccessTokenClaims;

describe("the verified-token memory", () => {
  it("answers a remembered token until its exp, not on or after it", () => {
    const m = new VerifiedTokens(10);
    m.set("a", claims(100));
    expect(m.get("a", 99_999)?.sub).toBe("u");
    expect(m.get("a", 100_000)).toBeUndefined();
    expect(m.get("a", 1)).toBeUndefined(); // an expired entry is dropped
  });

  it("keeps at most its size, dropping the least recently used", () => {
    const m = new VerifiedTokens(2);
    m.set("a", claims(1e9));
    m.set("b", claims(1e9));
    m.get("a", 0);
    m.set("c", claims(1e9));
    expect(m.get("b", 0)).toBeUndefined();
    expect(m.get("a", 0)).toBeDefined();
    expect(m.get("c", 0)).toBeDefined();
  });

  it("remembers nothing with size 0, and forgets everything on clear", () => {
    const off = new VerifiedTokens(0);
    off.set("a", claims(1e9));
    expect(off.get("a", 0)).toBeUndefined();
    const m = new VerifiedTokens(5);
    m.set("a", claims(1e9));
    m.clear();
    expect(m.get("a", 0)).toBeUndefined();
  });
});
