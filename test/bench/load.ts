/// <reference types="node" />
/**
 * @module The HTTP load generator (autocannon, in this process) behind one small function:
 * a request factory per connection, a fixed duration, and the numbers the table needs.
 */
import { Agent, request } from "node:http";
import autocannon from "autocannon";
import { percentile } from "./stats.ts";

export interface LoadSpec {
  url: string;
  /** Concurrent connections (each keeps one request in flight). */
  connections: number;
  durationS: number;
  /** Requests per second across all connections; unset: as fast as the server answers. */
  rate?: number;
  method: "GET" | "POST" | "DELETE";
  path: string;
  headers?: Record<string, string>;
  /** A body per request; `conn` is a per-connection scratch object. */
  body?: (conn: Record<string, unknown>) => string | undefined;
  /** Read a response (e.g. to keep the next refresh token). */
  onResponse?: (status: number, body: string, conn: Record<string, unknown>) => void;
  /** Status codes that count as success; default 2xx. */
  ok?: (status: number) => boolean;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  failures: number;
}

export async function load(spec: LoadSpec): Promise<LoadResult> {
  let failures = 0;
  const ok = spec.ok ?? ((s: number) => s >= 200 && s < 300);
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationS,
    overallRate: spec.rate,
    timeout: 30,
    requests: [
      {
        method: spec.method,
        path: spec.path,
        headers: { "content-type": "application/json", ...(spec.headers ?? {}) },
        setupRequest: (req, context) => {
          const body = spec.body?.(context as Record<string, unknown>);
          return body === undefined ? req : { ...req, body };
        },
        onResponse: (status, body, context) => {
          if (!ok(status)) failures++;
          spec.onResponse?.(status, body, context as Record<string, unknown>);
        },
      },
    ],
  });
  const done = result.requests.total;
  return {
    rps: done / spec.durationS,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: done,
    failures: failures + result.errors + result.timeouts,
  };
}

/**
 * A closed loop of `workers` async clients for `durationS` (for flows where each request
 * depends on the previous answer, which autocannon's per-request context cannot carry).
 * `step` performs one request and says whether it succeeded.
 */
export async function loop(workers: number, durationS: number, step: (worker: number) => Promise<boolean>): Promise<LoadResult> {
  const lat: number[] = [];
  let failures = 0;
  const end = performance.now() + durationS * 1000;
  await Promise.all(Array.from({ length: workers }, async (_, w) => {
    while (performance.now() < end) {
      const t = performance.now();
      const ok = await step(w);
      lat.push(performance.now() - t);
      if (!ok) failures++;
    }
  }));
  return { rps: lat.length / durationS, p50: percentile(lat, 50)!, p99: percentile(lat, 99)!, requests: lat.length, failures };
}

/**
 * A JSON POST over a keep-alive `node:http` agent: for closed loops where each request needs
 * the previous answer. Node's `fetch` cost the load generator more CPU per request than the
 * server spent on a refresh, and autocannon's per-connection context lost a chain now and then
 * (a request sent twice with one refresh token is reuse, and revokes the chain).
 */
export function jsonPoster(base: string, connections: number): { post(path: string, body: unknown): Promise<{ status: number; body: string }>; close(): void } {
  const url = new URL(base);
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  return {
    post: (path, body) => new Promise((resolve, reject) => {
      const data = JSON.stringify(body);
      const req = request({ agent, host: url.hostname, port: url.port, method: "POST", path, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(data) } }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(data);
    }),
    close: () => agent.destroy(),
  };
}
