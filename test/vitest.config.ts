/**
 * @module Vitest runs every test inside workerd with the project's own wrangler.toml:
 * real Durable Object SQLite, D1 and alarms. Every var and secret is given explicitly
 * (test/worker-vars.ts), so a developer's `.dev.vars` changes nothing; outbound fetches
 * (Turnstile siteverify, webhooks) are answered by the in-memory mock in test/helpers.
 */
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { unstable_readConfig } from "wrangler";
import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";
import { TEST_VARS } from "./worker-vars.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

export default defineConfig(async () => {
  const migrations = await readD1Migrations(`${root}/schema/d1`);
  // wrangler.toml's own values (read without .dev.vars), then the tests'.
  const vars = { ...(unstable_readConfig({ config: `${root}/wrangler.toml`, env: "development" }).vars as Record<string, string>), ...TEST_VARS };
  return {
    root,
    plugins: [
      cloudflareTest({
        // The top level of wrangler.toml is production; the tests run with the development
        // environment's vars and bindings, as `npm start` does.
        wrangler: { configPath: `${root}/wrangler.toml`, environment: "development" },
        miniflare: {
          bindings: {
            ...vars,
            TEST_MIGRATIONS: migrations,
            // What test/core/test-env.test.ts compares the Worker's env with.
            TEST_EXPECTED_VARS: vars,
          },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      // test/app and test/package are node:test files (npm run test:sdk), like test/browser, test/e2e and test/docs.
      exclude: ["test/bench/**", "test/e2e/**", "test/browser/**", "test/examples/**", "test/app/**", "test/package/**", "test/docs/**", "test/fuzz/**", "node_modules/**"],
      setupFiles: ["test/setup.ts"],
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  };
});
