/**
 * @module The rules every webhook delivery follows (src/http/outbound.ts, objects/tenant/outbox.ts):
 * destinations checked when configured and before each attempt, redirects never followed, a
 * deadline per attempt, one slow receiver never holding up the rest of the outbox, and the
 * secret and the queued tokens sealed at rest.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { liveDelivery, RETRY_BASE_MS, WEBHOOK_TIMEOUT_MS } from "../../objects/tenant/outbox.ts";
import { admin, d1Eventually, env, expectError, newTenant, signup, stub, uniq } from "../helpers.ts";
import { client, DELIVERY, flush, HOOK_SECRET, HOOK_URL, rows, tenantWithUser, useMockOutbound } from "./kit.ts";

const out = useMockOutbound();

/** Private, link-local and metadata destinations: refused in every environment, development included. */
const REFUSED = ["https://10.0.0.1/hook", "https://169.254.169.254/latest/meta-data/", "https://[fd00:ec2::254]/", "https://[::ffff:a9fe:a9fe]/", "https://metadata.google.internal/computeMetadata/v1/", "https://192.168.0.10/"];

const forgot = (t: string, email: string) => client()("POST", `/v1/${t}/password/forgot`, { body: { email } });

describe("webhook destinations", () => {
  it.each(REFUSED)("PATCH settings refuses webhook_url %s with 400 naming the field, and changes nothing", async (url) => {
    const t = await newTenant(DELIVERY);
    const r = await admin("PATCH", `/tenants/${t}`, { settings: { delivery: { webhook_url: url } } });
    expectError(r, 400, "invalid_request");
    expect(r.body.error.details).toEqual([{ path: "settings.delivery.webhook_url", code: "custom", message: expect.stringMatching(/address|internal/) }]);
    expect((await admin("GET", `/tenants/${t}`)).body.settings.delivery.webhook_url).toBe(HOOK_URL);
  });

  it("creating a tenant with a refused webhook_url is 400 too, and creates nothing", async () => {
    const slug = uniq("t");
    const r = await admin("POST", "/tenants", { slug, name: "x", settings: { delivery: { webhook_url: "https://169.254.169.254/", webhook_secret: HOOK_SECRET } } });
    expectError(r, 400, "invalid_request");
    expect(r.body.error.details[0].path).toBe("settings.delivery.webhook_url");
    expectError(await admin("GET", `/tenants/${slug}`), 404, "tenant_not_found");
  });

  it("a refused URL already in the stored settings is checked again at send time: nothing is sent, the attempt fails", async () => {
    const { t, email } = await tenantWithUser();
    await runInDurableObject(stub(t), (o, state) => {
      const s = JSON.parse(state.storage.sql.exec<{ settings: string }>("SELECT settings FROM settings").one().settings);
      s.delivery.webhook_url = "https://169.254.169.254/latest/meta-data/";
      state.storage.sql.exec("UPDATE settings SET settings = ?", JSON.stringify(s));
      o.forget();
    });
    expect((await forgot(t, email)).status).toBe(202);
    await flush(t);
    expect(out.attempts).toHaveLength(0);
    const [row] = await rows<{ attempts: number; last_error: string }>(t, "SELECT attempts, last_error FROM outbox WHERE kind = 'webhook'");
    expect(row.attempts).toBe(1);
    expect(row.last_error).toContain("destination refused");
  });

  it("redirects are never followed: the request asks for manual redirects, and a 307 is a failed delivery", async () => {
    const { t, email } = await tenantWithUser();
    out.receiver = "redirect";
    await forgot(t, email);
    await flush(t);
    expect(out.attempts).toHaveLength(1);
    expect(out.attempts[0].redirect).toBe("manual");
    const [row] = await rows<{ attempts: number; last_error: string }>(t, "SELECT attempts, last_error FROM outbox WHERE kind = 'webhook'");
    expect(row).toMatchObject({ attempts: 1, last_error: expect.stringContaining("redirect") });
  });
});

