/// <reference types="node" />
/**
 * @module Splits an NDJSON stream into request bodies of at most `maxBytes` on line
 * boundaries, remembering which file line each body line came from so that the server's
 * per-request line numbers can be mapped back. Blank lines are dropped (the server never
 * sees them, so its numbering counts only real lines); a single line too long for any
 * request is reported instead of sent, without ever holding more than `maxBytes` of it.
 */

export interface NdjsonChunk {
  kind: "chunk";
  body: Buffer;
  /** `lines[i]` is the 1-based file line of the body's line i + 1. */
  lines: number[];
}

export interface OversizeLine {
  kind: "oversize";
  line: number;
}

const NEWLINE = 0x0a;
const NL = Buffer.from("\n");

function isBlank(line: Buffer): boolean {
  for (const byte of line) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) return false;
  return true;
}

export async function* ndjsonChunks(
  source: AsyncIterable<Buffer | Uint8Array | string>,
  maxBytes: number,
): AsyncGenerator<NdjsonChunk | OversizeLine> {
  let parts: Buffer[] = [];
  let size = 0;
  let lines: number[] = [];
  let lineNo = 0;
  let carry: Buffer = Buffer.alloc(0);
  // The current line outgrew maxBytes before its newline: drop its bytes until the newline.
  let discarding = false;

  function* flush(): Generator<NdjsonChunk> {
    if (lines.length === 0) return;
    yield { kind: "chunk", body: Buffer.concat(parts, size), lines };
    parts = [];
    size = 0;
    lines = [];
  }

  function* add(line: Buffer): Generator<NdjsonChunk | OversizeLine> {
    lineNo += 1;
    if (discarding) {
      discarding = false;
      yield { kind: "oversize", line: lineNo };
      return;
    }
    if (isBlank(line)) return;
    const length = line.length + 1;
    if (length > maxBytes) {
      yield { kind: "oversize", line: lineNo };
      return;
    }
    if (size + length > maxBytes) yield* flush();
    parts.push(line, NL);
    size += length;
    lines.push(lineNo);
  }

  for await (const piece of source) {
    const chunk = typeof piece === "string" ? Buffer.from(piece) : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    const buffer = carry.length === 0 ? chunk : Buffer.concat([carry, chunk]);
    let start = 0;
    for (let end = buffer.indexOf(NEWLINE, start); end !== -1; end = buffer.indexOf(NEWLINE, start)) {
      yield* add(buffer.subarray(start, end));
      start = end + 1;
    }
    carry = Buffer.from(buffer.subarray(start));
    if (carry.length >= maxBytes) {
      discarding = true;
      carry = Buffer.alloc(0);
    }
  }
  if (carry.length > 0 || discarding) yield* add(carry);
  yield* flush();
}
