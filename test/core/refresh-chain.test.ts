/**
 * @module One live refresh chain per session (RFC 9700 section 4.14.2): the grace window hands
 * back the same successor instead of forking the session, and reuse of a superseded token of
 * any age is detected.
 */
import { runInDurableObject } from "cloudflare:test";
import { decodeJwt } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { hmacSha256B64 } from "../../src/crypto/digest.ts";
import { randomToken } from "../../src/crypto/random.ts";
import type { UserRow } from "../../objects/tenant/users.ts";
import { apiKey, call, expectError, introspect, refresh, rows, signup, snapshot, stub, tenantWith } from "../helpers.ts";

afterEach(() => clock.reset());

const me = (t: string, token: string) => call("GET", `/v1/${t}/me`, { token });

async function revokeReason(t: string, sid: string): Promise<string | null> {
  const [s] = await rows<{ revoke_reason: string | null }>(t, "SELECT revoke_reason FROM sessions WHERE id = ?", sid);
  return s.revoke_reason;
}

describe("refresh chain", () => {
  it("20 parallel refreshes of one token: every answer carries the same successor, each with its own access token", async () => {
    const t = await tenantWith();
    const s = await signup(t);
    const out = await Promise.all(Array.from({ length: 20 }, () => refresh(t, s.refresh_token)));
    for (const r of out) expect(r.status, JSON.stringify(r.body)).toBe(200);
    const successors = new Set(out.map((r) => r.body.refresh_token));
    expect(successors.size).toBe(1);
    expect(new Set(out.map((r) => decodeJwt(r.body.access_token).jti)).size).toBe(20);
    for (const r of out) expect((await me(t, r.body.access_token)).status).toBe(200);
    expect(await revokeReason(t, s.session_id)).toBeNull();

    // The next rotation supersedes every copy of the first token: using one is reuse.
    const [successor] = successors;
    const next = await refresh(t, successor);
    expect(next.status).toBe(200);
    expect(next.body.refresh_token).not.toBe(successor);
    expectError(await refresh(t, s.refresh_token), 401, "invalid_token");
    expect(await revokeReason(t, s.session_id)).toBe("refresh_reuse");
    expectError(await refresh(t, next.body.refresh_token), 401, "invalid_token");
    expectError(await me(t, next.body.access_token), 401, "invalid_token");
  });

  it("inside the grace a rotated token gets the same successor and a fresh access token", async () => {
    const t = await tenantWith();
    const s = await signup(t);
    const first = await refresh(t, s.refresh_token);
    clock.advance(5_000);
    const again = await refresh(t, s.refresh_token);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.refresh_token).toBe(first.body.refresh_token);
    expect(again.body.access_token).not.toBe(first.body.access_token);
    expect(decodeJwt(again.body.access_token).iat).toBeGreaterThan(decodeJwt(first.body.access_token).iat!);
    expect((await me(t, again.body.access_token)).status).toBe(200);
    // One chain: the successor both answers carried is the one live token.
    const key = await apiKey(t);
    expect((await introspect(t, key, first.body.refresh_token)).active).toBe(true);
    expect((await introspect(t, key, s.refresh_token)).active).toBe(false);
  });

  it("once the successor has been used, the old token is reuse even inside the grace", async () => {
    const t = await tenantWith();
    const s = await signup(t);
    const a = await refresh(t, s.refresh_token);
    clock.advance(1_000);
    const b = await refresh(t, a.body.refresh_token);
    expect(b.status).toBe(200);
    clock.advance(1_000);
    expectError(await refresh(t, s.refresh_token), 401, "invalid_token");
    expect(await revokeReason(t, s.session_id)).toBe("refresh_reuse");
    expectError(await refresh(t, b.body.refresh_token), 401, "invalid_token");
  });

  it("a stolen token replayed within the grace shares the chain, it does not fork it: the next use of the old successor after the grace is reuse", async () => {
    const t = await tenantWith();
    const s = await signup(t);
    const victim = await refresh(t, s.refresh_token);
    clock.advance(3_000);
    const thief = await refresh(t, s.refresh_token);
    expect(thief.body.refresh_token).toBe(victim.body.refresh_token);
    clock.advance(60_000);
    const thiefNext = await refresh(t, thief.body.refresh_token);
    expect(thiefNext.status).toBe(200);
    clock.advance(60_000);
    expectError(await refresh(t, victim.body.refresh_token), 401, "invalid_token");
    expect(await revokeReason(t, s.session_id)).toBe("refresh_reuse");
    expectError(await refresh(t, thiefNext.body.refresh_token), 401, "invalid_token");
  });

  it("replaying a token superseded 50 rotations ago revokes the session", async () => {
    const t = await tenantWith({ refresh_reuse_grace_s: 0 });
    const s = await signup(t);
    const chain = [s.refresh_token];
    for (let k = 0; k < 50; k++) {
      clock.advance(1_000);
      const r = await refresh(t, chain.at(-1)!);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      chain.push(r.body.refresh_token);
    }
    expectError(await refresh(t, chain[0]), 401, "invalid_token");
    expect(await revokeReason(t, s.session_id)).toBe("refresh_reuse");
    expectError(await refresh(t, chain.at(-1)!), 401, "invalid_token");
    expect(await rows(t, "SELECT type FROM audit_log WHERE type = 'refresh.reuse'")).toHaveLength(1);
  });

  it("the session holds one chain row whatever the number of rotations, with no token in it", async () => {
    const t = await tenantWith();
    const s = await signup(t);
    let token = s.refresh_token;
    for (let k = 0; k < 5; k++) {
      clock.advance(20_000);
      token = (await refresh(t, token)).body.refresh_token;
    }
    const stored = await rows<Record<string, unknown>>(t, "SELECT * FROM refresh_chains WHERE chain_id = ?", s.session_id);
    expect(stored).toHaveLength(1);
    expect(stored[0].generation).toBe(5);
    const dump = JSON.stringify(stored);
    for (const part of token.split(".").slice(2)) expect(dump).not.toContain(part);
  });

  // ASVS 7.2.3
  it("tokens are {session id}.{generation}.{secret} with at least 256 bits of secret", async () => {
    const t = await tenantWith();
    const s = await signup(t);
    const r = await refresh(t, s.refresh_token);
    const [sid0, g0, secret0] = s.refresh_token.split(".");
    const [sid1, g1] = r.body.refresh_token.split(".");
    expect([sid0, sid1]).toEqual([s.session_id, s.session_id]);
    expect([g0, g1]).toEqual(["0", "1"]);
    expect(secret0.length * 6).toBeGreaterThanOrEqual(256);
  });

  it.each([
    ["a current generation with a forged secret", (sid: string) => `${sid}.1.${"C".repeat(64)}`],
    ["an old generation with a forged secret", (sid: string) => `${sid}.0.${"C".repeat(64)}`],
    ["a future generation", (sid: string) => `${sid}.7.${"C".repeat(64)}`],
    ["the old format", (sid: string) => `${sid}.${"C".repeat(43)}`],
  ])("%s naming a real session is 401 invalid_token and revokes nothing", async (_what, forge) => {
    const t = await tenantWith();
    const s = await signup(t);
    const r = await refresh(t, s.refresh_token);
    const before = await snapshot(t);
    expectError(await refresh(t, forge(s.session_id)), 401, "invalid_token");
    expect(await snapshot(t)).toEqual(before);
    expect((await refresh(t, r.body.refresh_token)).status).toBe(200);
  });

  it("logout-all kills the chain: its current and superseded tokens are refused", async () => {
    const t = await tenantWith();
    const s = await signup(t);
    const r = await refresh(t, s.refresh_token);
    expect((await call("POST", `/v1/${t}/logout-all`, { token: r.body.access_token })).status).toBe(204);
    expectError(await refresh(t, r.body.refresh_token), 401, "invalid_token");
    expectError(await refresh(t, s.refresh_token), 401, "invalid_token");
    expect(await rows(t, "SELECT chain_id FROM refresh_chains WHERE chain_id = ?", s.session_id)).toEqual([]);
  });

  it("a secret rotation that keeps the session (password change) restarts the chain: every earlier token is unknown, not reuse", async () => {
    const t = await tenantWith();
    const s = await signup(t);
    const a = await refresh(t, s.refresh_token);
    const p = await call("PATCH", `/v1/${t}/me`, { token: a.body.access_token, body: { current_password: "correct horse battery staple", new_password: "another long passphrase 42" } });
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    expectError(await refresh(t, a.body.refresh_token), 401, "invalid_token");
    expectError(await refresh(t, s.refresh_token), 401, "invalid_token");
    expect(await revokeReason(t, s.session_id)).toBeNull();
    const next = await refresh(t, p.body.refresh_token);
    expect(next.status, JSON.stringify(next.body)).toBe(200);
  });
  it("a token from before chains ({session id}.{secret}, kept by the migration) rotates into the chain, and its replay after the grace is reuse", async () => {
    const t = await tenantWith();
    const s = await signup(t);
    // Lay the session out as the migration leaves it: its current old-format token at generation 0.
    const legacy = `${s.session_id}.${randomToken(32)}`;
    await runInDurableObject(stub(t), async (o, state) => {
      const sql = state.storage.sql;
      const user = sql.exec<Pick<UserRow, "id" | "secret" | "secret_version">>("SELECT id, secret, secret_version FROM users WHERE id = ?", s.user.id).one();
      const hash = hmacSha256B64(await o.userSecret(user), legacy);
      sql.exec("UPDATE refresh_chains SET generation = 0, hash = ? WHERE chain_id = ?", hash, s.session_id);
    });
    const key = await apiKey(t);
    expect((await introspect(t, key, legacy)).active).toBe(true);
    const r = await refresh(t, legacy);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.refresh_token.split(".")[1]).toBe("1");
    clock.advance(3_000);
    expect((await refresh(t, legacy)).body.refresh_token).toBe(r.body.refresh_token);
    clock.advance(30_000);
    expectError(await refresh(t, legacy), 401, "invalid_token");
    expect(await revokeReason(t, s.session_id)).toBe("refresh_reuse");
  });
  // ASVS 7.2.4
  it("a step-up restarts the chain under the same secret: earlier tokens are unknown, not reuse, and the session goes on", async () => {
    const t = await tenantWith();
    const s = await signup(t);
    const a = await refresh(t, s.refresh_token);
    const up = await call("POST", `/v1/${t}/reauth`, { token: a.body.access_token, body: { password: "correct horse battery staple" } });
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    expect(up.body.session_id).toBe(s.session_id);
    expectError(await refresh(t, a.body.refresh_token), 401, "invalid_token");
    expectError(await refresh(t, s.refresh_token), 401, "invalid_token");
    expect(await revokeReason(t, s.session_id)).toBeNull();
    const next = await refresh(t, up.body.refresh_token);
    expect(next.status, JSON.stringify(next.body)).toBe(200);
    // Reuse detection holds again from the restart on.
    clock.advance(30_000);
    expect((await refresh(t, next.body.refresh_token)).status).toBe(200);
    clock.advance(30_000);
    expectError(await refresh(t, up.body.refresh_token), 401, "invalid_token");
    expect(await revokeReason(t, s.session_id)).toBe("refresh_reuse");
  });
});
