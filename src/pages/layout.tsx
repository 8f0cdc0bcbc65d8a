/** @jsxImportSource hono/jsx */
/**
 * @module The shared frame of every hosted page: the document, the tenant's stylesheet and
 * brand, and the small form parts the pages repeat (hidden CSRF and flow fields, labelled
 * inputs, the Turnstile widget, an error box).
 */
import type { Child } from "hono/jsx";
import type { PageContext } from "../../objects/tenant/flows/browser.ts";
import { TURNSTILE_ORIGIN } from "./csp.ts";
import { texts } from "./texts.ts";

/** What every page is rendered with. */
export interface Page {
  /** `/v1/{tenant}`: every URL on the pages is relative to it. */
  base: string;
  brand: PageContext;
  /** This browser's CSRF token, for the hidden field of every form. */
  csrf: string;
  /** The carried authorization request, when the page is part of one. */
  flow: string | null;
}

export function Layout(props: { page: Page; title: string; turnstile?: boolean; children?: Child }) {
  const { page } = props;
  return (
    <html lang={texts.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <meta name="robots" content="noindex" />
        <title>{`${props.title} · ${page.brand.name}`}</title>
        <link rel="stylesheet" href={`${page.base}/pages/style.css`} />
        {props.turnstile ? <script src={`${TURNSTILE_ORIGIN}/turnstile/v0/api.js`} async defer></script> : null}
      </head>
      <body>
        <main>
          <div class="card">
            <div class="brand">
              {page.brand.logoUrl ? <img src={page.brand.logoUrl} alt="" /> : null}
              <span>{page.brand.name}</span>
            </div>
            {props.children}
          </div>
          <footer>{texts.poweredBy}</footer>
        </main>
      </body>
    </html>
  );
}

/** The hidden fields every form carries: the CSRF token and, inside an authorization request, the flow. */
export function Hidden(props: { page: Page; fields?: Record<string, string | null | undefined> }) {
  const extra = Object.entries(props.fields ?? {}).filter(([, v]) => v != null);
  return (
    <>
      <input type="hidden" name="csrf" value={props.page.csrf} />
      {props.page.flow ? <input type="hidden" name="flow" value={props.page.flow} /> : null}
      {extra.map(([k, v]) => <input type="hidden" name={k} value={v!} />)}
    </>
  );
}

export function Field(props: {
  name: string;
  label: string;
  type?: "text" | "email" | "password";
  autocomplete: string;
  value?: string | null;
  hint?: string;
  autofocus?: boolean;
  inputmode?: "numeric" | "text";
  minlength?: number;
}) {
  const id = `f-${props.name}`;
  return (
    <>
      <label for={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? "text"}
        autocomplete={props.autocomplete}
        value={props.value ?? undefined}
        required
        autofocus={props.autofocus}
        inputmode={props.inputmode}
        minlength={props.minlength}
        autocapitalize="none"
        spellcheck={false}
        aria-describedby={props.hint ? `${id}-hint` : undefined}
      />
      {props.hint ? <p class="hint" id={`${id}-hint`}>{props.hint}</p> : null}
    </>
  );
}

export function ErrorBox(props: { message?: string | null }) {
  return props.message ? <p class="error" role="alert">{props.message}</p> : null;
}

/** Cloudflare Turnstile's widget; it adds a `cf-turnstile-response` field to the form. */
export function Turnstile(props: { siteKey: string | null }) {
  return props.siteKey ? <div class="cf-turnstile" data-sitekey={props.siteKey} aria-label={texts.turnstileLabel}></div> : null;
}

/** A query string for page links, keeping the flow. */
export function withFlow(path: string, flow: string | null, extra: Record<string, string | null | undefined> = {}): string {
  const q = new URLSearchParams();
  if (flow) q.set("flow", flow);
  for (const [k, v] of Object.entries(extra)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
