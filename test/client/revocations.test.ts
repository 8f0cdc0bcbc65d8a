/** Revocation state of the client library: what each event revokes, pruning by time, the memory bound. */
import { describe, expect, it } from "vitest";
import { Revocations } from "../../src/client/revocations.ts";
import type { WardenEvent } from "../../src/client/types.ts";

const T0 = Date.parse("2026-01-01T00:00:00.000Z");
const HORIZON = (3600 + 60) * 1000;
let seq = 0;
const ev = (type: WardenEvent["type"], at: number, o: Partial<WardenEvent> = {}): WardenEvent => ({ seq: ++seq, type, ts: new Date(at).toISOString(), tenant: "t", sub: "u1", reason: "test", ...o });
const tok = (o: Partial<{ sid: string; sub: string; ver: number; iat: number; client_id: string }> = {}) => ({ sid: "s1", sub: "u1", ver: 1, iat: T0 / 1000 - 60, ...o });

describe("Revocations", () => {
  it("session.revoked and session.expired revoke that session's tokens only", () => {
    const r = new Revocations();
    r.apply(ev("session.revoked", T0, { sid: "s1" }), T0);
    r.apply(ev("session.expired", T0, { sid: "s2" }), T0);
    expect(r.check(tok(), T0)).toBe("revoked");
    expect(r.check(tok({ sid: "s2" }), T0)).toBe("revoked");
    expect(r.check(tok({ sid: "s3" }), T0)).toBe("ok");
  });

  it("user.revoked / disabled / deleted revoke every token with an older ver, and keep the highest ver", () => {
    const r = new Revocations();
    r.apply(ev("user.revoked", T0, { ver: 3 }), T0);
    r.apply(ev("user.disabled", T0, { ver: 2 }), T0); // late, older: does not lower the bar
    expect(r.check(tok({ ver: 2 }), T0)).toBe("revoked");
    expect(r.check(tok({ ver: 3 }), T0)).toBe("ok");
    r.apply(ev("user.deleted", T0, { sub: "u2", ver: 5 }), T0);
    expect(r.check(tok({ sub: "u2", ver: 4 }), T0)).toBe("revoked");
    expect(r.check(tok({ ver: 2 }), T0)).toBe("revoked");
  });

  it("a user event without ver revokes the user's tokens issued up to the event", () => {
    const r = new Revocations();
    r.apply(ev("user.revoked", T0), T0);
    expect(r.check(tok({ iat: T0 / 1000 }), T0)).toBe("revoked");
    expect(r.check(tok({ iat: T0 / 1000 + 1 }), T0)).toBe("ok");
  });

  it("tenant.revoked: every user token of an earlier second is revoked, one of its own second uncertain, a later one ok", () => {
    const r = new Revocations();
    const at = T0 + 400; // mid-second: a token of this second may predate or follow it
    r.apply(ev("tenant.revoked", at, { sub: "t" }), T0);
    expect(r.check(tok({ iat: T0 / 1000 - 1 }), T0)).toBe("revoked");
    expect(r.check(tok({ sub: "u9", sid: "s9", ver: 7, iat: T0 / 1000 - 1 }), T0)).toBe("revoked");
    expect(r.check(tok({ iat: T0 / 1000 - 1, client_id: "app" }), T0)).toBe("revoked"); // a user's OAuth token
    expect(r.check(tok({ iat: T0 / 1000 }), T0)).toBe("uncertain");
    expect(r.check(tok({ iat: T0 / 1000 + 1 }), T0)).toBe("ok");
    // client_credentials: sub is the client, no session; not signed out
    expect(r.check(tok({ sub: "app", client_id: "app", iat: T0 / 1000 - 1 }), T0)).toBe("ok");
    expect(r.stats().tenantRevokedAt).toBe(at);
    expect(r.size).toBe(0); // one mark, not an entry per user
  });

  it("tenant.revoked lapses with the horizon, and an older one does not move the mark back", () => {
    const r = new Revocations();
    r.apply(ev("tenant.revoked", T0, { sub: "t" }), T0);
    r.apply(ev("tenant.revoked", T0 - 10_000, { sub: "t" }), T0);
    expect(r.check(tok({ iat: T0 / 1000 - 5 }), T0)).toBe("revoked");
    r.prune(T0 + HORIZON - 1, true);
    expect(r.stats().tenantRevokedAt).toBe(T0);
    r.prune(T0 + HORIZON, true);
    expect(r.stats().tenantRevokedAt).toBeNull();
    expect(r.check(tok({ iat: T0 / 1000 - 5 }), T0 + HORIZON)).toBe("ok");
  });

  it("key.rotated revokes nothing; an event older than the horizon is not even stored", () => {
    const r = new Revocations();
    r.apply(ev("key.rotated", T0, { sub: "t" }), T0);
    r.apply(ev("session.revoked", T0 - HORIZON - 1, { sid: "old" }), T0);
    expect(r.size).toBe(0);
  });

  it("prunes an entry once every token it concerns has expired (TTL + leeway), at most once a minute", () => {
    const r = new Revocations();
    r.apply(ev("session.revoked", T0, { sid: "s1" }), T0);
    r.apply(ev("user.revoked", T0 + 30_000, { ver: 2 }), T0);
    r.prune(T0 + HORIZON - 1, true);
    expect(r.size).toBe(2);
    r.prune(T0 + HORIZON, true);
    expect(r.stats()).toMatchObject({ sessions: 0, users: 1 });
    r.prune(T0 + HORIZON + 30_000); // within a minute of the last scan: skipped
    expect(r.size).toBe(1);
    r.prune(T0 + HORIZON + 60_000);
    expect(r.size).toBe(0);
  });

  it("custom maxTokenTtlS and leewayS set the horizon", () => {
    const r = new Revocations({ maxTokenTtlS: 900, leewayS: 0 });
    r.apply(ev("session.revoked", T0, { sid: "s1" }), T0);
    r.prune(T0 + 900_000, true);
    expect(r.size).toBe(0);
  });

  it("forgetBefore makes older tokens uncertain, until they have all expired", () => {
    const r = new Revocations();
    r.forgetBefore(T0);
    expect(r.check(tok({ iat: T0 / 1000 - 1 }), T0)).toBe("uncertain");
    expect(r.check(tok({ iat: T0 / 1000 }), T0)).toBe("ok");
    r.prune(T0 + HORIZON, true);
    expect(r.stats().unknownBefore).toBeNull();
    expect(r.check(tok({ iat: T0 / 1000 - 1 }), T0 + HORIZON)).toBe("ok");
  });

  it("never holds more than maxEntries; a dropped entry's tokens become uncertain, never accepted as ok", () => {
    const r = new Revocations({ maxEntries: 100 });
    for (let i = 0; i < 1000; i++) r.apply(ev("session.revoked", T0 + i * 1000, { sid: `s${i}` }), T0);
    expect(r.size).toBe(100);
    // s0 was dropped: a token of it issued before its event is uncertain, not ok
    expect(r.check(tok({ sid: "s0", iat: T0 / 1000 - 1 }), T0)).toBe("uncertain");
    expect(r.check(tok({ sid: "s999" }), T0)).toBe("revoked");
    // a token issued after every dropped event is fine
    expect(r.check(tok({ sid: "new", iat: (T0 + 901_000) / 1000 }), T0)).toBe("ok");
  });
});
