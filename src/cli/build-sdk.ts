/// <reference types="node" />
/**
 * @module `npm run build` (and `prepack`): the two client libraries as an installable package.
 * JavaScript: one ESM bundle per entry with esbuild (`dist/app/index.js`, `dist/client/index.js`),
 * so nothing is left to resolve at install time: the app client imports nothing, and the
 * verifier carries the part of jose it uses (WebCrypto underneath). Types: `tsc` with
 * src/cli/tsconfig.sdk.json, declarations only, with relative `.ts` specifiers rewritten to `.js` so a
 * consumer's default tsconfig resolves them. The Worker is not built here: wrangler bundles
 * `src/index.ts` itself. The admin CLI is bundled too (`dist/cli/admin.js`), for the `warden` bin.
 *
 *   node src/cli/build-sdk.ts          build dist/
 *   node src/cli/build-sdk.ts --size   also print the app client's minified + gzipped size
 */
import { spawnSync } from "node:child_process";
import { copyFile, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { PROJECT_ROOT } from "./project.ts";

export const DIST = join(PROJECT_ROOT, "dist");
const ENTRIES = ["app", "client"] as const;

/** ES2022 runs on Node 20, every current browser, Workers, Deno and Bun. */
const TARGET = "es2022";

async function bundle(entry: (typeof ENTRIES)[number]): Promise<void> {
  await build({
    entryPoints: [join(PROJECT_ROOT, "src", entry, "index.ts")],
    outfile: join(DIST, entry, "index.js"),
    bundle: true,
    format: "esm",
    // No Node built-ins and no browser globals assumed: the code looks globals up at run time.
    platform: "neutral",
    target: TARGET,
    legalComments: "eof",
    logLevel: "warning",
  });
}

/**
 * The admin CLI for the package's `warden` bin (src/cli/warden.js runs the TypeScript source in a
 * checkout, this bundle where there is none): one file for Node 20 and later, nothing to install.
 */
async function bundleCli(): Promise<void> {
  await build({
    entryPoints: [join(PROJECT_ROOT, "src", "cli", "admin.ts")],
    outfile: join(DIST, "cli", "admin.js"),
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    // ws (for `warden events`) is CommonJS and requires Node built-ins, which an ESM bundle
    // can only reach through a require of its own.
    banner: { js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);' },
    legalComments: "eof",
    logLevel: "warning",
  });
}

/** Rewrites `./x.ts` specifiers to `./x.js` in every emitted declaration file. */
async function fixDeclarations(dir: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await fixDeclarations(p);
    else if (e.name.endsWith(".d.ts")) {
      const src = await readFile(p, "utf8");
      await writeFile(p, src.replace(/((?:from|import)\s*\(?\s*["'])(\.{1,2}\/[^"']+)\.ts(["'])/g, "$1$2.js$3"));
    }
  }
}

function declarations(): void {
  const tsc = join(PROJECT_ROOT, "node_modules", "typescript", "bin", "tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", join(PROJECT_ROOT, "src", "cli", "tsconfig.sdk.json")], { stdio: "inherit" });
  if (r.status !== 0) throw new Error(`tsc (declarations) failed with ${r.status ?? r.signal}`);
}

export async function buildSdk(): Promise<void> {
  await rm(DIST, { recursive: true, force: true });
  await Promise.all([...ENTRIES.map(bundle), bundleCli()]);
  declarations();
  await fixDeclarations(DIST);
  // jose is MIT: its notice travels with the code bundled from it.
  await copyFile(join(PROJECT_ROOT, "node_modules", "jose", "LICENSE.md"), join(DIST, "client", "LICENSE.jose.md"));
  await copyFile(join(PROJECT_ROOT, "node_modules", "ws", "LICENSE"), join(DIST, "cli", "LICENSE.ws.md"));
}

/** The app client as a browser bundle would carry it: minified, then gzipped (bytes). */
export async function appClientSize(): Promise<{ minified: number; gzipped: number }> {
  const r = await build({
    entryPoints: [join(PROJECT_ROOT, "src", "app", "index.ts")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: TARGET,
    minify: true,
    write: false,
    logLevel: "warning",
  });
  const code = r.outputFiles[0].contents;
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildSdk();
  if (process.argv.includes("--size")) {
    const s = await appClientSize();
    console.log(`warden/app: ${s.minified} bytes minified, ${s.gzipped} bytes gzipped`);
  }
}
