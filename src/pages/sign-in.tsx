/** @jsxImportSource hono/jsx */
/**
 * @module The sign-in page: email or username and password, with links to the other ways in,
 * and, where the browser can, "Sign in with a passkey" and passkeys in the username field's
 * autofill (passkey.tsx).
 */
import { ErrorBox, Field, Hidden, Layout, Turnstile, withFlow, type Page } from "./layout.tsx";
import { PasskeyButton, type PasskeyCeremony } from "./passkey.tsx";
import { ProviderButtons } from "./idp.tsx";
import { texts } from "./texts.ts";

export function SignInPage(props: { page: Page; clientName?: string | null; login?: string | null; error?: string | null; turnstile: string | null; passkey?: PasskeyCeremony | null }) {
  const { page } = props;
  const t = texts.signIn;
  return (
    <Layout page={page} title={t.title} turnstile={!!props.turnstile}>
      <h1>{t.heading(page.brand.name)}</h1>
      {props.clientName ? <p class="muted">{t.toContinue(props.clientName)}</p> : null}
      <ErrorBox message={props.error} />
      <ProviderButtons page={page} />
      <form method="post" action={`${page.base}/pages/sign-in`}>
        <Hidden page={page} />
        <Field name="login" label={t.login} autocomplete={props.passkey ? "username webauthn" : "username"} value={props.login} autofocus={!props.login} />
        <Field name="password" label={t.password} type="password" autocomplete="current-password" autofocus={!!props.login} />
        <Turnstile siteKey={props.turnstile} />
        <button type="submit">{t.submit}</button>
      </form>
      {props.passkey ? <PasskeyButton page={page} ceremony={props.passkey} /> : null}
      <nav class="links">
        <a href={withFlow(`${page.base}/pages/password/forgot`, page.flow)}>{t.forgot}</a>
        {page.brand.magicLink ? <a href={withFlow(`${page.base}/pages/magic-link`, page.flow)}>{t.magicLink}</a> : null}
        {page.brand.signup.enabled ? (
          <span>
            {t.noAccount} <a href={withFlow(`${page.base}/pages/sign-up`, page.flow)}>{t.signUp}</a>
          </span>
        ) : null}
      </nav>
    </Layout>
  );
}
