/**
 * @module The breached-password check (ASVS 6.2.12), on for tenants with
 * `password.breached_check: "hibp"`: Pwned Passwords' range API by k-anonymity (only 5 hex
 * digits of the SHA-1 leave Warden, the answer padded), refused when breached, 503 when the
 * API cannot be asked, and no request at all when the tenant has it off.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { passwordWork } from "../../src/crypto/password.ts";
import { PWNED_RANGE_URL, pwnedDigest } from "../../src/crypto/breached.ts";
import { call, expectError, newTenant, PASSWORD, rows, signup, uniq } from "../helpers.ts";

const BREACHED = "my old breached passphrase 1999";

interface Asked {
  url: string;
  padding: string | null;
}
let asked: Asked[] = [];
let api: "up" | "down" | "5xx" = "up";

/** A range answer as the API gives it: CRLF lines of SUFFIX:COUNT, with padding lines of count 0. */
async function rangeFor(prefix: string): Promise<string> {
  const breached = await pwnedDigest(BREACHED);
  const padded = await pwnedDigest(PASSWORD); // present, but as padding: count 0
  const lines = ["0018A45C4D1DEF81644B54AB7F969B88D65:3", "00D4F6E8FA6EECAD2A3AA415EEC418D38EC:0"];
  if (breached.startsWith(prefix)) lines.push(`${breached.slice(5)}:42`);
  if (padded.startsWith(prefix)) lines.push(`${padded.slice(5)}:0`);
  return lines.join("\r\n");
}

beforeEach(() => {
  asked = [];
  api = "up";
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input, init);
    if (!req.url.startsWith(PWNED_RANGE_URL)) throw new Error(`unexpected outbound fetch: ${req.url}`);
    asked.push({ url: req.url, padding: req.headers.get("add-padding") });
    if (api === "down") throw new TypeError("Network connection lost.");
    if (api === "5xx") return new Response("bad gateway", { status: 502 });
    return new Response(await rangeFor(req.url.slice(PWNED_RANGE_URL.length)), { headers: { "content-type": "text/plain" } });
  });
});
afterEach(() => vi.restoreAllMocks());

const signupAs = (t: string, password: string) => call("POST", `/v1/${t}/signup`, { body: { email: `${uniq("u")}@example.com`, password }, headers: { "cf-connecting-ip": "198.51.100.7" } });

describe("the digest", () => {
  it("is SHA-1 in upper-case hex: FIPS 180's vector, and Pwned Passwords' own example", async () => {
    expect(await pwnedDigest("abc")).toBe("A9993E364706816ABA3E25717850C26C9CD0D89D");
    // The API's documentation: "password" is 5BAA6 + 1E4C9B93F3F0682250B6CF8331B7EE68FD8.
    expect(await pwnedDigest("password")).toBe("5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8");
  });
});

describe("6.2.12 with breached_check hibp", () => {
  it("6.2.12 refuses a breached password at sign-up, sending only 5 hex digits of its SHA-1, padded", async () => {
    const t = await newTenant({ password: { hash: "pbkdf2-sha256", breached_check: "hibp" } });
    const before = passwordWork().hashed;
    const r = await signupAs(t, BREACHED);
    expectError(r, 400, "password_policy");
    expect(r.body.error.details).toEqual([{ reason: "breached" }]);
    const digest = await pwnedDigest(BREACHED);
    expect(asked).toEqual([{ url: `${PWNED_RANGE_URL}${digest.slice(0, 5)}`, padding: "true" }]);
    expect(passwordWork().hashed).toBe(before);
    expect(await rows(t, "SELECT id FROM users")).toHaveLength(0);
  });

  it("6.2.12 takes a password the API does not know, or knows only as padding (count 0)", async () => {
    const t = await newTenant({ password: { hash: "pbkdf2-sha256", breached_check: "hibp" } });
    expect((await signupAs(t, "violet ferry umbrella tide")).status).toBe(201);
    expect((await signupAs(t, PASSWORD)).status).toBe(201);
    expect(asked).toHaveLength(2);
  });

  it("fails closed: the API down or answering 5xx is 503 unavailable, and nothing is created", async () => {
    const t = await newTenant({ password: { hash: "pbkdf2-sha256", breached_check: "hibp" } });
    for (const state of ["down", "5xx"] as const) {
      api = state;
      expectError(await signupAs(t, "violet ferry umbrella tide"), 503, "unavailable");
    }
    expect(await rows(t, "SELECT id FROM users")).toHaveLength(0);
  });

  it("6.2.12 checks a changed password too, before the current one is re-checked", async () => {
    const t = await newTenant({ password: { hash: "pbkdf2-sha256", breached_check: "hibp" } });
    const s = await signup(t);
    const before = passwordWork().verified;
    const r = await call("PATCH", `/v1/${t}/me`, { token: s.access_token, body: { current_password: PASSWORD, new_password: BREACHED } });
    expectError(r, 400, "password_policy");
    expect(r.body.error.details).toEqual([{ reason: "breached" }]);
    expect(passwordWork().verified).toBe(before);
    const ok = await call("PATCH", `/v1/${t}/me`, { token: s.access_token, body: { current_password: PASSWORD, new_password: "violet ferry umbrella tide" } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
  });
});

describe("off (the default)", () => {
  it("asks nothing of anyone", async () => {
    const t = await newTenant();
    expect((await signupAs(t, BREACHED)).status).toBe(201);
    expect(asked).toEqual([]);
  });
});
