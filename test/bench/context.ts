/// <reference types="node" />
/** @module What every scenario receives: the server, the admin client, the run's sizes and a logger. */
import type { Admin, Warden } from "./warden.ts";

export interface Sizes {
  quick: boolean;
  /** Seconds per throughput scenario. */
  durationS: number;
  /** Connections for the throughput scenarios that do not hash. */
  connections: number;
  /** Users and sessions of the large tenant (1,000,000 in a full run). */
  bigUsers: number;
  /** Sessions the alarm expires while requests are measured (100,000 in a full run). */
  expiring: number;
  /** WebSocket subscribers for revocation delivery. */
  subscribers: number;
  /** Revocations sent in the delivery scenario. */
  revocations: number;
}

export const FULL: Sizes = { quick: false, durationS: 15, connections: 16, bigUsers: 1_000_000, expiring: 100_000, subscribers: 1_000, revocations: 50 };
export const QUICK: Sizes = { quick: true, durationS: 3, connections: 16, bigUsers: 10_000, expiring: 10_000, subscribers: 1_000, revocations: 10 };

export interface Ctx {
  w: Warden;
  admin: Admin;
  sizes: Sizes;
  log(msg: string): void;
}
