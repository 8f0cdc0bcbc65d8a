/// <reference types="node" />
/**
 * @module The OpenAPI document, checked from Node: it validates against the OpenAPI 3.1 schema
 * (the official JSON Schemas, through @seriousme/openapi-schema-validator), and its surface
 * (operations, parameters, body and answer fields, error codes) is held against a committed
 * snapshot: anything that disappears fails unless `schema/API-CHANGES.md` names it, and
 * anything new fails until the snapshot is updated
 * (`WARDEN_UPDATE_OPENAPI_SNAPSHOT=1 npm run test:docs`), so every change to the API is a
 * reviewed diff.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { PROJECT_ROOT } from "../../src/cli/project.ts";
import { buildDocument } from "../../src/openapi/document.ts";

type Json = Record<string, any>;
const SNAPSHOT = join(PROJECT_ROOT, "test/openapi/surface.snapshot.json");
const CHANGES = join(PROJECT_ROOT, "schema/API-CHANGES.md");

/** Every name a client could depend on, one line each: `op`, `op param`, `op body.a.b`, `op 200.a`, `op error 401 code`. */
export function surface(doc: Json): string[] {
  const schemas = doc.components.schemas as Record<string, Json>;
  const resolve = (s: Json | undefined): Json => (s?.$ref ? resolve(schemas[s.$ref.replace("#/components/schemas/", "")]) : (s ?? {}));
  const fields = (s: Json | undefined, prefix: string, depth: number, out: string[]) => {
    const r = resolve(s);
    for (const part of [...(r.allOf ?? []), ...(r.anyOf ?? []), ...(r.oneOf ?? [])]) fields(part, prefix, depth, out);
    const target = r.type === "array" ? resolve(r.items) : r;
    for (const [k, v] of Object.entries((target.properties ?? {}) as Record<string, Json>)) {
      out.push(`${prefix}.${k}`);
      if (depth < 3) fields(v, `${prefix}.${k}`, depth + 1, out);
    }
  };
  const out: string[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
    for (const [method, op] of Object.entries(item as Record<string, Json>)) {
      const id = op.operationId;
      out.push(`${id} ${method.toUpperCase()} ${path}`);
      for (const p of op.parameters ?? []) out.push(`${id} ${p.in}:${p.name}`);
      for (const [media, m] of Object.entries((op.requestBody?.content ?? {}) as Record<string, Json>)) {
        out.push(`${id} body ${media}`);
        fields(m.schema.contentSchema ?? m.schema, `${id} body`, 0, out);
      }
      for (const [status, r] of Object.entries(op.responses as Record<string, Json>)) {
        const schema = (Object.values(r.content ?? {})[0] as Json | undefined)?.schema;
        if (Number(status) >= 400) {
          // One error model, or either (`anyOf`) where OAuth clients and other callers share a status.
          for (const model of schema?.anyOf ?? [schema]) {
            const narrowed = model?.allOf?.[1]?.properties?.error;
            for (const code of narrowed?.properties?.code?.enum ?? narrowed?.enum ?? []) out.push(`${id} error ${status} ${code}`);
          }
        } else {
          out.push(`${id} ${status}`);
          fields(schema, `${id} ${status}`, 0, out);
        }
      }
    }
  }
  return [...new Set(out)].sort();
}

describe("the OpenAPI document", () => {
  const doc = buildDocument("https://auth.example.com") as Json;

  test("validates against the OpenAPI 3.1 schema", async () => {
    const v = new Validator();
    const r = await v.validate(doc);
    assert.equal(v.version, "3.1");
    assert.deepEqual(r.errors ?? [], []);
    assert.equal(r.valid, true);
  });

  test("every $ref points at a schema of the document", () => {
    const text = JSON.stringify(doc);
    for (const [, name] of text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) assert.ok(doc.components.schemas[name], `missing schema ${name}`);
  });

  test("nothing disappears without a line in schema/API-CHANGES.md, nothing appears without the snapshot", () => {
    const now = surface(doc);
    if (process.env.WARDEN_UPDATE_OPENAPI_SNAPSHOT === "1") writeFileSync(SNAPSHOT, `${JSON.stringify(now, null, 1)}\n`);
    const before: string[] = JSON.parse(readFileSync(SNAPSHOT, "utf8"));
    const changes = readFileSync(CHANGES, "utf8");
    const gone = before.filter((l) => !now.includes(l) && !changes.includes(`\`${l}\``));
    assert.deepEqual(gone, [], "removed from the API without a note in schema/API-CHANGES.md (quote the line in backticks)");
    const added = now.filter((l) => !before.includes(l));
    assert.deepEqual(added, [], "new in the API: run WARDEN_UPDATE_OPENAPI_SNAPSHOT=1 npm run test:docs and commit the snapshot");
  });
});
