/** @module The one table `npm run bench` prints, and its JSON twin for machines. */
import type { Row } from "./stats.ts";

const MiB = 2 ** 20;

const num = (v: number | null | undefined, digits = 1): string =>
  v === null || v === undefined || !Number.isFinite(v) ? "—" : v >= 100 ? Math.round(v).toLocaleString("en") : v.toFixed(digits);

/** For `vs:` rows: Warden's ops/s, p50 and CPU per operation over Better Auth's. */
function ratio(rows: Row[], r: Row): string {
  if (!r.scenario.startsWith("vs:") || r.system !== "warden") return "";
  const other = rows.find((o) => o.scenario === r.scenario && o.system === "better-auth");
  if (!other) return "";
  const parts: string[] = [];
  if (r.rps && other.rps) parts.push(`ops ×${(r.rps / other.rps).toFixed(2)}`);
  if (r.p50 && other.p50) parts.push(`p50 ×${(r.p50 / other.p50).toFixed(2)}`);
  if (r.cpu && other.cpu) parts.push(`CPU/op ×${(r.cpu / other.cpu).toFixed(2)}`);
  return parts.join(", ");
}

export function renderTable(rows: Row[]): string {
  const vs = rows.some((r) => r.system === "better-auth");
  const head = ["scenario", "system", "ops/s", "p50 ms", "p99 ms", "RSS MiB", "CPU µs/op", "target", "met", ...(vs ? ["W/BA"] : []), "notes"];
  const body = rows.map((r) => [
    r.scenario,
    r.system,
    num(r.rps, 1),
    num(r.p50, 2),
    num(r.p99, 2),
    r.rss ? num(r.rss / MiB, 0) : "—",
    num(r.cpu, 0),
    r.target ?? "",
    r.met === undefined || r.met === null ? "" : r.met ? "yes" : "NO",
    ...(vs ? [ratio(rows, r)] : []),
    r.note ?? "",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i >= 2 && i <= 6 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(" | ")} |`;
  return [line(head), `|${widths.map((w, i) => (i >= 2 && i <= 6 ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|")}|`, ...body.map(line)].join("\n");
}
