/** @module What `env` from `cloudflare:test` holds in the tests: the Worker's own bindings. */
import type { Env as WorkerEnv } from "../src/env.ts";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {}
  }
}
