/// <reference types="node" />
/**
 * @module Better Auth, for `npm run bench -- --vs better-auth`: email and password on Node with
 * SQLite (Node's built-in `node:sqlite`, which Better Auth's Kysely adapter accepts directly as a
 * `DatabaseSync`), and passwords hashed with Warden's own argon2id function (@noble/hashes,
 * m=19456 KiB, t=2, p=1) instead of Better Auth's default scrypt, so both pay the same hash
 * cost. Its version is pinned in package.json, so runs on different days compare the same
 * Better Auth. The bearer plugin lets the load generator send the session token in `Authorization`.
 *
 *   node test/bench/better-auth/server.ts PORT DB_FILE
 *
 * Prints `ready` once it listens.
 */
import { createServer } from "node:http";
import { DatabaseSync } from "node:sqlite";
import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { toNodeHandler } from "better-auth/node";
import { bearer } from "better-auth/plugins/bearer";
import { hashPassword, verifyPassword } from "../../../src/crypto/password.ts";
import { normalizePassword } from "../../../src/crypto/password-policy.ts";

const [port, file] = process.argv.slice(2);
const db = new DatabaseSync(file);
db.exec("PRAGMA journal_mode = WAL");
// As durable as Warden: a tenant object's commit is on disk before it answers, so every
// Better Auth commit is synced too (WAL's default, NORMAL, may lose the last commits on a crash).
db.exec("PRAGMA synchronous = FULL");
const baseURL = `http://127.0.0.1:${port}`;

const auth = betterAuth({
  baseURL,
  secret: "warden-bench-better-auth-secret-0123456789",
  database: db,
  emailAndPassword: {
    enabled: true,
    password: {
      hash: (password) => hashPassword(normalizePassword(password), "argon2id"),
      verify: ({ hash, password }) => verifyPassword(normalizePassword(password), hash),
    },
  },
  // The harness drives everything from one address, as it does for Warden.
  rateLimit: { enabled: false },
  telemetry: { enabled: false },
  plugins: [bearer()],
});

const { runMigrations } = await getMigrations(auth.options);
await runMigrations();

createServer(toNodeHandler(auth)).listen(Number(port), "127.0.0.1", () => console.log("ready"));
