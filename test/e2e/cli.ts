/// <reference types="node" />
/** @module Runs the admin CLI as a subprocess, the way an operator or a script does. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const ADMIN_CLI = fileURLToPath(new URL("../../src/cli/warden.js", import.meta.url).href);
const PROJECT = fileURLToPath(new URL("../../", import.meta.url).href);

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `node src/cli/warden.js …args` (or, with `npx`, `npx warden …args` in the project, as the README
 * shows it) with none of the developer's WARDEN_* settings.
 */
export function runCli(args: string[], env: Record<string, string> = {}, o: { npx?: boolean } = {}): Promise<CliResult> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("WARDEN_") && key !== "PORT"),
  );
  return new Promise((resolve, reject) => {
    const [command, argv] = o.npx ? ["npx", ["warden", ...args]] : [process.execPath, [ADMIN_CLI, ...args]];
    const child = spawn(command, argv, {
      cwd: PROJECT,
      env: { ...clean, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
    child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Retries `check` until it stops throwing: D1 is written through the outbox, after the commit. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
