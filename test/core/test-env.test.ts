/**
 * @module The suite's Worker runs with the test configuration and nothing else: wrangler.toml's
 * development vars and test/worker-vars.ts, never a developer's `.dev.vars` (wrangler folds it
 * into the bindings it reads; the explicit test bindings must win, key by key). Run with a
 * bogus `.dev.vars` in place, this still passes, and so does every other test.
 */
import { SELF, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { TEST_VARS } from "../worker-vars.ts";

const bindings = env as unknown as Record<string, unknown>;
const expected = bindings.TEST_EXPECTED_VARS as Record<string, string>;

describe("the test Worker's configuration", () => {
  it("is exactly the explicit test values for every var and secret", () => {
    expect(expected).toMatchObject(TEST_VARS);
    expect(Object.keys(expected)).toEqual(expect.arrayContaining(["ENVIRONMENT", "JWT_EXPIRATION_MINUTES", "ALLOWED_ORIGINS"]));
    for (const [key, value] of Object.entries(expected)) expect(bindings[key], key).toBe(value);
  });

  it("reaches the Worker as given: the admin token is the test one", async () => {
    const r = await SELF.fetch("http://warden.test/v1/admin/tenants", { headers: { authorization: `Bearer ${TEST_VARS.ADMIN_TOKEN}` } });
    expect(r.status).toBe(200);
    await r.body?.cancel();
  });
});
