/** @module Test typing: `env` from cloudflare:test is the Worker's own Env, plus the D1 migration type setup.ts uses. */
import type { D1Migration as Migration } from "cloudflare:test";
import type { Env as WardenEnv } from "../src/env.ts";

declare global {
  namespace Cloudflare {
    interface Env extends WardenEnv {}
  }
  type D1Migration = Migration;
}
