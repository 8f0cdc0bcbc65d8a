/** @jsxImportSource hono/jsx */
/**
 * @module The one piece of the hosted pages that needs JavaScript: a passkey ceremony. The
 * server renders the WebAuthn options into the form (`data-options`); one inline script,
 * allowed by its SHA-256 in the page's CSP, feeds them to the browser's own
 * `PublicKeyCredential.parseRequestOptionsFromJSON` / `parseCreationOptionsFromJSON`, and
 * posts `credential.toJSON()` back through the same form, so the page route (CSRF, cookie,
 * flow) handles it like any other form. Without JavaScript, or without WebAuthn, the button
 * stays hidden and the page's other methods remain. On the sign-in page the script also
 * starts conditional mediation: passkeys offered in the username field's autofill
 * (`autocomplete="username webauthn"`).
 */
import { raw } from "hono/html";
import { sha256 } from "@noble/hashes/sha2.js";
import { utf8 } from "../crypto/bytes.ts";
import { Hidden, type Page } from "./layout.tsx";
import { texts } from "./texts.ts";

export const PASSKEY_SCRIPT = `(() => {
  const f = document.getElementById("webauthn"), P = window.PublicKeyCredential;
  if (!f || !P || !P.parseRequestOptionsFromJSON || !P.parseCreationOptionsFromJSON) return;
  const b = f.querySelector("button"), e = document.getElementById("webauthn-error");
  const o = JSON.parse(f.dataset.options), create = f.dataset.mode === "create";
  let pending = null;
  async function run(conditional) {
    if (pending) pending.abort();
    const signal = (pending = new AbortController()).signal;
    try {
      const c = create
        ? await navigator.credentials.create({ publicKey: P.parseCreationOptionsFromJSON(o), signal })
        : await navigator.credentials.get({ publicKey: P.parseRequestOptionsFromJSON(o), signal, mediation: conditional ? "conditional" : "optional" });
      if (!c) return;
      f.elements.response.value = JSON.stringify(c.toJSON());
      f.submit();
    } catch (x) {
      if (x && x.name === "AbortError") return;
      e.textContent = x && x.name === "NotAllowedError" ? f.dataset.cancelled : f.dataset.failed;
      e.hidden = false;
    }
  }
  b.hidden = false;
  b.addEventListener("click", () => run(false));
  if (f.dataset.conditional && P.isConditionalMediationAvailable) P.isConditionalMediationAvailable().then((ok) => ok && run(true));
})();`;

export const PASSKEY_SCRIPT_HASH = `'sha256-${btoa(String.fromCharCode(...sha256(utf8(PASSKEY_SCRIPT))))}'`;

export interface PasskeyCeremony {
  mode: "get" | "create";
  /** The options JSON from the tenant object (request or creation options). */
  options: unknown;
  /** Where the form posts `response`. */
  action: string;
  label: string;
  /** Hidden fields besides CSRF and the flow (the MFA token). */
  fields?: Record<string, string | null | undefined>;
  /** Sign-in page only: offer passkeys in the username field's autofill as well. */
  conditional?: boolean;
}

/** The ceremony's form, its (hidden until the script runs) button, the error line and the script. */
export function PasskeyButton(props: { page: Page; ceremony: PasskeyCeremony }) {
  const c = props.ceremony;
  return (
    <>
      <form
        method="post"
        action={c.action}
        id="webauthn"
        data-mode={c.mode}
        data-options={JSON.stringify(c.options)}
        data-conditional={c.conditional ? "1" : undefined}
        data-failed={texts.passkey.failed}
        data-cancelled={texts.passkey.cancelled}
      >
        <Hidden page={props.page} fields={c.fields} />
        <input type="hidden" name="response" value="" />
        <button type="button" class="secondary" hidden>
          {c.label}
        </button>
      </form>
      <p class="error" role="alert" id="webauthn-error" hidden></p>
      <script>{raw(PASSKEY_SCRIPT)}</script>
    </>
  );
}

/** The CSP additions of a page that shows a ceremony. */
export const passkeyCsp = (c: PasskeyCeremony | null | undefined) => (c ? [PASSKEY_SCRIPT_HASH] : []);
