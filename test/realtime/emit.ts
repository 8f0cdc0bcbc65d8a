/** @module Test helper: commits revocation-log events through the object's real transaction and broadcast path, fast (no password hashing). */
import { runInDurableObject } from "cloudflare:test";
import type { TenantObject } from "../../objects/tenant.ts";
import type { EventType } from "../../objects/tenant/context.ts";
import { appendEvent } from "../../objects/tenant/events.ts";
import { stub } from "../helpers.ts";

export interface Emitted {
  type: EventType;
  sub: string;
  sid?: string;
  ver?: number;
  reason?: string;
}

/** Appends the events in one transaction and commits (broadcast included); returns their seqs. */
export function emit(slug: string, events: Emitted[]): Promise<number[]> {
  return runInDurableObject(stub(slug), async (o: TenantObject) => {
    const b = await o.begin();
    if (!b.ok) throw new Error(b.error.code);
    const ctx = b.value;
    const seqs = o.tx(ctx, () => events.map((e) => appendEvent(ctx, e.type, { sub: e.sub, sid: e.sid, ver: e.ver, reason: e.reason ?? "test" }).seq));
    await o.commit(ctx);
    return seqs;
  });
}

/** `n` session.revoked events for made-up sessions of `sub`. */
export const sessionEvents = (sub: string, n: number): Emitted[] => Array.from({ length: n }, (_, i) => ({ type: "session.revoked", sub, sid: `sid-${i}`, reason: "test" }));
