/**
 * @module The settings editor's form, as data: the tenant's settings flattened into one field
 * per leaf (`s.lockout.threshold`), a submitted form turned back into the smallest patch (only
 * the fields whose value changed, typed like the value they replace), and the merge and
 * validation of that patch with the same zod schema and deep merge the object uses, so the
 * page can show zod's issues next to their fields and the merged result before anything is
 * saved. The object validates again on save: this is a preview, not the rule.
 */
import { deepMerge, defaultAccessTtl, settingsSchema } from "../../../schema/settings.ts";
import { SECRET_MASK } from "../../../objects/tenant/settings-store.ts";

export type LeafKind = "string" | "number" | "boolean" | "null" | "json" | "secret";
export interface Leaf {
  path: string;
  kind: LeafKind;
  /** As the input shows it. */
  text: string;
}

const SECRETS = new Set(["delivery.webhook_secret"]);
export const FIELD_PREFIX = "s.";

export function flatten(v: Record<string, unknown>, prefix = ""): Leaf[] {
  const out: Leaf[] = [];
  for (const [k, x] of Object.entries(v)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (SECRETS.has(path)) out.push({ path, kind: "secret", text: "" });
    else if (x !== null && typeof x === "object" && !Array.isArray(x)) out.push(...flatten(x as Record<string, unknown>, path));
    else if (Array.isArray(x)) out.push({ path, kind: "json", text: JSON.stringify(x) });
    else if (x === null) out.push({ path, kind: "null", text: "" });
    else out.push({ path, kind: typeof x as "string" | "number" | "boolean", text: String(x) });
  }
  return out;
}

function setPath(o: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let at = o;
  for (const k of keys.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
  at[keys[keys.length - 1]] = value;
}

/** A submitted text as the type of the value it replaces; what cannot be read stays a string, for zod to refuse. */
function typed(leaf: Leaf, text: string): { value: unknown } | { error: string } {
  const t = text.trim();
  switch (leaf.kind) {
    case "number":
      return { value: t !== "" && Number.isFinite(Number(t)) ? Number(t) : t };
    case "boolean":
      return { value: t === "true" ? true : t === "false" ? false : t };
    case "json":
      try {
        return { value: JSON.parse(t) };
      } catch {
        return { error: "json" };
      }
    case "null":
      if (t === "") return { value: null };
      return { value: /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t };
    case "string":
      return { value: t === "" ? null : text };
    case "secret":
      return { value: text };
  }
}

export interface Edit {
  patch: Record<string, unknown>;
  /** The submitted texts, to show again. */
  texts: Record<string, string>;
  /** Fields that could not be read at all (not JSON). */
  unreadable: string[];
}

/** The patch a submitted form means: only changed fields; an empty write-only field keeps its secret. */
export function readEdit(leaves: Leaf[], form: Record<string, string>): Edit {
  const patch: Record<string, unknown> = {};
  const texts: Record<string, string> = {};
  const unreadable: string[] = [];
  for (const leaf of leaves) {
    const text = form[FIELD_PREFIX + leaf.path];
    if (text === undefined) continue;
    if (leaf.kind !== "secret") texts[leaf.path] = text;
    if (leaf.kind === "secret" ? text === "" : text === leaf.text) continue;
    const v = typed(leaf, text);
    if ("error" in v) unreadable.push(leaf.path);
    else setPath(patch, leaf.path, v.value);
  }
  return { patch, texts, unreadable };
}

export interface Preview {
  /** The merged settings, the webhook secret masked. */
  merged: unknown;
  /** zod's messages by field path. */
  errors: Record<string, string>;
}

/**
 * The current settings (as operators see them: the secret masked) merged with the patch and
 * validated. A masked secret stands in as a valid one, so it is not reported as too short.
 */
export function preview(current: Record<string, unknown>, patch: Record<string, unknown>, jwtExpirationMinutes: string | undefined): Preview {
  const merged = deepMerge(current, patch) as Record<string, any>;
  const secret = merged.delivery?.webhook_secret;
  const forCheck = secret === SECRET_MASK ? { ...merged, delivery: { ...merged.delivery, webhook_secret: "x".repeat(32) } } : merged;
  const parsed = settingsSchema(defaultAccessTtl(jwtExpirationMinutes)).safeParse(forCheck);
  const errors: Record<string, string> = {};
  if (!parsed.success) for (const i of parsed.error.issues) errors[i.path.map(String).join(".")] ??= i.message;
  const shown = secret && secret !== SECRET_MASK ? { ...merged, delivery: { ...merged.delivery, webhook_secret: SECRET_MASK } } : merged;
  return { merged: shown, errors };
}

/** Moves an error on a path below a field (an array item) up to the field that shows it. */
export function errorsByField(leaves: Leaf[], errors: Record<string, string>): { fields: Record<string, string>; other: [string, string][] } {
  const fields: Record<string, string> = {};
  const other: [string, string][] = [];
  for (const [path, message] of Object.entries(errors)) {
    const leaf = leaves.find((l) => path === l.path || path.startsWith(`${l.path}.`));
    if (leaf) fields[leaf.path] ??= message;
    else other.push([path, message]);
  }
  return { fields, other };
}
