/// <reference types="node" />
/**
 * @module test/ASVS.md, the map of OWASP ASVS 5.0 chapters V6, V7 and V9 to Warden, kept true:
 * every requirement appears once with its official level, every L1 and L2 row names a test or
 * a README section or says why it does not apply, every named test still exists under that
 * exact name with the requirement id beside it, and every named README section still exists.
 * Runs under node:test (the vitest suite runs inside workerd, without a file system).
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { PROJECT_ROOT } from "../../src/cli/project.ts";

/**
 * The 73 requirements of ASVS 5.0.0 chapters V6, V7 and V9 with their levels. Held here rather
 * than read from the map, so a row that disappears from the map is noticed.
 */
const REQUIREMENTS: Record<string, 1 | 2 | 3> = {
  "6.1.1": 1, "6.1.2": 2, "6.1.3": 2,
  "6.2.1": 1, "6.2.2": 1, "6.2.3": 1, "6.2.4": 1, "6.2.5": 1, "6.2.6": 1, "6.2.7": 1, "6.2.8": 1,
  "6.2.9": 2, "6.2.10": 2, "6.2.11": 2, "6.2.12": 2,
  "6.3.1": 1, "6.3.2": 1, "6.3.3": 2, "6.3.4": 2, "6.3.5": 3, "6.3.6": 3, "6.3.7": 3, "6.3.8": 3,
  "6.4.1": 1, "6.4.2": 1, "6.4.3": 2, "6.4.4": 2, "6.4.5": 3, "6.4.6": 3,
  "6.5.1": 2, "6.5.2": 2, "6.5.3": 2, "6.5.4": 2, "6.5.5": 2, "6.5.6": 3, "6.5.7": 3, "6.5.8": 3,
  "6.6.1": 2, "6.6.2": 2, "6.6.3": 2, "6.6.4": 3,
  "6.7.1": 3, "6.7.2": 3,
  "6.8.1": 2, "6.8.2": 2, "6.8.3": 2, "6.8.4": 2,
  "7.1.1": 2, "7.1.2": 2, "7.1.3": 2,
  "7.2.1": 1, "7.2.2": 1, "7.2.3": 1, "7.2.4": 1,
  "7.3.1": 2, "7.3.2": 2,
  "7.4.1": 1, "7.4.2": 1, "7.4.3": 2, "7.4.4": 2, "7.4.5": 2,
  "7.5.1": 2, "7.5.2": 2, "7.5.3": 3,
  "7.6.1": 2, "7.6.2": 2,
  "9.1.1": 1, "9.1.2": 1, "9.1.3": 1,
  "9.2.1": 1, "9.2.2": 2, "9.2.3": 2, "9.2.4": 2,
};

/**
 * What a row may say. `tested` and `documented` need a test or a README section; `partly met`
 * needs one and the gap in words; `not met` and `n/a` need the reason in words. L3 rows may
 * also be `L3, not claimed`.
 */
const STATUSES = ["tested", "documented", "partly met", "not met", "n/a", "L3, not claimed"] as const;
type Status = (typeof STATUSES)[number];

/** A test named in the map: `` `test/….test.ts` "its exact name" ``. */
const TEST_REF = /`(test\/[^`\s]+\.test\.ts)`\s+"([^"]+)"/g;
/** A README section named in the map: `[Heading](../README.md#anchor)`. */
const README_REF = /\[([^\]]+)\]\(\.\.\/README\.md#([^)\s]+)\)/g;

interface Row {
  line: number;
  id: string;
  level: string;
  status: string;
  evidence: string;
}

/** The table rows of the map whose first cell is a requirement id. */
export function parseMap(text: string): Row[] {
  const rows: Row[] = [];
  text.split("\n").forEach((raw, i) => {
    const cells = raw.trim().match(/^\|(.*)\|$/)?.[1].split("|").map((c) => c.trim());
    if (!cells || !/^\d+\.\d+\.\d+$/.test(cells[0] ?? "")) return;
    const [id, level, , status = "", ...rest] = cells;
    rows.push({ line: i + 1, id, level, status, evidence: rest.join("|") });
  });
  return rows;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const m = !fenced && line.match(/^#{1,6}\s+(.+?)\s*#*\s*$/);
    if (!m) continue;
    const base = m[1].toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n ? `${base}-${n}` : base);
  }
  return anchors;
}

