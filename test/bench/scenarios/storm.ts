/// <reference types="node" />
/**
 * @module A login storm on one tenant while introspection on the same tenant is measured at a
 * fixed offered rate, against the same introspection rate without the storm.
 */
import type { Ctx } from "../context.ts";
import { load } from "../load.ts";
import { sampler } from "../proc.ts";
import type { Row } from "../stats.ts";
import { PASSWORD } from "../warden.ts";
import { failures, introspection, SLUG, USERS } from "./http.ts";

const RATE = 200;
const STORM_CONNECTIONS = 8;

/**
 * `split`: the same storm against a server whose tenant objects run in a workerd process of
 * their own, as deployed (there the router's isolates never share a thread with an object);
 * one local workerd runs every isolate on one thread, so there a hash in the router stalls
 * the object.
 */
export async function storm(c: Ctx, key: string, tokens: string[], split = false): Promise<Row[]> {
  const tag = split ? " (objects in their own process)" : "";
  const quiet = await introspection(c, key, tokens, { scenario: `introspection, no storm${tag}`, rate: RATE, connections: 4 });
  let n = 0;
  const mem = sampler(c.w.rss);
  const [during, logins] = await Promise.all([
    introspection(c, key, tokens, { scenario: `introspection during login storm${tag}`, rate: RATE, connections: 4 }),
    load({
      url: c.w.url, connections: STORM_CONNECTIONS, durationS: c.sizes.durationS, method: "POST", path: `/v1/${SLUG}/login`,
      body: () => JSON.stringify({ login: `user${(n++ * 7) % USERS}`, password: PASSWORD }),
    }),
  ]);
  const rss = mem.stop();
  return [
    { ...quiet, target: undefined, met: null },
    { ...during, rss, target: "p99 ≤ 10 ms", met: during.p99 !== null && during.p99 <= 10 },
    { scenario: `login storm (same tenant)${tag}`, system: "warden", ...logins, rss, note: failures(logins.failures, `${STORM_CONNECTIONS} connections`) },
  ];
}
