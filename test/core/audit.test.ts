/**
 * @module The keyed, hash-chained audit log: what is written, and that the chain verifies and
 * detects tampering: an edited row (even with its hash recomputed), rows deleted from the
 * middle or cut off the end, while a retention purge still verifies.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { sha256Hex } from "../../src/crypto/digest.ts";
import { call, login, newTenant, PASSWORD, refresh, rows, signup, stub, verifyChain as verify } from "../helpers.ts";

afterEach(() => clock.reset());

const DAY = 86_400_000;

type Row = { id: number; ts: number; type: string; user_id: string | null; session_id: string | null; actor: string | null; ip: string | null; data: string; prev_hash: string };
/** What anyone with write access to the database can compute: the unkeyed SHA-256 link. */
const sha = (prev: string, r: Row) => sha256Hex(prev + "\n" + JSON.stringify([r.id, r.ts, r.type, r.user_id, r.session_id, r.actor, r.ip, r.data]));

/** Rewrites the whole log as a chain from before keying (SHA-256, no key id, no head), as a migrated tenant has it. */
async function makeLegacy(t: string): Promise<void> {
  await runInDurableObject(stub(t), (o, state) => {
    const sql = state.storage.sql;
    let prev = "0".repeat(64);
    for (const r of sql.exec<Row>("SELECT id, ts, type, user_id, session_id, actor, ip, data, prev_hash FROM audit_log ORDER BY id").toArray()) {
      const hash = sha(prev, r);
      sql.exec("UPDATE audit_log SET prev_hash = ?, hash = ?, key_id = NULL WHERE id = ?", prev, hash, r.id);
      prev = hash;
    }
    sql.exec("DELETE FROM audit_head");
    o.forget();
  });
}

