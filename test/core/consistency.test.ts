/**
 * @module The consistency guarantee: once a revoking call has returned, no
 * token it revoked introspects active and no refresh with it succeeds, under any concurrency.
 */
import { afterEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { apiKey, call, type Call, introspect, login, refresh, rows, signup, tenantWith } from "../helpers.ts";

afterEach(() => clock.reset());

/** `n` sessions of one user, logged in one after another (parallel logins would trip the lockout reservation). */
async function logins(t: string, email: string, n: number) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const r = await login(t, email);
    expect(r.status).toBe(200);
    out.push(r.body);
  }
  return out;
}

describe("consistency under concurrency", () => {
  // ASVS 7.4.1
  it("20 refreshes racing a logout-all: after it returns every earlier token is inactive and no refresh succeeds", async () => {
    const t = await tenantWith();
    const s = await signup(t);
    const key = await apiKey(t);
    const sessions = await logins(t, s.user.email, 20);
    const racing: Promise<Call>[] = sessions.map((x) => refresh(t, x.refresh_token));
    const out = await call("POST", `/v1/${t}/logout-all`, { token: s.access_token });
    expect(out.status).toBe(204);
    // Right after it returns, while refreshes may still be in flight:
    const before = [s.access_token, ...sessions.map((x) => x.access_token)];
    const active = await Promise.all(before.map((a) => introspect(t, key, a).then((r) => r.active)));
    expect(active.every((a) => a === false)).toBe(true);
    // Each racing refresh was ordered before the logout-all (and its tokens are dead now) or after it (and failed).
    const results = await Promise.all(racing);
    for (const r of results) {
      if (r.status === 200) {
        expect((await introspect(t, key, r.body.access_token)).active).toBe(false);
        expect((await refresh(t, r.body.refresh_token)).status).toBe(401);
      } else {
        expect(r.status).toBe(401);
        expect(r.body.error.code).toBe("invalid_token");
      }
    }
    // And no refresh after it succeeds, with any token ever issued.
    const again = await Promise.all(sessions.map((x) => refresh(t, x.refresh_token)));
    expect(again.map((r) => r.status)).toEqual(Array(20).fill(401));
    expect(await rows(t, "SELECT id FROM sessions WHERE revoked_at IS NULL")).toEqual([]);
  });

  // ASVS 7.4.1
  it("refreshes racing a logout: after it returns the session's tokens are inactive and its refresh fails", async () => {
    const t = await tenantWith();
    const s = await signup(t);
    const key = await apiKey(t);
    const racing = Array.from({ length: 10 }, () => refresh(t, s.refresh_token));
    const out = await call("POST", `/v1/${t}/logout`, { token: s.access_token });
    expect(out.status).toBe(204);
    const results = await Promise.all(racing);
    for (const r of results) {
      if (r.status === 200) {
        expect((await introspect(t, key, r.body.access_token)).active).toBe(false);
        expect((await refresh(t, r.body.refresh_token)).status).toBe(401);
      } else expect(r.status).toBe(401);
    }
    expect((await refresh(t, s.refresh_token)).status).toBe(401);
  });

  it("a refresh race outside the grace period (grace 0): exactly one winner, and the loser's reuse revokes the session", async () => {
    const t = await tenantWith({ refresh_reuse_grace_s: 0 });
    const s = await signup(t);
    const key = await apiKey(t);
    // Several independent races, to give the interleavings a chance.
    const sessions = [s, ...(await logins(t, s.user.email, 7))];
    await Promise.all(
      sessions.map(async (x) => {
        const pair = await Promise.all([refresh(t, x.refresh_token), refresh(t, x.refresh_token)]);
        const winners = pair.filter((r) => r.status === 200);
        expect(winners, JSON.stringify(pair.map((r) => r.body))).toHaveLength(1);
        const loser = pair.find((r) => r.status !== 200)!;
        expect(loser.status).toBe(401);
        expect(loser.body.error.code).toBe("invalid_token");
        // Both were serialized, so the second saw the rotated token: reuse, the session is gone.
        const [row] = await rows<{ revoke_reason: string | null }>(t, "SELECT revoke_reason FROM sessions WHERE id = ?", x.session_id);
        expect(row.revoke_reason).toBe("refresh_reuse");
        expect((await introspect(t, key, winners[0].body.access_token)).active).toBe(false);
        expect((await refresh(t, winners[0].body.refresh_token)).status).toBe(401);
      }),
    );
  });

  it("a sequential replay with grace 0 is reuse", async () => {
    const t = await tenantWith({ refresh_reuse_grace_s: 0 });
    const s = await signup(t);
    expect((await refresh(t, s.refresh_token)).status).toBe(200);
    expect((await refresh(t, s.refresh_token)).status).toBe(401);
    const [row] = await rows(t, "SELECT revoke_reason FROM sessions WHERE id = ?", s.session_id);
    expect(row.revoke_reason).toBe("refresh_reuse");
  });

  it("a replay in the same millisecond as the rotation is reuse when the grace is 0", async () => {
    const t = await tenantWith({ refresh_reuse_grace_s: 0 });
    const s = await signup(t);
    const now = clock.now;
    const frozen = clock.now();
    clock.now = () => frozen; // Workers' Date.now() does not move between two requests served in one I/O turn
    try {
      expect((await refresh(t, s.refresh_token)).status).toBe(200);
      expect((await refresh(t, s.refresh_token)).status).toBe(401);
    } finally {
      clock.now = now;
    }
    const [row] = await rows(t, "SELECT revoke_reason FROM sessions WHERE id = ?", s.session_id);
    expect(row.revoke_reason).toBe("refresh_reuse");
  });

  it("concurrent tabs within the grace period all get a fresh access token and the same refresh token, and the session stays live", async () => {
    const t = await tenantWith();
    const s = await signup(t);
    const results = await Promise.all(Array.from({ length: 5 }, () => refresh(t, s.refresh_token)));
    expect(results.map((r) => r.status)).toEqual(Array(5).fill(200));
    expect(new Set(results.map((r) => r.body.refresh_token)).size).toBe(1);
    expect(new Set(results.map((r) => r.body.access_token)).size).toBe(5);
    for (const r of results) expect((await call("GET", `/v1/${t}/me`, { token: r.body.access_token })).status).toBe(200);
    expect((await refresh(t, results[0].body.refresh_token)).status).toBe(200);
  });

  it("event seqs stay strictly increasing without gaps under parallel revocations", async () => {
    const t = await tenantWith();
    const users = await Promise.all(Array.from({ length: 10 }, () => signup(t)));
    await Promise.all(users.map((u, i) => call("POST", `/v1/${t}/${i % 2 ? "logout" : "logout-all"}`, { token: u.access_token })));
    const seqs = (await rows<{ seq: number }>(t, "SELECT seq FROM events ORDER BY seq")).map((r) => r.seq);
    expect(seqs).toEqual(Array.from({ length: 10 }, (_, i) => seqs[0] + i));
  });

  it("a revocation's event is in the log by the time the call returns", async () => {
    const t = await tenantWith();
    const s = await signup(t);
    await call("POST", `/v1/${t}/logout-all`, { token: s.access_token });
    expect(await rows(t, "SELECT type FROM events")).toEqual([{ type: "user.revoked" }]);
  });
});
