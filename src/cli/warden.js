#!/usr/bin/env node
/**
 * @module `npx warden …`: the admin CLI. In a checkout it runs the TypeScript source
 * (src/cli/admin.ts) on the project's Node 24, which `npx` finds first on PATH
 * (node_modules/.bin, from the `node` devDependency) and which strips the types itself. In the
 * installed package, where there is no source, it runs the bundle `npm pack` builds
 * (dist/cli/admin.js, plain JavaScript for Node 20 and later).
 */
import { existsSync } from "node:fs";

const source = new URL("./admin.ts", import.meta.url);
let entry = new URL("../../dist/cli/admin.js", import.meta.url);
if (existsSync(source)) {
  if (!process.features.typescript) {
    process.stderr.write(
      `error: the admin CLI runs its TypeScript source, which Node ${process.version} cannot; ` +
        "run it as `npx warden …` from the project, which uses the project's Node 24\n",
    );
    process.exit(1);
  }
  entry = source;
}
const { main } = await import(entry.href);
await main(process.argv.slice(2));
