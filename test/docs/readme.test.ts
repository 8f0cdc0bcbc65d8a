/// <reference types="node" />
/**
 * @module The README, kept true to the code: every link to a section resolves, every variable
 * and binding the Worker reads is in the configuration table, every tenant setting is in the
 * settings table, the two set-up commands are there, and it stands on its own (no contract
 * document outside the repository is cited).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { PROJECT_ROOT } from "../../src/cli/project.ts";
import { settingsSchema } from "../../schema/settings.ts";

const readme = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");
/** Text outside fenced code blocks. */
const prose = readme.replace(/^```[\s\S]*?^```/gm, "");

/** GitHub's heading anchors: lower-case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(md: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, text] of md.replace(/^```[\s\S]*?^```/gm, "").matchAll(/^#{1,6} (.+)$/gm)) {
    const base = text
      .trim()
      .toLowerCase()
      .replace(/<[^>]+>/g, "")
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

function section(title: string): string {
  const start = readme.indexOf(`\n${title}\n`);
  assert.ok(start >= 0, `README has no "${title}"`);
  const level = title.match(/^#+/)![0].length;
  const rest = readme.slice(start + title.length + 2);
  const end = rest.search(new RegExp(`^#{1,${level}} `, "m"));
  return end < 0 ? rest : rest.slice(0, end);
}

describe("README", () => {
  test("every in-page link names a heading", () => {
    const have = anchors(readme);
    const broken = [...prose.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]).filter((a) => !have.has(a));
    assert.deepEqual(broken, []);
  });

  test("the contents list every section", () => {
    const contents = section("## Contents");
    const headings = [...prose.matchAll(/^#{2,3} (.+)$/gm)].map((m) => m[1]).filter((h) => h !== "Contents");
    assert.deepEqual(headings.filter((h) => !contents.includes(`[${h}](#`)), []);
  });

  test("it stands on its own: no contract document outside the repository is cited", () => {
    assert.doesNotMatch(readme, /\bSPEC\b/);
  });

  test("the two set-up commands and the reference", () => {
    assert.match(readme, /^npm start\b/m);
    assert.match(readme, /^npm test\b/m);
    assert.match(readme, /\/docs/);
    assert.match(readme, /\/openapi\.json/);
  });

  test("every variable, secret and binding of the Worker is in the configuration table", () => {
    const env = readFileSync(join(PROJECT_ROOT, "src/env.ts"), "utf8");
    const names = [...env.matchAll(/^\s+([A-Z][A-Z0-9_]+)\??:/gm)].map((m) => m[1]);
    assert.ok(names.length >= 10);
    const table = section("### Environment variables and secrets");
    assert.deepEqual(names.filter((n) => !table.includes(`| \`${n}\` |`)), []);
  });

  test("every tenant setting is in the settings table", () => {
    const table = section("### Tenant settings");
    const missing: string[] = [];
    const walk = (v: unknown, path: string[]) => {
      if (v && typeof v === "object" && !Array.isArray(v) && path.length < 2) {
        for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
        return;
      }
      const row = table.split("\n").find((l) => l.startsWith(`| \`${path[0]}`));
      if (!row || !row.includes(path.at(-1)!)) missing.push(path.join("."));
    };
    walk(settingsSchema().parse({}), []);
    assert.deepEqual(missing, []);
  });
});
