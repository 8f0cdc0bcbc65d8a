/** @jsxImportSource hono/jsx */
/** @module The consent page: which app, signed in as whom, what it asks for; Allow or Deny. */
import { Hidden, Layout, type Page } from "./layout.tsx";
import { texts } from "./texts.ts";

export function scopeLabel(scope: string): string {
  return texts.consent.scopes[scope] ?? texts.consent.otherScope(scope);
}

export function ConsentPage(props: { page: Page; client: { name: string; logoUri: string | null; uri?: string | null }; who: string; scopes: string[] }) {
  const { page, client } = props;
  const t = texts.consent;
  return (
    <Layout page={page} title={t.title}>
      <div class="client">
        {client.logoUri ? <img src={client.logoUri} alt="" /> : null}
        <h1>{t.heading(client.name)}</h1>
      </div>
      <p class="muted">{t.signedInAs(props.who)}</p>
      <p>{t.wants}</p>
      <ul class="scopes">
        {props.scopes.map((s) => (
          <li>{scopeLabel(s)}</li>
        ))}
      </ul>
      <form method="post" action={`${page.base}/pages/consent`}>
        <Hidden page={page} />
        <div class="row">
          <button type="submit" name="decision" value="deny" class="secondary">{t.deny}</button>
          <button type="submit" name="decision" value="allow">{t.allow}</button>
        </div>
      </form>
      <nav class="links">
        <a href={`${page.base}/pages/sign-out`}>{t.notYou}</a>
      </nav>
    </Layout>
  );
}