describe("a receiver that hangs", () => {
  it("does not delay the D1 directory rows of later changes", async () => {
    const { t, email } = await tenantWithUser();
    out.receiver = "hang";
    await forgot(t, email);
    await runInDurableObject(stub(t), (o) => o.drain()); // the attempt is now under way, and stuck
    expect(out.attempts).toHaveLength(1);
    const s = await signup(t);
    const [dir] = await d1Eventually("SELECT user_id FROM user_directory WHERE tenant = ? AND user_id = ?", t, s.user.id);
    expect(dir.user_id).toBe(s.user.id);
    // Another drain while it hangs leaves the leased row alone: no second POST.
    await runInDurableObject(stub(t), (o) => o.drain());
    expect(out.attempts).toHaveLength(1);
    const [row] = await rows<{ next_attempt_at: number }>(t, "SELECT next_attempt_at FROM outbox WHERE kind = 'webhook'");
    expect(row.next_attempt_at).toBeGreaterThanOrEqual(clock.now() + WEBHOOK_TIMEOUT_MS);
  });

  it("counts as a failed attempt once its deadline passes, and is retried with backoff", async () => {
    const { t, email } = await tenantWithUser();
    // The production deadline is WEBHOOK_TIMEOUT_MS; a short one keeps the test quick.
    await runInDurableObject(stub(t), (o) => void (o.delivery = liveDelivery(env, { webhookTimeoutMs: 20 })));
    out.receiver = "hang";
    await forgot(t, email);
    await flush(t); // waits for the attempt to settle: it times out
    const [failed] = await rows<{ attempts: number; next_attempt_at: number; last_error: string }>(t, "SELECT attempts, next_attempt_at, last_error FROM outbox WHERE kind = 'webhook'");
    expect(failed.attempts).toBe(1);
    expect(failed.last_error).toContain("no answer within 20 ms");
    expect(failed.next_attempt_at).toBeGreaterThan(clock.now());

    out.receiver = "ok";
    clock.advance(RETRY_BASE_MS + 1_000);
    expect(await runDurableObjectAlarm(stub(t))).toBe(true);
    await flush(t);
    expect(out.attempts).toHaveLength(2);
    expect(out.delivered).toHaveLength(1);
    expect(JSON.parse(out.delivered[0].body)).toMatchObject({ type: "password_reset", email });
    expect(await rows(t, "SELECT id FROM outbox WHERE kind = 'webhook'")).toEqual([]);
  });
});

describe("sealed at rest", () => {
  it("a pending message's token and the webhook secret are nowhere in storage in clear", async () => {
    const { t, email } = await tenantWithUser();
    out.receiver = "fail";
    await forgot(t, email);
    await flush(t);
    out.receiver = "ok";
    clock.advance(RETRY_BASE_MS + 1_000);
    await runDurableObjectAlarm(stub(t));
    await flush(t);
    const token = JSON.parse(out.delivered[0].body).token as string;
    // Everything the object stores, as text: every row of every table and the KV pairs.
    out.receiver = "fail";
    await forgot(t, email);
    await flush(t);
    const dump = await runInDurableObject(stub(t), (_o, state) => {
      const tables = state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 4) != '_cf_'").toArray();
      return JSON.stringify(tables.map(({ name }) => state.storage.sql.exec(`SELECT * FROM "${name}"`).toArray()));
    });
    expect(dump).not.toContain(HOOK_SECRET);
    const pending = await rows<{ payload: string }>(t, "SELECT payload FROM outbox WHERE kind = 'webhook'");
    expect(pending).toHaveLength(1);
    expect(pending[0].payload).not.toContain(email);
    expect(pending[0].payload).toMatch(/"sealed":"v1\./);
    expect(dump).not.toContain(token);
    // The pending one is still delivered, and its token is in the body only then.
    out.receiver = "ok";
    clock.advance(RETRY_BASE_MS + 1_000);
    await runDurableObjectAlarm(stub(t));
    await flush(t);
    expect(out.delivered).toHaveLength(2);
    expect(dump).not.toContain(JSON.parse(out.delivered[1].body).token);
  });

  it("operators never read the webhook secret back: create, GET and PATCH show \"set\"", async () => {
    const slug = uniq("t");
    const c = await admin("POST", "/tenants", { slug, name: "x", settings: DELIVERY });
    expect(c.body.settings.delivery).toEqual({ webhook_url: HOOK_URL, webhook_secret: "set" });
    expect((await admin("GET", `/tenants/${slug}`)).body.settings.delivery.webhook_secret).toBe("set");
    const p = await admin("PATCH", `/tenants/${slug}`, { settings: { retention: { audit_days: 10 } } });
    expect(p.body.settings.delivery.webhook_secret).toBe("set");
    expect(JSON.stringify(p.body)).not.toContain(HOOK_SECRET);
    // "set" is not a secret: sending it back is refused rather than stored.
    expectError(await admin("PATCH", `/tenants/${slug}`, { settings: { delivery: { webhook_secret: "set" } } }), 400, "invalid_request");
    const off = await admin("PATCH", `/tenants/${slug}`, { settings: { delivery: { webhook_secret: null } } });
    expect(off.body.settings.delivery.webhook_secret).toBeNull();
  });

  it("a secret stored in clear before sealing is sealed when the object loads, and still signs", async () => {
    const { t, email } = await tenantWithUser();
    await runInDurableObject(stub(t), (o, state) => {
      const s = JSON.parse(state.storage.sql.exec<{ settings: string }>("SELECT settings FROM settings").one().settings);
      s.delivery.webhook_secret = HOOK_SECRET;
      state.storage.sql.exec("UPDATE settings SET settings = ?, webhook_secret_sealed = NULL", JSON.stringify(s));
      o.forget();
    });
    await forgot(t, email);
    await flush(t);
    expect(out.delivered).toHaveLength(1);
    const [row] = await rows<{ settings: string; webhook_secret_sealed: string | null }>(t, "SELECT settings, webhook_secret_sealed FROM settings");
    expect(row.settings).not.toContain(HOOK_SECRET);
    expect(row.webhook_secret_sealed).toMatch(/^v1\./);
  });
});
