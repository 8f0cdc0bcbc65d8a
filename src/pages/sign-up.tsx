/** @jsxImportSource hono/jsx */
/** @module The sign-up page, offered when the tenant lets people sign up; the fields follow `signup.identifiers`. */
import { ErrorBox, Field, Hidden, Layout, Turnstile, withFlow, type Page } from "./layout.tsx";
import { texts } from "./texts.ts";

export function SignUpPage(props: { page: Page; email?: string | null; username?: string | null; error?: string | null; turnstile: string | null }) {
  const { page } = props;
  const t = texts.signUp;
  const ids = page.brand.signup.identifiers;
  return (
    <Layout page={page} title={t.title} turnstile={!!props.turnstile}>
      <h1>{t.heading(page.brand.name)}</h1>
      <ErrorBox message={props.error} />
      <form method="post" action={`${page.base}/pages/sign-up`}>
        <Hidden page={page} />
        {ids.includes("email") ? <Field name="email" label={t.email} type="email" autocomplete="email" value={props.email} autofocus /> : null}
        {ids.includes("username") && !ids.includes("email") ? <Field name="username" label={t.username} autocomplete="username" value={props.username} autofocus /> : null}
        <Field name="password" label={t.password} type="password" autocomplete="new-password" hint={t.passwordHint(page.brand.passwordMinLength)} minlength={page.brand.passwordMinLength} />
        <Turnstile siteKey={props.turnstile} />
        <button type="submit">{t.submit}</button>
      </form>
      <nav class="links">
        <span>
          {t.haveAccount} <a href={withFlow(`${page.base}/pages/sign-in`, page.flow)}>{t.signIn}</a>
        </span>
      </nav>
    </Layout>
  );
}