const idPattern = (id: string) => new RegExp(`(?<![\\d.])${id.replace(/\./g, "\\.")}(?![\\d])`);

/**
 * Whether `source` declares a test (or suite) titled `name`, as the first argument of `it`,
 * `test`, `describe` or their `.each(...)` forms, and names `id` in the title, on the line that
 * starts the call, or in the two lines above it (a `// ASVS x.y.z` comment).
 */
export function findTest(source: string, name: string, id: string): "ok" | "missing" | "unmarked" {
  const lines = source.split("\n");
  for (const quote of ['"', "'", "`"]) {
    const literal = quote + (quote === '"' ? name.replace(/"/g, '\\"') : name) + quote;
    for (let at = source.indexOf(literal); at >= 0; at = source.indexOf(literal, at + 1)) {
      const before = source.slice(0, at);
      if (!/(\b(it|test|describe)(\.(only|skip|todo|concurrent))*|\))\(\s*$/.test(before)) continue;
      if (/^\s*(\/\/|\*)/.test(before.slice(before.lastIndexOf("\n") + 1))) continue; // commented out
      let start = before.split("\n").length - 1;
      for (let k = start; k >= Math.max(0, start - 12); k--) {
        if (/^\s*(it|test|describe)\b/.test(lines[k])) { start = k; break; }
      }
      const near = [name, ...lines.slice(Math.max(0, start - 2), start + 1)].join("\n");
      return idPattern(id).test(near) ? "ok" : "unmarked";
    }
  }
  return "missing";
}

/** Every problem with the map; an empty list means it is complete and every reference holds. */
export function checkMap(text: string, root: string): string[] {
  const problems: string[] = [];
  const rows = parseMap(text);
  const readme = existsSync(join(root, "README.md")) ? readFileSync(join(root, "README.md"), "utf8") : "";
  const anchors = headingAnchors(readme);
  const sources = new Map<string, string | null>();
  const source = (path: string) => {
    if (!sources.has(path)) sources.set(path, existsSync(join(root, path)) ? readFileSync(join(root, path), "utf8") : null);
    return sources.get(path)!;
  };

  const count = new Map<string, number>();
  for (const r of rows) count.set(r.id, (count.get(r.id) ?? 0) + 1);
  for (const id of Object.keys(REQUIREMENTS)) {
    const n = count.get(id) ?? 0;
    if (n !== 1) problems.push(`${id}: appears ${n} times, must appear exactly once`);
  }
  for (const r of rows) {
    const where = `line ${r.line} (${r.id})`;
    const level = REQUIREMENTS[r.id];
    if (!level) { problems.push(`${where}: not a requirement of V6, V7 or V9`); continue; }
    if (r.level !== `L${level}`) problems.push(`${where}: level is ${r.level || "missing"}, ASVS 5.0 says L${level}`);
    const status = r.status as Status;
    if (!STATUSES.includes(status) || (status === "L3, not claimed" && level !== 3)) {
      problems.push(`${where}: status "${r.status}" is not one of ${STATUSES.join(", ")} (the last for L3 only)`);
      continue;
    }
    const tests = [...r.evidence.matchAll(TEST_REF)];
    const sections = [...r.evidence.matchAll(README_REF)];
    const words = r.evidence.replace(TEST_REF, "").replace(README_REF, "").replace(/<br>|[;:,.\s]/g, "");
    if (status === "tested" && !tests.length) problems.push(`${where}: tested, but names no test`);
    if (status === "documented" && !sections.length) problems.push(`${where}: documented, but names no README section`);
    if (status === "partly met" && (!tests.length && !sections.length || !words)) problems.push(`${where}: partly met needs a reference and the gap in words`);
    if ((status === "not met" || status === "n/a") && !words) problems.push(`${where}: ${status} needs a reason`);
    for (const [, path, name] of tests) {
      const src = source(path);
      if (src === null) { problems.push(`${where}: ${path} does not exist`); continue; }
      const found = findTest(src, name, r.id);
      if (found === "missing") problems.push(`${where}: ${path} has no test named "${name}"`);
      if (found === "unmarked") problems.push(`${where}: ${path} "${name}" does not name ${r.id} in its title or a comment beside it`);
    }
    for (const [, title, anchor] of sections) {
      if (!anchors.has(anchor)) problems.push(`${where}: README has no section "${title}" (#${anchor})`);
    }
  }
  return problems;
}

describe("test/ASVS.md", () => {
  test("maps all 73 requirements, and every test and README section it names exists", () => {
    const problems = checkMap(readFileSync(join(PROJECT_ROOT, "test/ASVS.md"), "utf8"), PROJECT_ROOT);
    assert.ok(problems.length === 0, `${problems.length} problems:\n${problems.join("\n")}`);
  });
});

describe("the checker itself", () => {
  const map = readFileSync(join(PROJECT_ROOT, "test/ASVS.md"), "utf8");
  const row = (id: string) => map.split("\n").find((l) => l.startsWith(`| ${id} |`))!;

  test("finds a missing or repeated requirement", () => {
    assert.ok(checkMap(map.replace(row("6.2.1") + "\n", ""), PROJECT_ROOT).some((p) => p.startsWith("6.2.1: appears 0 times")));
    assert.ok(checkMap(`${map}\n${row("9.1.1")}\n`, PROJECT_ROOT).some((p) => p.startsWith("9.1.1: appears 2 times")));
  });

  test("finds a test that was renamed or a file that moved", () => {
    const r = row("9.1.2");
    const [, path, name] = [...r.matchAll(TEST_REF)][0];
    const renamed = map.replace(r, r.replace(`"${name}"`, `"${name} (renamed)"`));
    assert.ok(checkMap(renamed, PROJECT_ROOT).some((p) => p.includes(`has no test named "${name} (renamed)"`)));
    const moved = map.replace(r, r.replace(path, path.replace(".test.ts", "-gone.test.ts")));
    assert.ok(checkMap(moved, PROJECT_ROOT).some((p) => p.includes("does not exist")));
  });

  test("finds a test that does not name its requirement, and a README section that is gone", () => {
    const src = 'it("refuses a forged token", () => {});\n// ASVS 9.1.1\nit("refuses an expired token", () => {});\n';
    assert.equal(findTest(src, "refuses a forged token", "9.1.1"), "unmarked");
    assert.equal(findTest(src, "refuses an expired token", "9.1.1"), "ok");
    assert.equal(findTest(src, "refuses an expired token", "9.1.10"), "unmarked");
    assert.equal(findTest("// it(\"refuses a forged token\")", "refuses a forged token", "9.1.1"), "missing");
    const gone = map.replace("../README.md#security-model", "../README.md#no-such-section");
    assert.ok(checkMap(gone, PROJECT_ROOT).some((p) => p.includes("#no-such-section")));
  });

  test("finds an L1 or L2 row with neither evidence nor a reason, and a wrong level", () => {
    const bare = map.replace(row("6.4.2"), "| 6.4.2 | L1 | no password hints | n/a | |");
    assert.ok(checkMap(bare, PROJECT_ROOT).some((p) => p.includes("(6.4.2): n/a needs a reason")));
    const untested = map.replace(row("7.4.1"), "| 7.4.1 | L1 | termination | tested | logout works |");
    assert.ok(checkMap(untested, PROJECT_ROOT).some((p) => p.includes("(7.4.1): tested, but names no test")));
    const level = map.replace(row("6.3.3"), row("6.3.3").replace("| L2 |", "| L3 |"));
    assert.ok(checkMap(level, PROJECT_ROOT).some((p) => p.includes("(6.3.3): level is L3")));
  });

  test("reads GitHub's anchors", () => {
    const anchors = headingAnchors("# Warden\n## Client library (`warden/client`)\n```\n# not a heading\n```\n### Step-up\n### Step-up\n");
    assert.deepEqual([...anchors], ["warden", "client-library-wardenclient", "step-up", "step-up-1"]);
  });
});
