/**
 * @module Operator MFA reset (ASVS 5.0 V6.4.4), for the admin and for `manage` keys: TOTP and
 * recovery codes go, every session ends, `mfa.reset` is audited; the user signs in with the
 * password alone and may enroll again.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { apiKey, call, expectError, introspect, newTenant, refresh, rows, signup } from "../helpers.ts";
import { enableTotp, midStep, passwordStep } from "../account/kit.ts";
import { expectLogin, lastEvent, operator } from "./helpers.ts";

beforeEach(() => midStep());
afterEach(() => clock.reset());

describe("POST /users/{id}/mfa/reset", () => {
  for (const who of ["admin", "manage key"] as const) {
    // ASVS 6.4.4, 6.5.6
    it(`by the ${who}: removes TOTP and recovery codes, ends every session, audited mfa.reset`, async () => {
      const t = await newTenant();
      const key = await apiKey(t);
      const s = await signup(t);
      await enableTotp(t, s.access_token);
      await passwordStep(t, s.user.email);
      const r = await operator(t, who === "admin" ? undefined : key)("POST", `/users/${s.user.id}/mfa/reset`);
      expect(r.status, JSON.stringify(r.body)).toBe(204);
      expect(await rows(t, "SELECT 1 FROM mfa_totp")).toEqual([]);
      expect(await rows(t, "SELECT 1 FROM recovery_codes")).toEqual([]);
      expect((await introspect(t, key, s.access_token)).active).toBe(false);
      expectError(await refresh(t, s.refresh_token), 401, "invalid_token");
      expect(await lastEvent(t)).toMatchObject({ type: "user.revoked", payload: { sub: s.user.id, ver: 2, reason: "mfa_reset" } });
      const [entry] = await rows<{ actor: string; data: string }>(t, "SELECT actor, data FROM audit_log WHERE type = 'mfa.reset'");
      expect(entry.actor).toMatch(who === "admin" ? /^admin$/ : /^key:/);
      expect(JSON.parse(entry.data)).toEqual({ totp: true, recovery_codes: 10 });
      // The password alone signs in again, and the user may enroll a new factor.
      const l = await expectLogin(t, s.user.email);
      expect((await operator(t)("GET", `/users/${s.user.id}`)).body.mfa).toEqual({ totp: false, recovery_codes_remaining: 0 });
      await enableTotp(t, l.access_token);
    });
  }

  it("refuses keys without manage, unknown users and bodies", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const weak = await apiKey(t, ["introspect"]);
    expectError(await call("POST", `/v1/${t}/admin/users/${s.user.id}/mfa/reset`, { token: weak }), 403, "forbidden");
    expectError(await call("POST", `/v1/${t}/admin/users/${s.user.id}/mfa/reset`), 401, "unauthorized");
    expectError(await operator(t)("POST", "/users/0190aaaa-0000-7000-8000-000000000000/mfa/reset"), 404, "not_found");
    expect((await call("GET", `/v1/${t}/me`, { token: s.access_token })).status).toBe(200);
  });
});
