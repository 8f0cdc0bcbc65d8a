/** @module Helpers shared by the operator tests: the admin's and a manage key's view of one tenant, outbox flushing, the event log. */
import { runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import type { TenantObject } from "../../objects/tenant.ts";
import { ADMIN, call, PASSWORD, stub, type Call } from "../helpers.ts";

/** The same operator route two ways: `/v1/admin/tenants/{slug}{path}` with the admin token, or `/v1/{slug}/admin{path}` with a key. */
export function operator(slug: string, key?: string) {
  return (method: string, path: string, body?: unknown): Promise<Call> =>
    key === undefined ? call(method, `/v1/admin/tenants/${slug}${path}`, { body, token: ADMIN }) : call(method, `/v1/${slug}/admin${path}`, { body, token: key });
}

/** Delivers everything the tenant's outbox holds (D1 rows, analytics points), a drain batch at a time. */
export async function flush(slug: string): Promise<void> {
  await runInDurableObject(stub(slug), async (o: TenantObject, state) => {
    for (let i = 0; i < 500; i++) {
      await o.drain();
      if (state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n === 0) return;
    }
    throw new Error("the outbox does not drain");
  });
}

export async function lastEvent(slug: string): Promise<{ type: string; payload: any }> {
  return runInDurableObject(stub(slug), (_o: TenantObject, state) => {
    const r = state.storage.sql.exec<{ type: string; payload: string }>("SELECT type, payload FROM events ORDER BY seq DESC LIMIT 1").one();
    return { type: r.type, payload: JSON.parse(r.payload) };
  });
}

export async function login(slug: string, login: string, password = PASSWORD): Promise<Call> {
  return call("POST", `/v1/${slug}/login`, { body: { login, password } });
}

export async function expectLogin(slug: string, id: string, password = PASSWORD): Promise<any> {
  const r = await login(slug, id, password);
  expect(r.status, `${id}: ${JSON.stringify(r.body)}`).toBe(200);
  return r.body;
}
