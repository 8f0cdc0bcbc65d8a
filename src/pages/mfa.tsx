/** @jsxImportSource hono/jsx */
/** @module The second step of a sign-in when the account has TOTP: a current code or a recovery code, or one of the account's passkeys. */
import { ErrorBox, Field, Hidden, Layout, type Page } from "./layout.tsx";
import { PasskeyButton, type PasskeyCeremony } from "./passkey.tsx";
import { texts } from "./texts.ts";

export function MfaPage(props: { page: Page; mfaToken: string; error?: string | null; passkey?: PasskeyCeremony | null }) {
  const { page } = props;
  const t = texts.mfa;
  return (
    <Layout page={page} title={t.title}>
      <h1>{t.heading}</h1>
      <p class="muted">{t.intro}</p>
      <ErrorBox message={props.error} />
      <form method="post" action={`${page.base}/pages/sign-in/mfa`}>
        <Hidden page={page} fields={{ mfa_token: props.mfaToken }} />
        <Field name="code" label={t.code} autocomplete="one-time-code" inputmode="text" autofocus />
        <button type="submit">{t.submit}</button>
      </form>
      {props.passkey ? <PasskeyButton page={page} ceremony={props.passkey} /> : null}
    </Layout>
  );
}
