/// <reference types="node" />
/**
 * @module `npm start` (SPEC section 10): `.dev.vars`, local D1 migrations, `wrangler dev`
 * on port 8787 (or `PORT`) in wrangler.toml's `[env.development]` (the top level is
 * production), then the admin token and a first curl. Wrangler's output is
 * streamed until Ctrl-C; signals are forwarded and the exit code is wrangler's.
 */
import { constants } from "node:os";
import {
  applyLocalMigrations,
  ensureDevVars,
  LOCAL_ENV,
  startWrangler,
  type OutputListener,
  type RunningServer,
} from "./dev-server.ts";
import { DEFAULT_PORT, PROJECT_ROOT, portFromEnv } from "./project.ts";

const stream: OutputListener = (chunk, which) => (which === "stdout" ? process.stdout : process.stderr).write(chunk);

async function main(): Promise<number> {
  // Wrangler runs in its own process group, so the terminal's Ctrl-C reaches only us: forward
  // it. Before wrangler is up, exiting is enough (dev-server kills the group on exit); a
  // second signal kills wrangler outright.
  let server: RunningServer | undefined;
  let signals = 0;
  const forward = (signal: NodeJS.Signals) => {
    signals += 1;
    if (!server) process.exit(128 + constants.signals[signal]);
    if (signals === 1) {
      try {
        process.kill(-server.proc.pid!, signal);
      } catch {
        // already gone
      }
      setTimeout(() => void server?.stop(), 10_000).unref();
    } else {
      void server.stop();
    }
  };
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);

  const port = portFromEnv();
  const devVars = ensureDevVars(PROJECT_ROOT);
  console.log(devVars.created
    ? `Created ${devVars.path} with a new random ADMIN_TOKEN and MASTER_KEY (mode 0600).`
    : `Using ${devVars.path} as it is.`);
  const token = devVars.vars.ADMIN_TOKEN;
  if (!token) console.warn(`warning: ${devVars.path} has no ADMIN_TOKEN; the admin API will refuse every request.`);
  if (!devVars.vars.MASTER_KEY) console.warn(`warning: ${devVars.path} has no MASTER_KEY; the Worker cannot encrypt secrets.`);

  console.log("Applying the D1 migrations locally...");
  await applyLocalMigrations({ onOutput: stream });

  console.log(`Starting wrangler dev --env ${LOCAL_ENV} on port ${port}...`);
  // [env.development]'s PUBLIC_URL (the token issuer) names port 8787; follow PORT unless
  // .dev.vars sets its own.
  const vars: Record<string, string> =
    port !== DEFAULT_PORT && !devVars.vars.PUBLIC_URL ? { PUBLIC_URL: `http://localhost:${port}` } : {};
  server = await startWrangler({ port, vars, onOutput: stream });

  const base = `http://localhost:${port}`;
  const shown = token ?? "<ADMIN_TOKEN from .dev.vars>";
  console.log([
    "",
    `Warden is running at ${base}`,
    "",
    `  Admin token: ${shown}`,
    "",
    "  Create a first tenant:",
    `    export TOKEN='${shown}'`,
    `    curl -X POST ${base}/v1/admin/tenants -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"slug":"acme","name":"Acme"}'`,
    "",
    "  Or with the admin CLI:  npm run admin -- tenants create acme --name Acme",
    "",
    "Press Ctrl-C to stop.",
    "",
  ].join("\n"));

  const { code, signal } = await server.exited;
  await server.stop();
  if (code !== null) return code;
  return signal ? 128 + constants.signals[signal] : 1;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`npm start: ${error.message}`);
    process.exit(1);
  },
);
