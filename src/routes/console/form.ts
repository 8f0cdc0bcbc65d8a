/**
 * @module What the console's edit forms share: a refusal's validation details placed next to
 * the fields that show them (the rest listed above the form), and the patch a submitted form
 * means against what is stored (only the fields that changed, so the audit entry names those).
 */
import { fail, type Result } from "../../errors.ts";

export interface Placed {
  /** Message by field name. */
  fields: Record<string, string>;
  /** What no field shows: `path: message`, or the refusal's message when it has no details. */
  other: string[];
}

type Detail = { path?: string; message?: string };

/**
 * A refused result's `details` (the object's zod issues) by field: a path names the field it
 * is, or the nearest one above it (`redirect_uris.0` → `redirect_uris`), or `alias` maps it.
 */
export function place(r: Result<unknown>, fields: readonly string[], alias: Record<string, string> = {}): Placed {
  if (r.ok) return { fields: {}, other: [] };
  const out: Placed = { fields: {}, other: [] };
  const details = (r.error.details ?? []) as Detail[];
  for (const d of details) {
    const path = alias[d.path ?? ""] ?? d.path ?? "";
    const field = fields.find((f) => path === f || path.startsWith(`${f}.`));
    if (field) out.fields[field] ??= d.message ?? "invalid";
    else out.other.push(`${path || "form"}: ${d.message ?? "invalid"}`);
  }
  if (!details.length) out.other.push(r.error.message ?? r.error.code);
  return out;
}

/** A zod error's issues by field, as `place` does for a refused result. */
export function placeIssues(issues: readonly { path: PropertyKey[]; message: string }[], fields: readonly string[]): Placed {
  return place(fail("invalid_request", undefined, { details: issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })) }), fields);
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * The fields of `wanted` whose value differs from `current`'s; `undefined` (an emptied optional
 * field) stays in the patch, so the merge drops the stored value.
 */
export function changed(current: Record<string, unknown>, wanted: Record<string, unknown>): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(wanted)) if (!same(current[k], v)) patch[k] = v;
  return patch;
}
