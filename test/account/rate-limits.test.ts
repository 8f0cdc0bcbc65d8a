/**
 * @module Rate limits counted in the tenant object: per IP per route for magic
 * links and password resets, and per email address across both, with 429 and Retry-After.
 * Known and unknown addresses are counted alike.
 */
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { expectError, newTenant, uniq } from "../helpers.ts";
import { client, DELIVERY, inbox, useMockOutbound, tenantWithUser } from "./kit.ts";

const out = useMockOutbound();

const generous = { limit: 1000, window_s: 3600 };

/** The messages the receiver got for `email`, by type: every delivery settled before the test ends (none goes out after the mock is gone). */
async function sent(t: string, email: string): Promise<string[]> {
  return (await inbox(out, t)).filter((m) => m.email === email).map((m) => m.type).sort();
}

describe.each([
  { route: "magic_link", path: "magic-link", message: "magic_link" },
  { route: "password_forgot", path: "password/forgot", message: "password_reset" },
] as const)("$route", ({ route, path, message }) => {
  it("6.3.1 per IP: past the limit 429 with Retry-After, until the window has passed", async () => {
    const t = await newTenant({ ...DELIVERY, rate_limits: { [route]: { limit: 3, window_s: 60 }, per_email: generous } });
    const req = client();
    for (let n = 0; n < 3; n++) expect((await req("POST", `/v1/${t}/${path}`, { body: { email: `${uniq("a")}@example.com` } })).status).toBe(202);
    const r = await req("POST", `/v1/${t}/${path}`, { body: { email: `${uniq("a")}@example.com` } });
    expectError(r, 429, "rate_limited");
    const retry = Number(r.headers.get("retry-after"));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);
    expect((await client()("POST", `/v1/${t}/${path}`, { body: { email: `${uniq("a")}@example.com` } })).status).toBe(202);
    clock.advance(retry * 1000);
    expect((await req("POST", `/v1/${t}/${path}`, { body: { email: `${uniq("a")}@example.com` } })).status).toBe(202);
  });

  it("6.3.8 per email: known and unknown addresses hit the limit at the same count, from any IP", async () => {
    const { t, email } = await tenantWithUser({ rate_limits: { [route]: generous, per_email: { limit: 2, window_s: 600 } } });
    const unknown = `${uniq("nobody")}@example.com`;
    for (const address of [email, unknown]) {
      const statuses = [];
      for (let n = 0; n < 3; n++) statuses.push((await client()("POST", `/v1/${t}/${path}`, { body: { email: address } })).status);
      expect(statuses).toEqual([202, 202, 429]);
    }
    expect((await sent(t, email)).filter((type) => type === message)).toEqual([message, message]);
  });

  it("6.3.1 20 parallel requests with a limit of 5 let exactly 5 through", async () => {
    const { t, email } = await tenantWithUser({ rate_limits: { [route]: generous, per_email: { limit: 5, window_s: 600 } } });
    const rs = await Promise.all(Array.from({ length: 20 }, () => client()("POST", `/v1/${t}/${path}`, { body: { email } })));
    expect(rs.filter((r) => r.status === 202)).toHaveLength(5);
    expect(rs.filter((r) => r.status === 429)).toHaveLength(15);
    expect((await inbox(out, t)).filter((m) => m.email === email)).toHaveLength(5);
  });
});

it("the per-email budget is shared by magic links and password resets", async () => {
  const { t, email } = await tenantWithUser({ rate_limits: { per_email: { limit: 2, window_s: 600 } } });
  expect((await client()("POST", `/v1/${t}/magic-link`, { body: { email } })).status).toBe(202);
  expect((await client()("POST", `/v1/${t}/password/forgot`, { body: { email } })).status).toBe(202);
  expectError(await client()("POST", `/v1/${t}/magic-link`, { body: { email } }), 429, "rate_limited");
  expectError(await client()("POST", `/v1/${t}/password/forgot`, { body: { email } }), 429, "rate_limited");
  expect((await sent(t, email)).filter((type) => type !== "email_verify")).toEqual(["magic_link", "password_reset"]);
});
