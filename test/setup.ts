import { applyD1Migrations, env, type D1Migration } from "cloudflare:test";

// Setup files run before each test file; the migrations are idempotent.
await applyD1Migrations(env.DB, (env as unknown as { TEST_MIGRATIONS: D1Migration[] }).TEST_MIGRATIONS);
