/** @module Percentiles and the result row every scenario produces. */

export interface Row {
  /** Scenario name, e.g. "introspection". */
  scenario: string;
  system: "warden" | "better-auth";
  /** Operations per second (requests, verifications or deliveries). */
  rps: number | null;
  p50: number | null;
  p99: number | null;
  /** Peak RSS of the server process tree during the scenario, bytes. */
  rss: number | null;
  /** CPU time of the server's processes per operation, µs (HTTP rows; from /proc). */
  cpu?: number | null;
  /** The performance target, in words, and whether it was met (null: no target). */
  target?: string;
  met?: boolean | null;
  note?: string;
}

/** Nearest-rank percentile of unsorted samples (milliseconds). */
export function percentile(samples: number[], p: number): number | null {
  if (!samples.length) return null;
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const median = (xs: number[]): number | null => percentile(xs, 50);
