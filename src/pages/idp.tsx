/** @jsxImportSource hono/jsx */
/**
 * @module The upstream sign-in's pages: the provider buttons of the sign-in page, the "an
 * account with this email exists; sign in to link it" page, and the owner's confirmation.
 */
import { Hidden, Layout, withFlow, type Page } from "./layout.tsx";
import { texts } from "./texts.ts";

/** One link per enabled provider; a plain GET, so it works without JavaScript. */
export function ProviderButtons(props: { page: Page }) {
  const { page } = props;
  if (!page.brand.providers.length) return null;
  return (
    <div class="providers">
      {page.brand.providers.map((p) => (
        <a class="button secondary" href={withFlow(`${page.base}/idp/${p.id}/start`, page.flow)}>
          {p.iconUrl ? <img src={p.iconUrl} alt="" width="18" height="18" /> : null}
          {texts.idp.continueWith(p.name)}
        </a>
      ))}
      <p class="muted">{texts.idp.or}</p>
    </div>
  );
}

export function IdpExistsPage(props: { page: Page; email: string; provider: string }) {
  const { page } = props;
  return (
    <Layout page={page} title={texts.idp.linkTitle}>
      <h1>{texts.idp.linkTitle}</h1>
      <p>{texts.idp.exists(props.email, props.provider)}</p>
      <nav class="links">
        <a href={withFlow(`${page.base}/pages/sign-in`, page.flow)}>{texts.idp.signInToLink}</a>
      </nav>
    </Layout>
  );
}

export function IdpConfirmPage(props: { page: Page; provider: string; email: string }) {
  const { page } = props;
  return (
    <Layout page={page} title={texts.idp.confirmTitle}>
      <h1>{texts.idp.confirmTitle}</h1>
      <p>{texts.idp.confirm(props.provider, props.email)}</p>
      <form method="post" action={`${page.base}/pages/idp/link`}>
        <Hidden page={page} />
        <button type="submit">{texts.idp.confirmSubmit}</button>
      </form>
    </Layout>
  );
}
