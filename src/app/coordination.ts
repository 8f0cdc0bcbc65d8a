/**
 * @module How the instances that share one storage (the tabs of an origin, or several clients
 * over one store in a process) take turns and tell each other about changes:
 *
 * - `lock(name, fn)`: one holder at a time, so two tabs never present the same refresh token.
 *   Web Locks where the platform has them; else, over `localStorage`, a lease written to storage
 *   and read back (a best-effort mutex: two tabs that race it anyway present the same token
 *   within the server's grace window and both get the same successor); else in-process.
 * - `elect(name, signal, fn)`: the same lock held for as long as `fn` runs (the tab that holds
 *   the live socket). Without Web Locks or in-process sharing, every instance leads on its own.
 * - `post` / `subscribe`: a `BroadcastChannel`, else `storage` events, else in-process.
 *
 * Nothing is module-global except the in-process registry, which is keyed by the storage
 * object: two clients share state only when they share a store.
 */
import type { BroadcastChannelCtor, ChannelLike, LocksLike, StorageLike } from "./types.ts";

/** A change another instance made to the stored session. */
export interface Notice {
  kind: "signed_in" | "refreshed" | "signed_out" | "pending";
  reason?: string;
  /** The value just written to the session key: a channel message can arrive before another tab's storage shows the write. */
  raw?: string;
}

export interface Coordination {
  lock<T>(name: string, fn: () => Promise<T>): Promise<T>;
  elect(name: string, signal: AbortSignal, fn: () => Promise<void>): Promise<void>;
  post(n: Notice): void;
  subscribe(listener: (n: Notice) => void): () => void;
  close(): void;
}

/** An exclusive lock with a queue, whose waiters can give up. */
class Mutex {
  #held = false;
  #queue: (() => void)[] = [];

  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.#held) {
      await new Promise<void>((resolve, reject) => {
        const go = () => {
          signal?.removeEventListener("abort", quit);
          resolve();
        };
        const quit = () => {
          this.#queue = this.#queue.filter((w) => w !== go);
          reject(signal!.reason);
        };
        if (signal?.aborted) return reject(signal.reason);
        signal?.addEventListener("abort", quit, { once: true });
        this.#queue.push(go);
      });
    }
    this.#held = true;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#queue.shift();
      if (next) next();
      else this.#held = false;
    };
  }
}

interface Local {
  mutexes: Map<string, Mutex>;
  listeners: Set<{ from: object; fn: (n: Notice) => void }>;
}

/** Per storage object: the in-process stand-ins for locks and channel. */
const registry = new WeakMap<object, Local>();

function localOf(storage: StorageLike): Local {
  let l = registry.get(storage);
  if (!l) registry.set(storage, (l = { mutexes: new Map(), listeners: new Set() }));
  return l;
}

async function withMutex<T>(l: Local, name: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  let m = l.mutexes.get(name);
  if (!m) l.mutexes.set(name, (m = new Mutex()));
  const release = await m.acquire(signal);
  try {
    return await fn();
  } finally {
    release();
  }
}

export interface CoordinationOptions {
  storage: StorageLike;
  /** Prefix of the storage keys and of the lock and channel names. */
  namespace: string;
  locks: LocksLike | null;
  BroadcastChannel: BroadcastChannelCtor | null;
  /** `window` when `storage` is its `localStorage`: `storage` events then reach the other tabs. */
  storageEvents: { addEventListener(type: "storage", l: (e: { key: string | null; newValue: string | null }) => void): void; removeEventListener(type: "storage", l: (e: any) => void): void } | null;
  sleep(ms: number): Promise<void>;
  now(): number;
}

const LEASE_MS = 10_000;

