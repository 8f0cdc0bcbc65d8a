/// <reference types="node" />
/**
 * @module Making sure a local server never outlives the process that started it.
 *
 * SIGKILL cannot be trapped, so cleaning up on exit is not enough: an OOM kill or a closed
 * terminal used to leave workerd holding the port, and the next `npm start` failed with "port
 * already in use". Two guards, both needed:
 * - a **watcher**: a tiny child process that reads a pipe from its parent and, when the pipe
 *   closes (the parent is gone, however it died), kills the runtime processes it was told
 *   about; it is not detached, so it is part of the parent's process group;
 * - a **pid file** per port: the next start finds a run whose owner is dead (or a runtime it
 *   left), kills what is left of it and goes on instead of failing.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { PROJECT_ROOT } from "./project.ts";

export interface RunRecord {
  /** The process that owns the run (`npm start`'s node). */
  owner: number;
  /** The runtime processes it started (workerd). */
  runtime: number[];
  port: number;
  started_at: string;
  /**
   * Where the run's ADMIN_TOKEN can be read again (`npx warden token`): the env file its
   * secrets came from, or `var` when `--var ADMIN_TOKEN:…` gave it (then it is nowhere on disk).
   * The record names the file rather than holding a second copy of the secret.
   */
  admin_token_from?: { file: string } | "var";
}

export function pidFilePath(port: number, root = PROJECT_ROOT): string {
  return join(root, ".wrangler", "run", `${port}.json`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

/**
 * Kills what a dead owner left behind on this port and removes its record. A record whose
 * owner still runs is a live server: that is refused, with a message naming it. Pids are
 * checked against their command line first, so a reused pid of an unrelated process is never
 * signalled.
 */
export async function reapStaleRun(port: number, root = PROJECT_ROOT): Promise<{ reaped: number[] }> {
  const path = pidFilePath(port, root);
  const record = readRunRecord(port, root);
  if (!record) return { reaped: [] };
  if (record.owner !== process.pid && ownerAlive(record)) {
    throw new Error(`a Warden server (pid ${record.owner}) is already running on port ${port}; stop it first`);
  }
  const reaped: number[] = [];
  for (const pid of record.runtime) {
    if (alive(pid) && /workerd/.test(commandOf(pid))) {
      process.kill(pid, "SIGKILL");
      reaped.push(pid);
    }
  }
  // The port is free once the kernel has closed the dead runtime's socket.
  for (let i = 0; i < 50 && reaped.some(alive); i++) await sleep(20);
  rmSync(path, { force: true });
  return { reaped };
}

function readRunRecord(port: number, root: string): RunRecord | undefined {
  try {
    return JSON.parse(readFileSync(pidFilePath(port, root), "utf8")) as RunRecord;
  } catch {
    return undefined;
  }
}

/** The owner is still `npm start` (a reused pid of another program does not count). */
function ownerAlive(record: RunRecord): boolean {
  return alive(record.owner) && /start\.ts/.test(commandOf(record.owner));
}

/** The record of the server running on `port` now, if one is. */
export function liveRun(port: number, root = PROJECT_ROOT): RunRecord | undefined {
  const record = readRunRecord(port, root);
  return record && ownerAlive(record) ? record : undefined;
}

export function writeRunRecord(record: RunRecord, root = PROJECT_ROOT): string {
  const path = pidFilePath(record.port, root);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  return path;
}

export function removeRunRecord(port: number, root = PROJECT_ROOT): void {
  rmSync(pidFilePath(port, root), { force: true });
}

/** The watcher's whole program: kill the listed pids when stdin ends. */
const WATCHER = `
let pids = [];
let buf = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (c) => {
  buf += c;
  let i;
  while ((i = buf.indexOf("\\n")) >= 0) {
    try { pids = JSON.parse(buf.slice(0, i)); } catch {}
    buf = buf.slice(i + 1);
  }
});
process.stdin.on("end", () => {
  for (const p of pids) { try { process.kill(p, "SIGKILL"); } catch {} }
  process.exit(0);
});
process.on("SIGINT", () => {});
`;

export interface Watcher {
  /** Tells the watcher which pids to kill once this process is gone. */
  watch(pids: number[]): void;
  proc: ChildProcess;
}

/** Starts the watcher; it does not keep this process alive. */
export function startWatcher(): Watcher {
  const proc = spawn(process.execPath, ["-e", WATCHER], { stdio: ["pipe", "ignore", "ignore"] });
  proc.unref();
  const stdin = proc.stdin!;
  (stdin as unknown as { unref?: () => void }).unref?.();
  return {
    proc,
    watch(pids) {
      stdin.write(`${JSON.stringify(pids)}\n`);
    },
  };
}
