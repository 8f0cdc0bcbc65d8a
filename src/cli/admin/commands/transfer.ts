/// <reference types="node" />
/** @module `import` and `export`: a tenant's users as NDJSON, one user per line. */
import { createReadStream, type WriteStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { once } from "node:events";
import { finished } from "node:stream/promises";
import type { ImportResult } from "../api-types.ts";
import { emit, expectFields, stringOption, type Command } from "../command.ts";
import { CliError } from "../errors.ts";
import { seg } from "../http.ts";
import { ndjsonChunks } from "../ndjson-chunks.ts";
import { cell, renderTable } from "../table.ts";

/** The import route takes bodies of up to 1 MiB. */
export const IMPORT_MAX_BYTES = 1024 * 1024;

function errorText(error: unknown): string {
  if (error && typeof error === "object" && "code" in error) {
    const { code, message } = error as { code: unknown; message?: unknown };
    return message ? `${String(code)}: ${String(message)}` : String(code);
  }
  return cell(error);
}

/**
 * Opens `path` for writing readable by its owner only (0600): an export holds every user's
 * password hash. A file that already exists is truncated and has its mode narrowed first.
 */
export async function openPrivateFile(path: string): Promise<WriteStream> {
  const handle = await open(path, "w", 0o600);
  await handle.chmod(0o600);
  return handle.createWriteStream();
}

export const transferCommands: Command[] = [
  {
    path: ["import"],
    usage: "<tenant> <file.ndjson>",
    summary: "Import users from NDJSON; exits 1 if any line failed.",
    details:
      "POST /v1/admin/tenants/{tenant}/users/import (application/x-ndjson), in requests of at most 1 MiB split on\n" +
      "line boundaries. A line per user: {id?, email?, username?, password_hash?, email_verified?, metadata?,\n" +
      "created_at?} with PHC hashes (argon2id, pbkdf2-sha256, bcrypt). Failed lines are reported with their line\n" +
      "number in the file; --json prints {imported, failed: [{line, error}]} summed over all requests.",
    positionals: [2, 2],
    async run(ctx, { args: [tenant, file] }) {
      try {
        if (!(await stat(file)).isFile()) throw new CliError(`${file} is not a file`);
      } catch (error) {
        if (error instanceof CliError) throw error;
        throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
      const total: ImportResult = { imported: 0, failed: [] };
      let requests = 0;
      for await (const item of ndjsonChunks(createReadStream(file), IMPORT_MAX_BYTES)) {
        if (item.kind === "oversize") {
          total.failed.push({ line: item.line, error: "line longer than 1 MiB, the limit of one import request" });
          continue;
        }
        const first = item.lines[0];
        const last = item.lines[item.lines.length - 1];
        let result: ImportResult;
        try {
          result = expectFields(
            await ctx.http.request<ImportResult>("POST", `/tenants/${seg(tenant)}/users/import`, item.body, {
              contentType: "application/x-ndjson",
            }),
            ["imported", "failed"],
            "POST users/import",
          );
        } catch (error) {
          if (!(error instanceof CliError)) throw error;
          throw new CliError(
            `${error.message} (request for lines ${first}-${last}; ${total.imported} users imported before it)`,
          );
        }
        requests += 1;
        total.imported += result.imported;
        for (const failure of result.failed) {
          total.failed.push({ line: item.lines[failure.line - 1] ?? failure.line, error: failure.error });
        }
        if (!ctx.json) ctx.err(`lines ${first}-${last}: ${result.imported} imported, ${result.failed.length} failed`);
      }
      total.failed.sort((a, b) => a.line - b.line);
      emit(ctx, total, () => {
        const summary = `Imported ${total.imported} users into ${tenant} in ${requests} request(s); ${total.failed.length} failed.`;
        if (total.failed.length === 0) return summary;
        return `${summary}\n\n${renderTable(total.failed, [
          { header: "line", value: "line" },
          { header: "error", value: (f) => errorText(f.error), max: 100 },
        ])}`;
      });
      if (total.failed.length > 0) process.exitCode = 1;
    },
  },
  {
    path: ["export"],
    usage: "<tenant> [--out <file>]",
    summary: "Export a tenant's users as NDJSON (password hashes included), to stdout or a file.",
    details: "GET /v1/admin/tenants/{tenant}/users/export, streamed. The output is NDJSON whether or not --json is given.\n" +
      "A file given with --out is created with mode 0600 (an existing one is narrowed to it).",
    options: { out: { type: "string", short: "o", value: "<file>", description: "write to this file instead of stdout" } },
    positionals: [1, 1],
    async run(ctx, { args: [tenant], opts }) {
      const response = await ctx.http.stream("GET", `/tenants/${seg(tenant)}/users/export`);
      const out = stringOption(opts, "out");
      // Open the file only once the server said yes, so a failed export leaves nothing behind.
      const dest = out ? await openPrivateFile(out) : process.stdout;
      let users = 0;
      if (response.body) {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          for (const byte of chunk) if (byte === 0x0a) users += 1;
          if (!dest.write(chunk)) await once(dest, "drain");
        }
      }
      if (out) {
        dest.end();
        await finished(dest);
        ctx.err(`Exported ${users} users of ${tenant} to ${out}.`);
      }
    },
  },
];
