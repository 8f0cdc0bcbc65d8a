/// <reference types="node" />
/**
 * @module Memory and CPU of a server under test, from /proc (Linux): the summed RSS of a
 * process tree, sampled while a scenario runs so the table can show its peak, and the CPU
 * time the tree spent per operation.
 */
import { readdirSync, readFileSync } from "node:fs";

interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
}

function procs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // pid (comm) state ppid ...: comm may contain spaces and parentheses.
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const ppid = Number(stat.slice(close + 2).split(" ")[1]);
      out.push({ pid: Number(name), ppid, comm });
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Every descendant of `root` (and root itself). */
export function tree(root: number): ProcInfo[] {
  const all = procs();
  const keep = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of all) if (!keep.has(p.pid) && keep.has(p.ppid)) (keep.add(p.pid), (grew = true));
  }
  return all.filter((p) => keep.has(p.pid));
}

/** RSS of the processes under `root` whose name matches `only` (all of them when omitted). */
export function treeRss(root: number, only?: RegExp): number {
  return tree(root)
    .filter((p) => !only || only.test(p.comm))
    .reduce((sum, p) => sum + rssBytes(p.pid), 0);
}

/** Samples `measure()` every `everyMs` until stopped; `stop()` returns the peak. */
export function sampler(measure: () => number, everyMs = 250): { stop(): number } {
  let peak = measure();
  const t = setInterval(() => (peak = Math.max(peak, measure())), everyMs);
  return {
    stop() {
      clearInterval(t);
      return Math.max(peak, measure());
    },
  };
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime, stime, cutime, cstime (fields 14–17): children that already exited count too.
    return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  } catch {
    return 0;
  }
}

/** CPU time (user and system) spent so far by the processes under `root`, in ms. */
export function treeCpuMs(root: number): number {
  return tree(root).reduce((s, p) => s + cpuTicks(p.pid), 0) * TICK_MS;
}

/**
 * A server's peak RSS and its CPU time per operation over one scenario, from now until
 * `stop(ops)`. CPU per operation is what an operation costs the server rather than how fast it
 * answers, so a comparison does not depend on how the cores were shared with the load
 * generator; it still moves with the machine's own speed, as ops/s does.
 */
export function serverMeter(server: { rss(): number; cpu(): number }): { stop(ops: number): { rss: number; cpu: number | null } } {
  const mem = sampler(server.rss);
  const start = server.cpu();
  return {
    stop(ops) {
      const cpu = ops > 0 ? ((server.cpu() - start) * 1000) / ops : null;
      return { rss: mem.stop(), cpu };
    },
  };
}

function machineBusyTicks(): number {
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy = all but idle and iowait
  return cpu.reduce((a, b) => a + b, 0) - cpu[3] - (cpu[4] ?? 0);
}

/**
 * CPU used on this machine by processes outside this run (other people's builds and tests):
 * machine busy time minus this process tree's, as an average number of cores.
 */
export function foreignCpu(): { stop(): number } {
  const root = process.pid;
  const ours = () => tree(root).reduce((s, p) => s + cpuTicks(p.pid), 0);
  const m0 = machineBusyTicks();
  let o = ours();
  let exitedOurs = 0;
  // Sample our tree now and then: a child that exits between samples is still counted through cutime.
  const t0 = performance.now();
  const timer = setInterval(() => {
    const now = ours();
    if (now < o) exitedOurs += o - now;
    o = now;
  }, 1_000);
  const start = o;
  return {
    stop() {
      clearInterval(timer);
      const end = ours();
      const oursTicks = end - start + exitedOurs + (end < o ? o - end : 0);
      const foreign = machineBusyTicks() - m0 - oursTicks;
      return Math.max(0, (foreign * TICK_MS) / (performance.now() - t0));
    },
  };
}
