/**  @jsxImportSource hono/jsx */
/**
 * @module The page an emailed link opens: a button that POSTs the token. Opening the link (a
 * GET) spends nothing, so mail scanners that fetch links cannot use them up; for a password
 * reset the form also asks for the new password.
 */
import { ErrorBox, Field, Hidden, Layout, type Page } from "./layout.tsx";
import { texts } from "./texts.ts";

export type LinkKind = "magic_link" | "reset" | "verify_email";

const ACTION: Record<LinkKind, string> = { magic_link: "/pages/magic-link/verify", reset: "/pages/password/reset", verify_email: "/pages/email/verify" };

export function ConfirmLinkPage(props: { page: Page; kind: LinkKind; token: string; error?: string | null }) {
  const { page, kind } = props;
  const t = kind === "magic_link" ? { title: texts.magicLink.confirmTitle, text: texts.magicLink.confirm, submit: texts.magicLink.confirmSubmit } : kind === "reset" ? { title: texts.reset.title, text: null, submit: texts.reset.submit } : { title: texts.verifyEmail.title, text: texts.verifyEmail.confirm, submit: texts.verifyEmail.submit };
  return (
    <Layout page={page} title={t.title}>
      <h1>{kind === "reset" ? texts.reset.heading : t.title}</h1>
      {t.text ? <p class="muted">{t.text}</p> : null}
      <ErrorBox message={props.error} />
      <form method="post" action={`${page.base}${ACTION[kind]}`}>
        <Hidden page={page} fields={{ token: props.token }} />
        {kind === "reset" ? <Field name="new_password" label={texts.reset.password} type="password" autocomplete="new-password" hint={texts.signUp.passwordHint(page.brand.passwordMinLength)} minlength={page.brand.passwordMinLength} autofocus /> : null}
        <button type="submit">{t.submit}</button>
      </form>
    </Layout>
  );
}
