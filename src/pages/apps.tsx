/** @jsxImportSource hono/jsx */
/** @module "Your apps": the clients the signed-in user has consented to, each with a button that removes its access. */
import { Hidden, Layout, type Page } from "./layout.tsx";
import { scopeLabel } from "./consent.tsx";
import { texts } from "./texts.ts";

export interface AppEntry {
  clientId: string;
  name: string;
  logoUri: string | null;
  scopes: string[];
}

export function AppsPage(props: { page: Page; who: string; apps: AppEntry[]; notice?: string | null }) {
  const { page } = props;
  const t = texts.apps;
  return (
    <Layout page={page} title={t.title}>
      <h1>{t.heading}</h1>
      <p class="muted">{t.signedInAs(props.who)}</p>
      {props.notice ? <p class="notice" role="status">{props.notice}</p> : null}
      {props.apps.length === 0 ? <p>{t.none}</p> : null}
      <ul class="apps">
        {props.apps.map((a) => (
          <li>
            <div class="client">
              {a.logoUri ? <img src={a.logoUri} alt="" /> : null}
              <strong>{a.name}</strong>
            </div>
            <p class="muted">{t.granted(a.scopes.map(scopeLabel).join("; "))}</p>
            <form method="post" action={`${page.base}/pages/apps/remove`}>
              <Hidden page={page} fields={{ client_id: a.clientId }} />
              <button type="submit" class="secondary">{t.remove}</button>
            </form>
          </li>
        ))}
      </ul>
      <nav class="links">
        <a href={`${page.base}/pages/passkeys`}>{texts.passkey.manage}</a>
        <a href={`${page.base}/pages/sign-out`}>{t.signOut}</a>
      </nav>
    </Layout>
  );
}
