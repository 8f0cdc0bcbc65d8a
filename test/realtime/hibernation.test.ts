/**
 * Hibernation: `ping` is answered `pong` by the runtime's auto-response without waking the
 * object, and a hibernated object that wakes for a revocation still finds its subscribers,
 * their kinds, tags and formats.
 */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { TenantObject } from "../../objects/tenant.ts";
import { apiKey, call, newTenant, signup, stub } from "../helpers.ts";
import { hello } from "./ws.ts";

describe("hibernation", () => {
  it("ping → pong by auto-response, without waking the object", async () => {
    const t = await newTenant();
    const { sub } = await hello(t, { key: await apiKey(t) });
    await evictDurableObject(stub(t), { webSockets: "hibernate" });
    const before = Date.now();
    sub.ws.send("ping");
    expect(await sub.next()).toBe("pong");
    // Not running: eviction rejects an object that is not running, so the ping did not wake it.
    await expect(evictDurableObject(stub(t))).rejects.toThrow();
    // The runtime recorded the auto-response on the hibernated socket.
    const stamps = await runInDurableObject(stub(t), (_o, state) => state.getWebSockets().map((ws) => state.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? null));
    expect(stamps).toHaveLength(1);
    expect(stamps[0]).toBeGreaterThanOrEqual(before - 1000);
    sub.close();
  });

  it("any other message wakes the object (the control for the test above), and is ignored", async () => {
    const t = await newTenant();
    const { sub } = await hello(t, { key: await apiKey(t) });
    await evictDurableObject(stub(t), { webSockets: "hibernate" });
    sub.ws.send("hello?");
    expect(await sub.quiet(100)).toBeNull();
    await expect(evictDurableObject(stub(t), { webSockets: "hibernate" })).resolves.toBeUndefined();
    sub.ws.send("ping");
    expect(await sub.next()).toBe("pong");
    sub.close();
  });

  it("a woken object delivers to its hibernated subscribers, filtered and formatted as before", async () => {
    const t = await newTenant();
    const a = await signup(t);
    const b = await signup(t);
    const key = await apiKey(t);
    const svc = (await hello(t, { key })).sub;
    const set = (await hello(t, { key, format: "set" })).sub;
    const ua = (await hello(t, { token: a.access_token })).sub;
    const ub = (await hello(t, { token: b.access_token })).sub;
    await evictDurableObject(stub(t), { webSockets: "hibernate" });
    await runInDurableObject(stub(t), (o: TenantObject) => expect(o.isOnline(a.session_id)).toBe(true));
    await call("POST", `/v1/${t}/logout`, { token: a.access_token });
    expect(await svc.next()).toMatchObject({ seq: 1, sid: a.session_id });
    expect(typeof (await set.next())).toBe("string");
    expect(await ua.next()).toMatchObject({ seq: 1, sid: a.session_id });
    expect((await ua.closed).code).toBe(4001);
    expect(await ub.quiet(50)).toBeNull();
    expect(ub.isClosed()).toBe(false);
    [svc, set, ub].forEach((s) => s.close());
  });
});
