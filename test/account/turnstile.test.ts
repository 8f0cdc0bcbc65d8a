/**
 * @module Turnstile with siteverify mocked: on the routes a tenant lists in
 * `turnstile.required_for`, and only after `turnstile.after_failures` failures for the
 * account or the IP. Missing → 400, rejected → 403, siteverify unreachable → 503 (fail closed).
 */
import { describe, expect, it, vi } from "vitest";
import { AuthError } from "../../src/errors.ts";
import { DUMMY_TOKEN, turnstile } from "../../src/turnstile.ts";
import { expectError, newTenant, PASSWORD, signup, uniq } from "../helpers.ts";
import { client, DELIVERY, inbox, useMockOutbound } from "./kit.ts";

const TEST_SECRET = "1x0000000000000000000000000000000AA"; // test/vitest.config.ts

const out = useMockOutbound();

const ROUTES = [
  { route: "signup", path: "signup", ok: 201, body: () => ({ email: `${uniq("u")}@example.com`, password: PASSWORD }) },
  { route: "login", path: "login", ok: 200, body: (email: string) => ({ login: email, password: PASSWORD }) },
  { route: "magic_link", path: "magic-link", ok: 202, body: (email: string) => ({ email }) },
  { route: "password_forgot", path: "password/forgot", ok: 202, body: (email: string) => ({ email }) },
] as const;

describe.each(ROUTES)("required for $route", ({ route, path, ok, body }) => {
  async function setup() {
    const t = await newTenant({ ...DELIVERY, turnstile: { required_for: [route] } });
    // The user signs up with a token, since signup itself may be the route under test.
    const email = `${uniq("u")}@example.com`;
    const r = await client()("POST", `/v1/${t}/signup`, { body: { email, password: PASSWORD }, headers: { "cf-turnstile-response": "setup" } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    out.siteverifyCalls.length = 0;
    return { t, email, send: (headers: Record<string, string> = {}) => client("203.0.113.7")("POST", `/v1/${t}/${path}`, { body: body(email), headers }) };
  }

  it("6.3.1 missing token → 400 turnstile_required, and siteverify is not called", async () => {
    const { send } = await setup();
    expectError(await send(), 400, "turnstile_required");
    expect(out.siteverifyCalls).toHaveLength(0);
  });

  it("6.3.1 a token siteverify accepts lets the request through; the secret, token and client IP are sent", async () => {
    const { send } = await setup();
    const r = await send({ "cf-turnstile-response": "good-token" });
    expect(r.status, JSON.stringify(r.body)).toBe(ok);
    expect(out.siteverifyCalls).toEqual([{ secret: TEST_SECRET, response: "good-token", remoteip: "203.0.113.7" }]);
  });

  it("6.3.1 a token siteverify rejects → 403 turnstile_failed", async () => {
    const { send } = await setup();
    out.siteverify = "fail";
    expectError(await send({ "cf-turnstile-response": "bad-token" }), 403, "turnstile_failed");
  });

  it("siteverify unreachable or failing → 503 (fail closed)", async () => {
    const { send } = await setup();
    vi.spyOn(console, "error").mockImplementation(() => {}); // the request log reports every 5xx
    out.siteverify = "down";
    expectError(await send({ "cf-turnstile-response": "any" }), 503, "unavailable");
    out.siteverify = "5xx";
    expectError(await send({ "cf-turnstile-response": "any" }), 503, "unavailable");
  });
});

describe("after_failures", () => {
  it("6.3.1 after N failed logins from an IP, that IP needs Turnstile for login, magic links and resets; other IPs do not", async () => {
    const t = await newTenant({ ...DELIVERY, turnstile: { required_for: [], after_failures: 2 } });
    const email = `${uniq("u")}@example.com`;
    await signup(t, { email });
    const bad = client("203.0.113.50");
    const other = client("203.0.113.51");
    const victim = `${uniq("v")}@example.com`;
    await signup(t, { email: victim });
    for (let n = 0; n < 2; n++) expectError(await bad("POST", `/v1/${t}/login`, { body: { login: victim, password: "wrong password here" } }), 401, "invalid_credentials");
    expectError(await bad("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } }), 400, "turnstile_required");
    expectError(await bad("POST", `/v1/${t}/magic-link`, { body: { email } }), 400, "turnstile_required");
    expectError(await bad("POST", `/v1/${t}/password/forgot`, { body: { email } }), 400, "turnstile_required");
    expect((await bad("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD }, headers: { "cf-turnstile-response": "ok" } })).status).toBe(200);
    expect((await other("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } })).status).toBe(200);
  });

  it("6.3.1 after N failures on an account, that account needs Turnstile from any IP", async () => {
    const t = await newTenant({ ...DELIVERY, turnstile: { required_for: [], after_failures: 2 }, lockout: { threshold: 50, base_s: 1, max_s: 1, hard_limit: 100 } });
    const email = `${uniq("u")}@example.com`;
    await signup(t, { email });
    expectError(await client()("POST", `/v1/${t}/login`, { body: { login: email, password: "wrong password here" } }), 401, "invalid_credentials");
    expectError(await client()("POST", `/v1/${t}/login`, { body: { login: email, password: "wrong password here" } }), 401, "invalid_credentials");
    expectError(await client()("POST", `/v1/${t}/login`, { body: { login: email, password: PASSWORD } }), 400, "turnstile_required");
    expectError(await client()("POST", `/v1/${t}/magic-link`, { body: { email } }), 400, "turnstile_required");
    expect((await client()("POST", `/v1/${t}/magic-link`, { body: { email }, headers: { "cf-turnstile-response": "ok" } })).status).toBe(202);
    expect((await inbox(out, t)).filter((m) => m.type === "magic_link")).toHaveLength(1);
  });
});

describe("Cloudflare's test keys", () => {
  const req = (token: string) => new Request("http://x/", { headers: { "cf-turnstile-response": token } });
  const never = (() => {
    throw new Error("siteverify must not be called");
  }) as unknown as typeof fetch;

  it("the dummy token is answered locally for the test secrets: 1x passes, 2x and 3x fail", async () => {
    expect(await turnstile(req(DUMMY_TOKEN), "1x0000000000000000000000000000000AA", null, never)).toBe(true);
    await expect(turnstile(req(DUMMY_TOKEN), "2x0000000000000000000000000000000AA", null, never)).rejects.toMatchObject({ code: "turnstile_failed" });
    await expect(turnstile(req(DUMMY_TOKEN), "3x0000000000000000000000000000000AA", null, never)).rejects.toMatchObject({ code: "turnstile_failed" });
  });

  it("a real secret sends even the dummy token to siteverify (which rejects it)", async () => {
    const fetcher = vi.fn(async () => Response.json({ success: false })) as unknown as typeof fetch;
    await expect(turnstile(req(DUMMY_TOKEN), "0x4AAAAAAAreal-secret", null, fetcher)).rejects.toBeInstanceOf(AuthError);
    expect(fetcher).toHaveBeenCalledOnce();
  });

  it("end to end with the test secret, the dummy token needs no network", async () => {
    const t = await newTenant({ turnstile: { required_for: ["signup"] } });
    const r = await client()("POST", `/v1/${t}/signup`, { body: { email: `${uniq("u")}@example.com`, password: PASSWORD }, headers: { "cf-turnstile-response": DUMMY_TOKEN } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(out.siteverifyCalls).toHaveLength(0);
  });
});
