/// <reference types="node" />
/**
 * @module wrangler.toml, read by wrangler itself: a deploy without `--env` must never be
 * development (production vars, no CORS `*`, a strict per-IP limiter), development values are
 * what the local servers select (`LOCAL_ENV`), and every environment declares the same bindings
 * (`[env.*]` sections do not inherit them).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { unstable_readConfig } from "wrangler";
import { D1_DATABASE, LOCAL_ENV } from "../../src/cli/dev-server.ts";
import { PROJECT_ROOT } from "../../src/cli/project.ts";

/** The parts of wrangler's resolved config this test reads. */
interface Config {
  name: string;
  vars: Record<string, unknown>;
  durable_objects: { bindings: { name: string; class_name: string }[] };
  d1_databases: { binding: string; database_name: string; database_id: string; migrations_dir: string }[];
  analytics_engine_datasets: { binding: string }[];
  ratelimits?: { name: string; simple: { limit: number; period: number } }[];
  triggers: { crons: string[] };
}

const read = (env?: string) => unstable_readConfig({ config: join(PROJECT_ROOT, "wrangler.toml"), env }) as unknown as Config;
const DEPLOYED = [undefined, "staging", "production"];
/** Requests per minute per IP above which a limiter is no shield. */
const STRICT_LIMIT_PER_MIN = 1000;

function limiterPerMinute(c: Config): number {
  const l = c.ratelimits?.find((r) => r.name === "IP_LIMITER");
  assert.ok(l, "IP_LIMITER binding");
  return (l.simple.limit * 60) / l.simple.period;
}

function bindings(c: Config) {
  return {
    durableObjects: c.durable_objects.bindings.map((b) => `${b.name}:${b.class_name}`),
    d1: c.d1_databases.map((d) => `${d.binding}:${d.migrations_dir}`),
    analytics: c.analytics_engine_datasets.map((a) => a.binding),
    ratelimits: (c.ratelimits ?? []).map((r) => r.name),
    crons: c.triggers.crons,
    vars: Object.keys(c.vars).sort(),
  };
}

test("the top level (a plain `wrangler deploy`) is production: vars, CORS and limiter", () => {
  const top = read();
  assert.equal(top.vars.ENVIRONMENT, "production");
  assert.equal(top.vars.JWT_EXPIRATION_MINUTES, "15");
  assert.notEqual(top.vars.LOG_LEVEL, "debug");
  const origins = String(top.vars.ALLOWED_ORIGINS ?? "").split(",").map((s) => s.trim());
  assert.ok(!origins.includes("*"), `ALLOWED_ORIGINS is ${top.vars.ALLOWED_ORIGINS}`);
  assert.ok(limiterPerMinute(top) <= STRICT_LIMIT_PER_MIN, `limiter ${limiterPerMinute(top)}/min`);
});

test("no deployed environment is development, allows every origin, or has a loose limiter", () => {
  for (const env of DEPLOYED) {
    const c = read(env);
    assert.notEqual(c.vars.ENVIRONMENT, "development", `env ${env ?? "(top level)"}`);
    assert.ok(!String(c.vars.ALLOWED_ORIGINS ?? "").includes("*"), `env ${env ?? "(top level)"}`);
    assert.ok(limiterPerMinute(c) <= STRICT_LIMIT_PER_MIN, `env ${env ?? "(top level)"}`);
  }
});

test("the local servers' environment is development, on the top level's D1 database", () => {
  const dev = read(LOCAL_ENV);
  const top = read();
  assert.equal(dev.vars.ENVIRONMENT, "development");
  assert.equal(dev.vars.JWT_EXPIRATION_MINUTES, "60");
  // `wrangler d1 execute warden --local`, with or without --env, reads what `npm start` wrote;
  // and the Durable Object state stays under the same Worker name.
  assert.equal(dev.name, top.name);
  assert.deepEqual(dev.d1_databases.map((d) => [d.database_name, d.database_id]), top.d1_databases.map((d) => [d.database_name, d.database_id]));
  assert.equal(dev.d1_databases[0].database_name, D1_DATABASE);
});

test("every environment declares the same bindings, crons and vars", () => {
  const expected = bindings(read());
  for (const env of [LOCAL_ENV, "staging", "production"]) assert.deepEqual(bindings(read(env)), expected, `env ${env}`);
});
