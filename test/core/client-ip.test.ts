/**
 * @module Per-IP limits count the client address parsed and bucketed by one function
 * (`ipBucket`): the RFC 4291 section 2.2 text forms of one IPv6 address are one address
 * (RFC 5952 canonical form), IPv6 is grouped by /64, an IPv4-mapped address is its IPv4
 * address, and a header that holds no address counts in the one shared `unknown` bucket.
 */
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { ipBucket, parseIp, UNKNOWN_BUCKET } from "../../src/http/client-ip.ts";
import { ipLimit } from "../../src/middleware/ip-limit.ts";
import type { AppEnv } from "../../src/app-env.ts";
import { call, expectError, newTenant, uniq } from "../helpers.ts";

describe("parseIp", () => {
  it.each([
    // RFC 4291 section 2.2, the three text forms
    ["2001:DB8:0:0:8:800:200C:417A", "2001:db8::8:800:200c:417a"],
    ["FF01:0:0:0:0:0:0:101", "ff01::101"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["0:0:0:0:0:0:0:0", "::"],
    ["2001:DB8::8:800:200C:417A", "2001:db8::8:800:200c:417a"],
    ["0:0:0:0:0:0:13.1.68.3", "::d01:4403"],
    ["::13.1.68.3", "::d01:4403"],
    // RFC 4291 section 2.5.5.2: IPv4-mapped is the IPv4 address
    ["0:0:0:0:0:FFFF:129.144.52.38", "129.144.52.38"],
    ["::FFFF:129.144.52.38", "129.144.52.38"],
    ["::ffff:8190:3426", "129.144.52.38"],
    // RFC 5952 section 4: leading zeros, the longest run, the first of equal runs, no `::` for one group, lower case
    ["2001:0db8::0001", "2001:db8::1"],
    ["2001:db8:0:0:0:0:2:1", "2001:db8::2:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8::aaaa:0:0:1", "2001:db8::aaaa:0:0:1"],
    ["2001:DB8::1", "2001:db8::1"],
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
    ["::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"],
    ["203.0.113.7", "203.0.113.7"],
    ["0.0.0.0", "0.0.0.0"],
    ["255.255.255.255", "255.255.255.255"],
  ])("%s is %s", (raw, canonical) => {
    expect(parseIp(raw)).toBe(canonical);
  });

  it.each([
    "", "unknown", "localhost", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", " 1.2.3.4", "1.2.3.4, 5.6.7.8",
    "1.2.3.4:80", "2001:db8::1::1", "12345::", ":::", ":1::2", "1::2:", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8::",
    "fe80::1%eth0", "[2001:db8::1]", "::ffff:1.2.3.4.5", "::ffff:1.2.3", "1.2.3.4::", "g::1", "2001:db8:0:0:0:0:0:0:1",
  ])("%j is not an address", (raw) => {
    expect(parseIp(raw)).toBeNull();
    expect(ipBucket(raw)).toBe(UNKNOWN_BUCKET);
  });
});

describe("ipBucket", () => {
  it("IPv6 is bucketed by its /64; IPv4 by the address", () => {
    expect(ipBucket("2001:db8:1:2:3:4:5:6")).toBe("2001:db8:1:2::/64");
    expect(ipBucket("2001:DB8:1:2:ffff:ffff:ffff:ffff")).toBe("2001:db8:1:2::/64");
    expect(ipBucket("2001:db8:0:0:1::")).toBe("2001:db8::/64");
    expect(ipBucket("2001:db8:1:3::1")).toBe("2001:db8:1:3::/64");
    expect(ipBucket("::1")).toBe("::/64");
    expect(ipBucket("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(ipBucket("203.0.113.7")).toBe("203.0.113.7");
    expect(ipBucket(null)).toBe(UNKNOWN_BUCKET);
  });

  it("the Worker's shield keys the rate-limiting binding by the same bucket", async () => {
    const keys: string[] = [];
    const app = new Hono<AppEnv>();
    app.use("*", ipLimit());
    app.get("/", (c) => c.text("ok"));
    const env = { IP_LIMITER: { limit: async ({ key }: { key: string }) => (keys.push(key), { success: true }) } };
    for (const ip of ["2001:db8:1:2::1", "2001:0DB8:0001:0002:0:0:0:ffff", "::ffff:192.0.2.1", "192.0.2.1", "forged", ""]) {
      await app.request("http://localhost/", { headers: ip ? { "cf-connecting-ip": ip } : {} }, env);
    }
    await app.request("http://localhost/", {}, env);
    expect(keys).toEqual(["2001:db8:1:2::/64", "2001:db8:1:2::/64", "192.0.2.1", "192.0.2.1", UNKNOWN_BUCKET, UNKNOWN_BUCKET, UNKNOWN_BUCKET]);
  });
});

describe("the object's per-IP counters", () => {
  const limited = () => newTenant({ rate_limits: { magic_link: { limit: 2, window_s: 3600 }, per_email: { limit: 1000, window_s: 3600 } } });
  const ask = (t: string, ip: string | null) =>
    call("POST", `/v1/${t}/magic-link`, { body: { email: `${uniq("a")}@example.com` }, headers: ip === null ? {} : { "cf-connecting-ip": ip } });

  it("addresses of one /64, in any text form, share a budget; the next /64 has its own", async () => {
    const t = await limited();
    expect((await ask(t, "2001:db8:1:2::1")).status).toBe(202);
    expect((await ask(t, "2001:DB8:1:2:FFFF:FFFF:FFFF:FFFF")).status).toBe(202);
    expectError(await ask(t, "2001:0db8:0001:0002:0000:0000:0000:abcd"), 429, "rate_limited");
    expect((await ask(t, "2001:db8:1:3::1")).status).toBe(202);
  });

  it("an IPv4-mapped IPv6 address counts as its IPv4 address", async () => {
    const t = await limited();
    expect((await ask(t, "::ffff:198.51.100.20")).status).toBe(202);
    expect((await ask(t, "0:0:0:0:0:ffff:c633:6414")).status).toBe(202);
    expectError(await ask(t, "198.51.100.20"), 429, "rate_limited");
  });

  it("values that are not addresses share one bucket with requests that sent none", async () => {
    const t = await limited();
    expect((await ask(t, "not-an-ip")).status).toBe(202);
    expect((await ask(t, "198.51.100.1, 203.0.113.1")).status).toBe(202);
    expectError(await ask(t, "another-forged-value"), 429, "rate_limited");
    expectError(await ask(t, null), 429, "rate_limited");
    expect((await ask(t, "198.51.100.1")).status).toBe(202);
  });
});
