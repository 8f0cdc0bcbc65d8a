/** @jsxImportSource hono/jsx */
/**
 * @module OAuth 2.0 Form Post Response Mode: the authorization response as a form the browser
 * posts to the app's redirect URI. One inline script submits it; its SHA-256 is in the page's
 * CSP (no 'unsafe-inline'), and without JavaScript the visible button does the same.
 */
import { raw } from "hono/html";
import { sha256 } from "@noble/hashes/sha2.js";
import { utf8 } from "../crypto/bytes.ts";
import { Layout, type Page } from "./layout.tsx";
import { texts } from "./texts.ts";

export const AUTO_SUBMIT = "document.forms[0].submit();";
export const AUTO_SUBMIT_HASH = `'sha256-${btoa(String.fromCharCode(...sha256(utf8(AUTO_SUBMIT))))}'`;

export function FormPostPage(props: { page: Page; action: string; fields: Record<string, string>; method?: "get" | "post" }) {
  return (
    <Layout page={props.page} title={texts.formPost.title}>
      <form method={props.method ?? "post"} action={props.action}>
        {Object.entries(props.fields).map(([k, v]) => <input type="hidden" name={k} value={v} />)}
        <p>{texts.formPost.text}</p>
        <button type="submit">{texts.formPost.submit}</button>
      </form>
      <script>{raw(AUTO_SUBMIT)}</script>
    </Layout>
  );
}
