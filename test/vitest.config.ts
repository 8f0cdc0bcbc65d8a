/**
 * @module Vitest runs every test inside workerd with the project's own wrangler.toml:
 * real Durable Object SQLite, D1 and alarms. Secrets are test values; outbound fetches
 * (Turnstile siteverify, webhooks) are answered by the in-memory mock in test/helpers.
 */
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

export default defineConfig(async () => {
  const migrations = await readD1Migrations(`${root}/schema/d1`);
  return {
    root,
    plugins: [
      cloudflareTest({
        // The top level of wrangler.toml is production; the tests run with the development
        // environment's vars and bindings, as `npm start` does.
        wrangler: { configPath: `${root}/wrangler.toml`, environment: "development" },
        miniflare: {
          bindings: {
            ADMIN_TOKEN: "test-admin-token-0123456789abcdef",
            MASTER_KEY: "dGVzdC1tYXN0ZXIta2V5LTAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWI=",
            TURNSTILE_SECRET_KEY: "1x0000000000000000000000000000000AA",
            PUBLIC_URL: "http://warden.test",
            LOG_LEVEL: "error",
            TEST_MIGRATIONS: migrations,
          },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      exclude: ["test/bench/**", "test/e2e/**", "test/browser/**", "test/examples/**", "node_modules/**"],
      setupFiles: ["test/setup.ts"],
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  };
});
