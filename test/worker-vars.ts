/**
 * @module The vars and secrets the vitest suite's Worker runs with: the development
 * environment's vars of wrangler.toml, then these. Every secret the Worker reads (src/env.ts)
 * is here, with "" for the optional ones the tests run without ("" is absent to the code), so
 * that a developer's `.dev.vars`, which wrangler folds into the bindings of every config it
 * reads (the vitest plugin has no switch to stop it), can never reach a test: explicit
 * bindings win, key by key. test/core/test-env.test.ts checks that they do.
 */
export const TEST_VARS = {
  ADMIN_TOKEN: "test-admin-token-0123456789abcdef",
  MASTER_KEY: "dGVzdC1tYXN0ZXIta2V5LTAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWI=",
  MASTER_KEY_PREVIOUS: "",
  TURNSTILE_SECRET_KEY: "1x0000000000000000000000000000000AA",
  PUBLIC_URL: "http://warden.test",
  LOG_LEVEL: "error",
} as const;
