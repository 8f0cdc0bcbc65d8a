/** @module The hash-chained audit log: what is written, and that the chain verifies and detects tampering. */
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { verifyAudit } from "../../objects/tenant/audit.ts";
import { call, login, newTenant, PASSWORD, refresh, rows, signup, stub } from "../helpers.ts";

afterEach(() => clock.reset());

const verify = (t: string) => runInDurableObject(stub(t), (_o, state) => verifyAudit(state.storage.sql));

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
    expect(await verify(t)).toEqual({ ok: true, checked: 7 });
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
    expect(await verify(t)).toEqual({ ok: false, checked: 1, broken_at: row.id });
  });

  it("a deleted row breaks the chain after it", async () => {
    const t = await newTenant();
    await signup(t);
    await signup(t);
    const [row] = await rows<{ id: number }>(t, "SELECT id FROM audit_log WHERE type = 'signup' ORDER BY id LIMIT 1");
    await rows(t, "DELETE FROM audit_log WHERE id = ?", row.id);
    expect(await verify(t)).toMatchObject({ ok: false, broken_at: row.id + 1 });
  });
});
