/** @jsxImportSource hono/jsx */
/** @module The console's sign-in page: the ADMIN_TOKEN, or a tenant's manage key and its tenant. */
import { ConsoleLayout, Csrf, Field, Notice, type Frame } from "./layout.tsx";
import { texts } from "./texts.ts";

export function SignInPage(props: { frame: Frame; error?: string | null; notice?: string | null; tenant?: string | null }) {
  return (
    <ConsoleLayout frame={props.frame} title={texts.signIn.title}>
      <section>
        <Notice error={props.error} ok={props.notice} />
        <p>{texts.signIn.intro}</p>
        <form method="post" action="/admin/sign-in">
          <Csrf frame={props.frame} />
          <Field name="token" label={texts.signIn.token} type="password" required autocomplete="current-password" />
          <Field name="tenant" label={texts.signIn.tenant} hint={texts.signIn.tenantHint} value={props.tenant} />
          <button type="submit">{texts.signIn.submit}</button>
        </form>
      </section>
    </ConsoleLayout>
  );
}
