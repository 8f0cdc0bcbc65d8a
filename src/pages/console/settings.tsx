/** @jsxImportSource hono/jsx */
/**
 * @module A tenant's settings editor: one labelled field per setting, grouped as the settings
 * are, zod's message next to the field it concerns, the merged result before saving.
 */
import type { Leaf } from "../../routes/console/settings-form.ts";
import { FIELD_PREFIX } from "../../routes/console/settings-form.ts";
import { ConsoleLayout, Csrf, Field, Notice, tenantPath, type Frame } from "./layout.tsx";
import { texts } from "./texts.ts";

const T = texts.settings;

function Leaf(props: { leaf: Leaf; text: string; error?: string }) {
  const { leaf } = props;
  const name = FIELD_PREFIX + leaf.path;
  if (leaf.kind === "boolean") {
    const id = `f-${leaf.path.replace(/\./g, "-")}`;
    return (
      <div>
        <label for={id}>{leaf.path}</label>
        <select id={id} name={name} aria-invalid={props.error ? "true" : undefined} aria-describedby={props.error ? `${id}-error` : undefined}>
          {["true", "false"].map((v) => <option value={v} selected={props.text === v}>{v}</option>)}
          {props.text !== "true" && props.text !== "false" ? <option value={props.text} selected>{props.text}</option> : null}
        </select>
        {props.error ? <p class="field-error" id={`${id}-error`}>{props.error}</p> : null}
      </div>
    );
  }
  const hint = leaf.kind === "secret" ? T.secret : leaf.kind === "json" ? T.json : undefined;
  return <Field name={name} label={leaf.path} type={leaf.kind === "secret" ? "password" : "text"} value={leaf.kind === "secret" ? "" : props.text} hint={hint} error={props.error} autocomplete={leaf.kind === "secret" ? "new-password" : "off"} />;
}

export function SettingsPage(props: {
  frame: Frame;
  slug: string;
  name: string;
  leaves: Leaf[];
  texts: Record<string, string>;
  errors: Record<string, string>;
  other: [string, string][];
  merged: unknown | null;
  notice?: string | null;
}) {
  const groups = new Map<string, Leaf[]>();
  for (const l of props.leaves) {
    const g = l.path.includes(".") ? l.path.split(".")[0] : "tokens";
    groups.set(g, [...(groups.get(g) ?? []), l]);
  }
  const invalid = Object.keys(props.errors).length > 0 || props.other.length > 0;
  return (
    <ConsoleLayout frame={props.frame} title={T.title}>
      <Notice ok={props.notice ?? (props.merged && !invalid ? T.valid : null)} error={invalid ? T.invalid : null} />
      {props.other.length ? <ul class="error">{props.other.map(([p, m]) => <li>{`${p}: ${m}`}</li>)}</ul> : null}
      <p>{T.intro}</p>
      <form method="post" action={tenantPath(props.slug, "settings")}>
        <Csrf frame={props.frame} />
        <section>
          <Field name="name" label={T.name} value={props.name} error={props.errors.name} required />
        </section>
        {[...groups].map(([g, leaves]) => (
          <section>
            <fieldset>
              <legend>{g}</legend>
              {leaves.map((l) => <Leaf leaf={l} text={props.texts[l.path] ?? l.text} error={props.errors[l.path]} />)}
            </fieldset>
          </section>
        ))}
        <div class="row">
          <button type="submit" name="intent" value="preview" class="secondary">{T.preview}</button>
          <button type="submit" name="intent" value="save">{T.save}</button>
        </div>
      </form>
      {props.merged ? (
        <section>
          <h2>{T.merged}</h2>
          <pre>{JSON.stringify(props.merged, null, 2)}</pre>
        </section>
      ) : null}
    </ConsoleLayout>
  );
}
