/**
 * @module Human output of the admin CLI: aligned tables and key/value blocks. `--json`
 * bypasses all of this and prints the API's answer as it is.
 */

export interface Column<Row> {
  header: string;
  /** The value to show; a key of the row or a function of it. */
  value: keyof Row | ((row: Row) => unknown);
  /** Cells longer than this are cut with an ellipsis (default 60). */
  max?: number;
}

const DEFAULT_MAX = 60;

/** A cell: "-" for nothing, yes/no, comma lists, compact JSON for objects. */
export function cell(value: unknown): string {
  if (value === null || value === undefined || value === "") return "-";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (Array.isArray(value)) return value.length === 0 ? "-" : value.map((item) => cell(item)).join(",");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value).replace(/[\r\n\t]+/g, " ");
}

function width(text: string): number {
  return [...text].length;
}

function cut(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

export function renderTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  if (rows.length === 0) return "(none)";
  const grid = rows.map((row) =>
    columns.map((column) => {
      const raw = typeof column.value === "function" ? column.value(row) : row[column.value];
      return cut(cell(raw), column.max ?? DEFAULT_MAX);
    }),
  );
  const headers = columns.map((column) => column.header.toUpperCase());
  const widths = headers.map((header, i) => Math.max(width(header), ...grid.map((line) => width(line[i]))));
  const line = (cells: string[]) =>
    cells.map((text, i) => (i === cells.length - 1 ? text : text + " ".repeat(widths[i] - width(text)))).join("  ");
  return [line(headers), ...grid.map(line)].join("\n");
}

/** `key  value` lines with the keys aligned; nested objects as compact JSON. */
export function renderFields(fields: Record<string, unknown>): string {
  const keys = Object.keys(fields);
  const pad = Math.max(0, ...keys.map(width));
  return keys.map((key) => `${key}${" ".repeat(pad - width(key))}  ${cell(fields[key])}`).join("\n");
}

/** Indented, pretty JSON under a heading, for settings and other nested documents. */
export function renderJsonBlock(title: string, value: unknown): string {
  const body = JSON.stringify(value ?? {}, null, 2).split("\n").map((text) => `  ${text}`).join("\n");
  return `${title}:\n${body}`;
}

export function bytes(value: unknown): string {
  if (typeof value !== "number") return cell(value);
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let n = value;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${n} B` : `${n.toFixed(1)} ${units[unit]}`;
}
