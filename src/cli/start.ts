/// <reference types="node" />
/**
 * @module `npm start`: `.dev.vars`, local D1 migrations, then the Worker in Miniflare on port
 * 8787 (or `PORT`), in wrangler.toml's `[env.development]` (the top level is production),
 * without wrangler's reload proxy (src/cli/local-server.ts), the cron
 * triggers on their schedule, and the admin token with a first curl (`npx warden token` prints the
 * token again: the run record names the file it came from). Runs until Ctrl-C or
 * SIGTERM. The end-to-end tests and the benchmark start the server through this same file
 * (src/cli/dev-server.ts `startServer`), with flags that isolate it:
 *
 *   --port N          instead of PORT / 8787
 *   --persist-to DIR  instead of .wrangler/state
 *   --env-file FILE   secrets from FILE instead of .dev.vars (which is then neither read nor created)
 *   --var KEY:VALUE   a var or secret override (repeatable)
 *   --exit-with-stdin stop when standard input closes (the parent that spawned us is gone)
 *   --quiet           no banner
 *   --split           the tenant objects in a workerd process of their own (npm run bench)
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { applyLocalMigrations, ensureDevVars, LOCAL_ENV, type OutputListener } from "./dev-server.ts";
import { readEnvFile } from "./dev-vars.ts";
import { startLocalServer, type LocalServer } from "./local-server.ts";
import { DEFAULT_PORT, PROJECT_ROOT, portFromEnv } from "./project.ts";
import { reapStaleRun, removeRunRecord, startWatcher, writeRunRecord } from "./reaper.ts";

const stream: OutputListener = (chunk, which) => (which === "stdout" ? process.stdout : process.stderr).write(chunk);

function parsePort(raw: string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--port must be an integer between 1 and 65535, got ${JSON.stringify(raw)}`);
  return port;
}

function parseVars(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of list) {
    const i = v.indexOf(":");
    if (i <= 0) throw new Error(`--var takes KEY:VALUE, got ${JSON.stringify(v)}`);
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      "persist-to": { type: "string" },
      "env-file": { type: "string" },
      var: { type: "string", multiple: true, default: [] },
      "exit-with-stdin": { type: "boolean", default: false },
      quiet: { type: "boolean", default: false },
      split: { type: "boolean", default: false },
    },
  });
  const port = values.port ? parsePort(values.port) : portFromEnv();
  const overrides = parseVars(values.var);

  let server: LocalServer | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) process.exit(code);
    stopping = true;
    // Nothing else may keep the event loop alive while the runtime shuts down.
    const hold = setInterval(() => {}, 1000);
    removeRunRecord(port);
    await server?.stop().catch((e: Error) => console.error(`npm start: stopping the runtime failed: ${e.message}`));
    clearInterval(hold);
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(130));
  process.on("SIGTERM", () => void stop(143));
  if (values["exit-with-stdin"]) {
    process.stdin.resume();
    process.stdin.on("end", () => void stop(0));
  }

  // The file the secrets come from, so that `npx warden token` can read the token again.
  const secretsFile = resolve(values["env-file"] ?? join(PROJECT_ROOT, ".dev.vars"));
  let token: string | undefined = overrides.ADMIN_TOKEN;
  if (values["env-file"]) {
    token ??= readEnvFile(secretsFile)?.ADMIN_TOKEN;
  } else {
    const devVars = ensureDevVars(PROJECT_ROOT);
    console.log(devVars.created
      ? `Created ${devVars.path} with a new random ADMIN_TOKEN and MASTER_KEY (mode 0600).`
      : `Using ${devVars.path} as it is.`);
    token ??= devVars.vars.ADMIN_TOKEN;
    if (!token) console.warn(`warning: ${devVars.path} has no ADMIN_TOKEN; the admin API will refuse every request.`);
    if (!devVars.vars.MASTER_KEY && !overrides.MASTER_KEY) console.warn(`warning: ${devVars.path} has no MASTER_KEY; the Worker cannot encrypt secrets.`);
    // wrangler.toml's PUBLIC_URL (the token issuer) names port 8787; follow the port unless
    // .dev.vars sets its own.
    if (port !== DEFAULT_PORT && !devVars.vars.PUBLIC_URL && !overrides.PUBLIC_URL) overrides.PUBLIC_URL = `http://localhost:${port}`;
  }

  const { reaped } = await reapStaleRun(port);
  if (reaped.length) console.log(`Stopped what an earlier run left on port ${port} (pids ${reaped.join(", ")}).`);

  if (!values.quiet) console.log("Applying the D1 migrations locally...");
  await applyLocalMigrations({ persistTo: values["persist-to"], onOutput: values.quiet ? undefined : stream });

  // Started before the runtime, so that no moment exists when workerd runs unwatched.
  const watcher = startWatcher();
  server = await startLocalServer({
    port,
    persistTo: values["persist-to"],
    envFile: values["env-file"],
    env: LOCAL_ENV,
    vars: overrides,
    split: values.split,
  });
  const runtime = server.runtimePids();
  watcher.watch(runtime);
  writeRunRecord({
    owner: process.pid,
    runtime,
    port,
    started_at: new Date().toISOString(),
    admin_token_from: overrides.ADMIN_TOKEN !== undefined ? "var" : { file: secretsFile },
  });

  if (!values.quiet) {
    const base = `http://localhost:${port}`;
    const shown = token ?? "<ADMIN_TOKEN from .dev.vars>";
    const tokenHint = port === DEFAULT_PORT ? "npx warden token" : `npx warden token --port ${port}`;
    console.log([
      "",
      `Warden is running at ${base}`,
      "",
      `  Admin token: ${shown}`,
      `  (print it again any time, from another terminal: ${tokenHint})`,
      "",
      "  Create a first tenant:",
      `    export TOKEN='${shown}'`,
      `    curl -X POST ${base}/v1/admin/tenants -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"slug":"acme","name":"Acme"}'`,
      "",
      "  Or with the admin CLI:  npx warden tenants create acme --name Acme",
      "",
      "Press Ctrl-C to stop.",
      "",
    ].join("\n"));
  } else {
    console.log(`ready ${server.url}`);
  }
  return new Promise<number>(() => {});
}

main().catch((error: Error) => {
  console.error(`npm start: ${error.message}`);
  process.exit(1);
});
