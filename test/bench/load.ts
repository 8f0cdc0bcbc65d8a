/// <reference types="node" />
/**
 * @module The HTTP load generator (autocannon, in this process) behind one small function:
 * a request factory per connection, a fixed duration, and the numbers the table needs.
 */
import autocannon from "autocannon";

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
