/** @jsxImportSource hono/jsx */
/**
 * @module The signed-in user's passkeys: each with a remove button, and "Add a passkey"
 * (passkey.tsx) while the sign-in is recent enough to change them; else a link to sign in
 * again. Also the offer to add one right after a password sign-in.
 */
import type { PublicPasskey } from "../../objects/tenant/passkeys/store.ts";
import { Hidden, Layout, type Page } from "./layout.tsx";
import { PasskeyButton, type PasskeyCeremony } from "./passkey.tsx";
import { texts } from "./texts.ts";

const day = (iso: string) => iso.slice(0, 10);

export function PasskeysPage(props: { page: Page; who: string; passkeys: PublicPasskey[]; add: PasskeyCeremony | null; notice?: string | null; error?: string | null }) {
  const { page } = props;
  const t = texts.passkey;
  return (
    <Layout page={page} title={t.title}>
      <h1>{t.heading}</h1>
      <p class="muted">{texts.apps.signedInAs(props.who)}</p>
      <p>{t.intro}</p>
      {props.notice ? <p class="notice" role="status">{props.notice}</p> : null}
      {props.error ? <p class="error" role="alert">{props.error}</p> : null}
      {props.passkeys.length === 0 ? <p>{t.none}</p> : null}
      <ul class="apps">
        {props.passkeys.map((p) => (
          <li>
            <strong>{p.name}</strong>
            <p class="muted">
              {t.created(day(p.created_at))}
              {p.last_used_at ? `, ${t.lastUsed(day(p.last_used_at))}` : ""}
            </p>
            <form method="post" action={`${page.base}/pages/passkeys/remove`}>
              <Hidden page={page} fields={{ id: p.id }} />
              <button type="submit" class="secondary">{t.remove}</button>
            </form>
          </li>
        ))}
      </ul>
      {props.add ? <PasskeyButton page={page} ceremony={props.add} /> : (
        <>
          <p class="muted">{t.stepUp}</p>
          <nav class="links">
            <a href={`${page.base}/pages/sign-in`}>{t.signInAgain}</a>
          </nav>
        </>
      )}
      <nav class="links">
        <a href={`${page.base}/pages/apps`}>{texts.apps.title}</a>
        <a href={`${page.base}/pages/sign-out`}>{texts.apps.signOut}</a>
      </nav>
    </Layout>
  );
}

/** After a password sign-in, for an account without a passkey: add one now, or carry on. */
export function PasskeyOfferPage(props: { page: Page; add: PasskeyCeremony }) {
  const { page } = props;
  const t = texts.passkey;
  return (
    <Layout page={page} title={t.offerTitle}>
      <h1>{t.offerTitle}</h1>
      <p>{texts.signedIn.text}</p>
      <p>{t.offer}</p>
      <PasskeyButton page={page} ceremony={props.add} />
      <nav class="links">
        <a href={`${page.base}/pages/apps`}>{t.notNow}</a>
      </nav>
    </Layout>
  );
}
