/** @jsxImportSource hono/jsx */
/** @module The page that asks for an email address to send a link to: a sign-in link, or a password reset. */
import { ErrorBox, Field, Hidden, Layout, Turnstile, withFlow, type Page } from "./layout.tsx";
import { texts } from "./texts.ts";

export function EmailFormPage(props: { page: Page; kind: "magic_link" | "forgot"; email?: string | null; error?: string | null; turnstile: string | null }) {
  const { page } = props;
  const t = props.kind === "magic_link" ? texts.magicLink : texts.forgot;
  const action = props.kind === "magic_link" ? `${page.base}/pages/magic-link` : `${page.base}/pages/password/forgot`;
  return (
    <Layout page={page} title={t.title} turnstile={!!props.turnstile}>
      <h1>{t.heading}</h1>
      <p class="muted">{t.intro}</p>
      <ErrorBox message={props.error} />
      <form method="post" action={action}>
        <Hidden page={page} />
        <Field name="email" label={t.email} type="email" autocomplete="email" value={props.email} autofocus />
        <Turnstile siteKey={props.turnstile} />
        <button type="submit">{t.submit}</button>
      </form>
      <nav class="links">
        <a href={withFlow(`${page.base}/pages/sign-in`, page.flow)}>{texts.signIn.submit}</a>
      </nav>
    </Layout>
  );
}
