/** @jsxImportSource hono/jsx */
/** @module The sign-out confirmation: RP-initiated logout without a valid `id_token_hint` asks first (a CSRF-protected POST). */
import { Hidden, Layout, type Page } from "./layout.tsx";
import { texts } from "./texts.ts";

export function SignOutPage(props: { page: Page; fields?: Record<string, string | null | undefined> }) {
  const { page } = props;
  const t = texts.signOut;
  return (
    <Layout page={page} title={t.title}>
      <h1>{t.heading}</h1>
      <p>{t.question(page.brand.name)}</p>
      <form method="post" action={`${page.base}/oauth/logout`}>
        <Hidden page={page} fields={props.fields} />
        <input type="hidden" name="confirm" value="yes" />
        <button type="submit">{t.submit}</button>
      </form>
    </Layout>
  );
}
