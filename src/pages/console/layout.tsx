/** @jsxImportSource hono/jsx */
/**
 * @module The console's frame: the document, the top bar (sign-out form), a tenant's
 * navigation (operator-only pages shown to the operator only), and the small parts the pages
 * repeat (the CSRF field, a labelled field with its validation error, notices, a one-button
 * form).
 */
import type { Child } from "hono/jsx";
import { raw } from "hono/html";
import { texts } from "./texts.ts";

/** What every console page is rendered with. */
export interface Frame {
  /** Null on the sign-in page. */
  kind: "admin" | "key" | null;
  csrf: string;
  /** The tenant being looked at, with the current section. */
  tenant?: { slug: string; section: Section } | null;
}

/** An edit form as the server answers it: the texts to show again, and its refusal by field. */
export interface FormState {
  values: Record<string, string>;
  errors: Record<string, string>;
  /** What no field shows. */
  other: string[];
}

export const emptyForm: FormState = { values: {}, errors: {}, other: [] };

/** A refused form's summary above it, with what no field shows. */
export function Problems(props: { form: FormState; message: string }) {
  const { errors, other } = props.form;
  if (!other.length && !Object.keys(errors).length) return null;
  return (
    <div class="error" role="alert">
      <p>{props.message}</p>
      {other.length ? <ul>{other.map((o) => <li>{o}</li>)}</ul> : null}
    </div>
  );
}

export type Section = "overview" | "users" | "audit" | "events" | "roles" | "clients" | "idps" | "keys" | "settings";

const SECTIONS: { id: Section; operator: boolean }[] = [
  { id: "overview", operator: true },
  { id: "users", operator: false },
  { id: "roles", operator: false },
  { id: "clients", operator: false },
  { id: "audit", operator: false },
  { id: "events", operator: false },
  { id: "idps", operator: true },
  { id: "keys", operator: true },
  { id: "settings", operator: true },
];

export const tenantPath = (slug: string, section: Section | string) => (section === "overview" ? `/admin/t/${slug}` : `/admin/t/${slug}/${section}`);

export function ConsoleLayout(props: { frame: Frame; title: string; children?: Child; script?: string }) {
  const { frame } = props;
  const t = frame.tenant;
  return (
    <html lang={texts.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <meta name="robots" content="noindex" />
        <title>{`${props.title} · ${texts.product}`}</title>
        <link rel="stylesheet" href="/admin/style.css" />
      </head>
      <body>
        <header>
          <span class="product">{texts.product}</span>
          {frame.kind === "admin" ? <a href="/admin/tenants">{texts.nav.tenants}</a> : null}
          {frame.kind ? (
            <form method="post" action="/admin/sign-out">
              <Csrf frame={frame} />
              <button type="submit">{texts.nav.signOut}</button>
            </form>
          ) : null}
        </header>
        {t ? (
          <nav class="tenant" aria-label={texts.nav.tenantNav(t.slug)}>
            <strong>{t.slug}</strong>
            {SECTIONS.filter((s) => !s.operator || frame.kind === "admin").map((s) => (
              <a href={tenantPath(t.slug, s.id)} aria-current={s.id === t.section ? "page" : undefined}>
                {texts.nav[s.id]}
              </a>
            ))}
          </nav>
        ) : null}
        <main>
          <h1>{props.title}</h1>
          {props.children}
        </main>
        {props.script ? <script>{raw(props.script)}</script> : null}
      </body>
    </html>
  );
}

export function Csrf(props: { frame: Frame }) {
  return <input type="hidden" name="csrf" value={props.frame.csrf} />;
}

/** A labelled input with its hint and, when the server refused it, the error next to it. */
export function Field(props: { name: string; label: string; value?: string | null; type?: "text" | "password" | "search"; hint?: string; error?: string | null; required?: boolean; autocomplete?: string }) {
  const { id, described } = ids(props.name, props.hint, props.error);
  return (
    <div>
      <label for={id}>{props.label}</label>
      <input id={id} name={props.name} type={props.type ?? "text"} value={props.value ?? undefined} required={props.required} autocomplete={props.autocomplete ?? "off"} spellcheck={false} autocapitalize="none" aria-invalid={props.error ? "true" : undefined} aria-describedby={described} />
      <Below id={id} hint={props.hint} error={props.error} />
    </div>
  );
}

/** The id, and the `aria-describedby` of a field's hint and error, from its name. */
function ids(name: string, hint?: string, error?: string | null) {
  const id = `f-${name.replace(/[^A-Za-z0-9_-]/g, "-")}`;
  const described = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;
  return { id, described };
}

function Below(props: { id: string; hint?: string; error?: string | null }) {
  return (
    <>
      {props.hint ? <p class="hint" id={`${props.id}-hint`}>{props.hint}</p> : null}
      {props.error ? <p class="field-error" id={`${props.id}-error`}>{props.error}</p> : null}
    </>
  );
}

/** A labelled select; a submitted value that is not an option stays selectable, so the server's refusal of it shows. */
export function Choice(props: { name: string; label: string; options: readonly string[]; value?: string | null; hint?: string; error?: string | null }) {
  const { id, described } = ids(props.name, props.hint, props.error);
  const extra = props.value != null && props.value !== "" && !props.options.includes(props.value) ? [props.value] : [];
  return (
    <div>
      <label for={id}>{props.label}</label>
      <select id={id} name={props.name} aria-invalid={props.error ? "true" : undefined} aria-describedby={described}>
        {[...props.options, ...extra].map((o) => <option value={o} selected={o === props.value}>{o === "" ? "—" : o}</option>)}
      </select>
      <Below id={id} hint={props.hint} error={props.error} />
    </div>
  );
}

/** A labelled textarea (lists one per line, JSON, PEM keys). */
export function Area(props: { name: string; label: string; value?: string | null; hint?: string; error?: string | null; required?: boolean; autocomplete?: string }) {
  const { id, described } = ids(props.name, props.hint, props.error);
  return (
    <div>
      <label for={id}>{props.label}</label>
      <textarea id={id} name={props.name} required={props.required} autocomplete={props.autocomplete ?? "off"} spellcheck={false} aria-invalid={props.error ? "true" : undefined} aria-describedby={described}>{props.value ?? ""}</textarea>
      <Below id={id} hint={props.hint} error={props.error} />
    </div>
  );
}

export function Notice(props: { ok?: string | null; error?: string | null }) {
  return (
    <>
      {props.error ? <p class="error" role="alert">{props.error}</p> : null}
      {props.ok ? <p class="notice" role="status">{props.ok}</p> : null}
    </>
  );
}

/** A form with one button and hidden fields: every change in the console is a POST like this. */
export function Action(props: { frame: Frame; action: string; label: string; danger?: boolean; aria?: string; fields?: Record<string, string> }) {
  return (
    <form method="post" action={props.action} class="inline">
      <Csrf frame={props.frame} />
      {Object.entries(props.fields ?? {}).map(([k, v]) => <input type="hidden" name={k} value={v} />)}
      <button type="submit" class={props.danger ? "danger" : undefined} aria-label={props.aria}>{props.label}</button>
    </form>
  );
}

export function ErrorView(props: { frame: Frame; message: string }) {
  return (
    <ConsoleLayout frame={props.frame} title={texts.error.title}>
      <p class="error" role="alert">{props.message}</p>
      <p><a href="/admin/">{texts.error.back}</a></p>
    </ConsoleLayout>
  );
}
