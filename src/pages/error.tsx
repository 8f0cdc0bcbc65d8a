/** @jsxImportSource hono/jsx */
/**
 * @module The error page: shown instead of redirecting when the app cannot be trusted with the
 * answer (unknown client, unregistered redirect URI, RFC 6749 section 4.1.2.1), and for a page
 * POST that failed its CSRF check or carried a stale request.
 */
import { Layout, type Page } from "./layout.tsx";
import { texts } from "./texts.ts";

export function ErrorPage(props: { page: Page; message: string; code?: string | null }) {
  return (
    <Layout page={props.page} title={texts.error.title}>
      <h1>{texts.error.title}</h1>
      <p class="error" role="alert">{props.message}</p>
      {props.code ? <p class="muted"><code>{props.code}</code></p> : null}
    </Layout>
  );
}