describe("audit log", () => {
  it("records sign-up, login, refresh, logout and failures, with user and session", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const l = await call("POST", `/v1/${t}/login`, { body: { login: s.user.email, password: PASSWORD }, headers: { "cf-connecting-ip": "192.0.2.1" } });
    await login(t, s.user.email, "wrong password here");
    await refresh(t, l.body.refresh_token);
    await call("POST", `/v1/${t}/logout`, { token: s.access_token });
    await call("POST", `/v1/${t}/logout-all`, { token: l.body.access_token });
    const entries = await rows<{ type: string; user_id: string | null; session_id: string | null; ip: string | null }>(t, "SELECT type, user_id, session_id, ip FROM audit_log ORDER BY id");
    expect(entries).toEqual([
      { type: "tenant.created", user_id: null, session_id: null, ip: null },
      { type: "signup", user_id: s.user.id, session_id: null, ip: null },
      { type: "login.success", user_id: s.user.id, session_id: null, ip: "192.0.2.1" },
      { type: "login.failure", user_id: s.user.id, session_id: null, ip: null },
      { type: "refresh", user_id: s.user.id, session_id: l.body.session_id, ip: null },
      { type: "logout", user_id: s.user.id, session_id: s.session_id, ip: null },
      { type: "logout_all", user_id: s.user.id, session_id: l.body.session_id, ip: null },
    ]);
    expect(await verify(t)).toEqual({ ok: true, checked: 7, keyed_from: 1, purged: 0 });
  });

  it("never records passwords or tokens", async () => {
    const t = await newTenant();
    const s = await signup(t);
    const r = await refresh(t, s.refresh_token);
    const text = JSON.stringify(await rows(t, "SELECT * FROM audit_log"));
    for (const secret of [PASSWORD, s.refresh_token.split(".").at(-1)!, r.body.refresh_token.split(".").at(-1)!, s.access_token.split(".")[2]]) expect(text).not.toContain(secret);
  });

  it("an edited row breaks the chain at that row", async () => {
    const t = await newTenant();
    await signup(t);
    await signup(t);
    const [row] = await rows<{ id: number }>(t, "SELECT id FROM audit_log WHERE type = 'signup' ORDER BY id LIMIT 1");
    await rows(t, "UPDATE audit_log SET ip = '6.6.6.6' WHERE id = ?", row.id);
    expect(await verify(t)).toMatchObject({ ok: false, checked: 1, broken_at: row.id, reason: "altered" });
  });

  it("is keyed: an edited row whose hash and every later link are recomputed (SHA-256, without the key) is still found", async () => {
    const t = await newTenant();
    await signup(t);
    await signup(t);
    await runInDurableObject(stub(t), (_o, state) => {
      const sql = state.storage.sql;
      sql.exec("UPDATE audit_log SET ip = '6.6.6.6' WHERE id = 2");
      let prev = sql.exec<{ hash: string }>("SELECT hash FROM audit_log WHERE id = 1").one().hash;
      for (const r of sql.exec<Row>("SELECT id, ts, type, user_id, session_id, actor, ip, data, prev_hash FROM audit_log WHERE id >= 2 ORDER BY id").toArray()) {
        const hash = sha(prev, r);
        sql.exec("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?", prev, hash, r.id);
        prev = hash;
      }
    });
    expect(await verify(t)).toMatchObject({ ok: false, broken_at: 2, reason: "altered" });
  });

  it("a deleted row breaks the chain after it", async () => {
    const t = await newTenant();
    await signup(t);
    await signup(t);
    const [row] = await rows<{ id: number }>(t, "SELECT id FROM audit_log WHERE type = 'signup' ORDER BY id LIMIT 1");
    await rows(t, "DELETE FROM audit_log WHERE id = ?", row.id);
    expect(await verify(t)).toMatchObject({ ok: false, broken_at: row.id + 1 });
  });

  it("truncation: deleting the newest rows is found", async () => {
    const t = await newTenant();
    for (let i = 0; i < 3; i++) await signup(t);
    await rows(t, "DELETE FROM audit_log WHERE id >= 3");
    expect(await verify(t)).toEqual({ ok: false, checked: 2, broken_at: 3, reason: "truncated", keyed_from: 1, purged: 0 });
  });

  it("truncation: deleting the oldest rows outside a purge is found", async () => {
    const t = await newTenant();
    for (let i = 0; i < 3; i++) await signup(t);
    await rows(t, "DELETE FROM audit_log WHERE id <= 2");
    expect(await verify(t)).toMatchObject({ ok: false, broken_at: 3, reason: "altered" });
  });

  it("the chain's head cannot be rewritten to match a truncation without the key", async () => {
    const t = await newTenant();
    for (let i = 0; i < 3; i++) await signup(t);
    await runInDurableObject(stub(t), (_o, state) => {
      const sql = state.storage.sql;
      sql.exec("DELETE FROM audit_log WHERE id >= 3");
      const last = sql.exec<{ id: number; hash: string }>("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").one();
      sql.exec("UPDATE audit_head SET head_id = ?, head_hash = ?, count = 2", last.id, last.hash);
    });
    expect(await verify(t)).toMatchObject({ ok: false, reason: "head" });
  });

  it("a retention purge still verifies, with a keyed checkpoint saying how many rows it removed", async () => {
    const t = await newTenant({ retention: { audit_days: 1 } });
    await signup(t);
    await signup(t);
    clock.advance(DAY + 60_000);
    await signup(t);
    await runDurableObjectAlarm(stub(t));
    expect(await rows(t, "SELECT type FROM audit_log")).toEqual([{ type: "signup" }]);
    expect(await verify(t)).toEqual({ ok: true, checked: 1, keyed_from: 1, purged: 3 });
    // A forged checkpoint (to pass off a deletion as a purge) is refused.
    await rows(t, "UPDATE audit_checkpoints SET purged = 2");
    expect(await verify(t)).toMatchObject({ ok: false, reason: "checkpoint" });
  });

  it("a chain from before keying verifies the old way; new rows are keyed after it and protect it", async () => {
    const t = await newTenant();
    await signup(t);
    await makeLegacy(t);
    expect(await verify(t)).toEqual({ ok: true, checked: 2, keyed_from: null, purged: 0 });
    await signup(t);
    await signup(t);
    expect(await verify(t)).toEqual({ ok: true, checked: 4, keyed_from: 3, purged: 0 });
    expect((await rows<{ key_id: string | null }>(t, "SELECT key_id FROM audit_log ORDER BY id")).map((r) => r.key_id !== null)).toEqual([false, false, true, true]);
    // Editing an old row and recomputing the old chain is caught where the keyed part begins.
    await runInDurableObject(stub(t), (_o, state) => {
      const sql = state.storage.sql;
      sql.exec("UPDATE audit_log SET ip = '6.6.6.6' WHERE id = 2");
      const prev = sql.exec<{ hash: string }>("SELECT hash FROM audit_log WHERE id = 1").one().hash;
      const r = sql.exec<Row>("SELECT id, ts, type, user_id, session_id, actor, ip, data, prev_hash FROM audit_log WHERE id = 2").one();
      const hash = sha(prev, r);
      sql.exec("UPDATE audit_log SET hash = ? WHERE id = 2", hash);
      sql.exec("UPDATE audit_log SET prev_hash = ? WHERE id = 3", hash);
    });
    expect(await verify(t)).toMatchObject({ ok: false, broken_at: 3, reason: "altered" });
  });
});
