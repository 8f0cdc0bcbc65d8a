/** @jsxImportSource hono/jsx */
/**
 * @module The second step of a sign-in: a current code or a recovery code, or one of the
 * account's passkeys; when the tenant requires a second factor and the account has none, adding
 * a TOTP (its key and `otpauth:` link, then a code); and the recovery codes once it is added.
 */
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

/** A TOTP being added at sign-in. The key travels back in hidden fields only to be shown again after a wrong code: the code is checked against the secret Warden holds. */
export function MfaEnrollPage(props: { page: Page; mfaToken: string; secret: string; otpauthUri: string; error?: string | null }) {
  const { page } = props;
  const t = texts.mfaEnroll;
  return (
    <Layout page={page} title={t.title}>
      <h1>{t.heading}</h1>
      <p class="muted">{t.intro}</p>
      <ErrorBox message={props.error} />
      <p>
        {t.key}: <code id="totp-secret">{props.secret.replace(/(.{4})(?=.)/g, "$1 ")}</code>
      </p>
      <p>
        <a href={props.otpauthUri}>{t.link}</a>
      </p>
      <form method="post" action={`${page.base}/pages/sign-in/mfa/enroll`}>
        <Hidden page={page} fields={{ mfa_token: props.mfaToken, secret: props.secret, otpauth_uri: props.otpauthUri }} />
        <Field name="code" label={t.code} autocomplete="one-time-code" inputmode="numeric" autofocus />
        <button type="submit">{t.submit}</button>
      </form>
    </Layout>
  );
}

/** The new factor's recovery codes, once, then a link on to where the sign-in was going. */
export function RecoveryCodesPage(props: { page: Page; codes: string[]; next: string }) {
  const t = texts.recoveryCodes;
  return (
    <Layout page={props.page} title={t.title}>
      <h1>{t.heading}</h1>
      <p class="muted">{t.intro}</p>
      <ul id="recovery-codes">
        {props.codes.map((code) => <li><code>{code}</code></li>)}
      </ul>
      <p>
        <a href={props.next}>{t.continue}</a>
      </p>
    </Layout>
  );
}