export function createCoordination(o: CoordinationOptions): Coordination {
  const self = {};
  const local = localOf(o.storage);
  const channel: ChannelLike | null = o.BroadcastChannel ? new o.BroadcastChannel(o.namespace) : null;
  const noticeKey = `${o.namespace}:notice`;
  const cleanups: (() => void)[] = [];

  /** The storage lease: write our id, give competing writers a moment, read it back. */
  async function leased<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const key = `${o.namespace}:lock:${name}`;
    const id = Math.random().toString(36).slice(2);
    for (;;) {
      const held = parseLease(await o.storage.getItem(key));
      if (!held || held.until <= o.now()) {
        await o.storage.setItem(key, JSON.stringify({ id, until: o.now() + LEASE_MS }));
        await o.sleep(25);
        if (parseLease(await o.storage.getItem(key))?.id === id) break;
      }
      await o.sleep(50);
    }
    try {
      return await fn();
    } finally {
      if (parseLease(await o.storage.getItem(key))?.id === id) await o.storage.removeItem(key);
    }
  }

  const lock = <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const full = `${o.namespace}:${name}`;
    if (o.locks) return o.locks.request(full, {}, fn);
    // The in-process mutex first in every case: two instances in one tab or process never race the lease.
    return withMutex(local, full, undefined, () => (o.storageEvents ? leased(name, fn) : fn()));
  };

  const elect = async (name: string, signal: AbortSignal, fn: () => Promise<void>): Promise<void> => {
    const full = `${o.namespace}:${name}`;
    try {
      if (o.locks) await o.locks.request(full, { signal }, fn);
      else if (o.storageEvents) await fn(); // no election over storage: every tab leads
      else await withMutex(local, full, signal, fn);
    } catch (e) {
      if (!signal.aborted) throw e;
    }
  };

  const post = (n: Notice): void => {
    if (channel) return channel.postMessage(n);
    if (o.storageEvents) void o.storage.setItem(noticeKey, JSON.stringify({ ...n, nonce: Math.random() }));
    // Without a channel, instances in this tab or process hear each other here (storage events reach other tabs only).
    for (const l of local.listeners) if (l.from !== self) queueMicrotask(() => l.fn(n));
  };

  const subscribe = (fn: (n: Notice) => void): (() => void) => {
    const entry = { from: self, fn };
    local.listeners.add(entry);
    const offs: (() => void)[] = [() => void local.listeners.delete(entry)];
    if (channel) {
      const onMessage = (ev: { data: unknown }) => {
        if (isNotice(ev.data)) fn(ev.data);
      };
      channel.addEventListener("message", onMessage);
    } else if (o.storageEvents) {
      const onStorage = (e: { key: string | null; newValue: string | null }) => {
        if (e.key !== noticeKey || !e.newValue) return;
        try {
          const n = JSON.parse(e.newValue);
          if (isNotice(n)) fn(n);
        } catch {
          // not ours
        }
      };
      o.storageEvents.addEventListener("storage", onStorage);
      offs.push(() => o.storageEvents!.removeEventListener("storage", onStorage));
    }
    const off = () => offs.forEach((f) => f());
    cleanups.push(off);
    return off;
  };

  return {
    lock,
    elect,
    post,
    subscribe,
    close() {
      cleanups.splice(0).forEach((f) => f());
      channel?.close();
    },
  };
}

function isNotice(x: unknown): x is Notice {
  const k = (x as Notice | null)?.kind;
  return k === "signed_in" || k === "refreshed" || k === "signed_out" || k === "pending";
}

function parseLease(raw: string | null): { id: string; until: number } | null {
  if (!raw) return null;
  try {
    const v = JSON.parse(raw);
    return typeof v?.id === "string" && typeof v?.until === "number" ? v : null;
  } catch {
    return null;
  }
}

/** The store for Node and tests: a Map, per instance. */
export function memoryStorage(): StorageLike {
  const m = new Map<string, string>();
  return {
    getItem: (k) => m.get(k) ?? null,
    setItem: (k, v) => void m.set(k, v),
    removeItem: (k) => void m.delete(k),
  };
}
