/**
 * @module `createWardenApp`: the app client of one tenant, for browsers, React Native and Node
 * back ends that sign users in. Every instance has its own state (no module singleton): on a
 * server, make one per user, each with its own storage. In a browser the defaults share one
 * session between the tabs of the origin: `localStorage`, Web Locks, `BroadcastChannel`, and
 * the live socket in one elected tab.
 *
 * The calls are grouped the way Warden's routes are: sign-in (`signUp`, `signIn`, `magicLink`,
 * `password`), the session (`getAccessToken`, `fetch`, `signOut`, `signOutEverywhere`,
 * `onChange`), the account (`user`, `email`, `sessions`, `reauth`, `mfa`), and `passkeys`
 * (src/app/passkeys.ts, with the browser half of the ceremonies in webauthn.ts), built on
 * `firstFactor`, `authed` and `renewing` like the others.
 */
import { createCoordination, memoryStorage } from "./coordination.ts";
import { WardenError } from "./errors.ts";
import { authorizedFetch } from "./fetch.ts";
import { createHttp } from "./http.ts";
import { Live, type LiveStatus } from "./live.ts";
import { createOAuth, type OAuthOptions } from "./oauth.ts";
import { createPasskeys, mfaWithPasskey } from "./passkeys.ts";
import { publicSession, SessionStore, type RetryPolicy } from "./session.ts";
import type {
  BroadcastChannelCtor, ChangeEvent, Clock, FetchLike, LocksLike, PublicSession, PublicUser, ReauthInput, Session, SignInInput, SignInResult,
  SignUpInput, StorageLike, TokenResponse, TotpEnrollment, UpdateUserInput, WebSocketCtor,
} from "./types.ts";
import { createCeremony, type CredentialsLike, type PublicKeyCredentialStatics } from "./webauthn.ts";

export interface WardenAppOptions {
  /** Warden's public URL, e.g. `https://auth.example.com`. */
  baseUrl: string;
  tenant: string;
  /** Where the session is kept. Default: `localStorage` in a browser, memory elsewhere. */
  storage?: StorageLike;
  fetch?: FetchLike;
  /** For the live socket. Default the global one in a browser; elsewhere pass one to enable live sign-out. */
  WebSocket?: WebSocketCtor | null;
  /** Default `navigator.locks` in a browser; `null` for none (then storage leases or in-process). */
  locks?: LocksLike | null;
  /** Default the global one in a browser; `null` for none (then `storage` events or in-process). */
  BroadcastChannel?: BroadcastChannelCtor | null;
  /** Origins `app.fetch` sends the access token to. Default: this page's origin in a browser, none elsewhere. */
  apiOrigins?: string[];
  /** Hold the live socket while signed in. Default true when a WebSocket is available (see `WebSocket`). */
  live?: boolean;
  /** Refresh this long before the access token expires (at most a quarter of its lifetime). Default 60 s. */
  refreshAheadS?: number;
  retry?: RetryPolicy;
  /** Live socket reconnect delays. Default 250 ms doubling to 30 s. */
  backoff?: { initialMs?: number; maxMs?: number };
  pingIntervalMs?: number;
  /** For `app.passkeys`: the WebAuthn container. Default `navigator.credentials`; pass one in tests or on platforms without it. */
  credentials?: CredentialsLike | null;
  /** The L3 JSON parsers. Default the global `PublicKeyCredential`; `null` converts base64url here instead. */
  PublicKeyCredential?: PublicKeyCredentialStatics | null;
  /** For `app.oauth`: sign-in through the tenant's provider as a public client (authorization code + PKCE). */
  oauth?: OAuthOptions;
  /** Prefix of storage keys, lock and channel names. Default `warden:{tenant}`. */
  storageKey?: string;
  clock?: Clock;
  /** Errors the client handled itself (a dropped socket, a failed background refresh). */
  onError?(e: unknown): void;
}

const g = globalThis as Record<string, any>;

/** A page, not a server runtime that happens to have some web globals (Node 24 has locks and BroadcastChannel). */
const inBrowser = () => typeof g.document !== "undefined" && typeof g.window !== "undefined";

function browserStorage(): StorageLike | null {
  try {
    const s = g.localStorage as StorageLike | undefined;
    return s && typeof s.getItem === "function" ? s : null; // reading it throws in some sandboxed frames
  } catch {
    return null;
  }
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function createWardenApp(o: WardenAppOptions) {
  if (!o.baseUrl || !o.tenant) throw new TypeError("createWardenApp needs baseUrl and tenant");
  const browser = inBrowser();
  const fetchFn: FetchLike = o.fetch ?? ((input, init) => fetch(input, init));
  const clock = o.clock ?? { now: () => Date.now() };
  const local = browser ? browserStorage() : null;
  const storage = o.storage ?? local ?? memoryStorage();
  const namespace = o.storageKey ?? `warden:${o.tenant}`;
  const coordination = createCoordination({
    storage,
    namespace,
    locks: o.locks !== undefined ? o.locks : browser ? (g.navigator?.locks ?? null) : null,
    BroadcastChannel: o.BroadcastChannel !== undefined ? o.BroadcastChannel : browser ? (g.BroadcastChannel ?? null) : null,
    storageEvents: storage === local && typeof g.addEventListener === "function" ? (g as any) : null,
    sleep: defaultSleep,
    now: () => clock.now(),
  });
  const http = createHttp(o.baseUrl, o.tenant, fetchFn);
  const store = new SessionStore({
    http,
    storage,
    coordination,
    namespace,
    clock,
    sleep: defaultSleep,
    refreshAheadMs: (o.refreshAheadS ?? 60) * 1000,
    retry: o.retry ?? {},
  });
  const onError = o.onError ?? (() => {});
  const WS = o.WebSocket !== undefined ? o.WebSocket : browser ? (g.WebSocket ?? null) : null;
  const live =
    WS && o.live !== false
      ? new Live({ http, store, coordination, WebSocket: WS, sleep: defaultSleep, backoff: o.backoff ?? {}, pingIntervalMs: o.pingIntervalMs ?? 30_000, onError })
      : null;
  if (live) void store.current().then((s) => s && live.start());

  /** Stores a sign-in's token response. */
  async function signedIn(call: () => Promise<TokenResponse>): Promise<{ status: "signed_in"; session: Session }> {
    const sentAt = clock.now();
    return { status: "signed_in", session: await store.adopt(await call(), sentAt) };
  }

  const ceremony = createCeremony({ credentials: o.credentials, PublicKeyCredential: o.PublicKeyCredential });

  /** A first factor's answer: signed in, or the second step to finish. */
  async function firstFactor(call: () => Promise<TokenResponse>): Promise<SignInResult> {
    try {
      return await signedIn(call);
    } catch (e) {
      if (!(e instanceof WardenError) || (e.code !== "mfa_required" && e.code !== "mfa_enrollment_required") || typeof e.extra.mfa_token !== "string") throw e;
      const mfaToken = e.extra.mfa_token;
      if (e.code === "mfa_enrollment_required") {
        return {
          status: "mfa_enrollment_required",
          enroll: () => http.call<TotpEnrollment>("POST", "/login/mfa/totp", { body: { mfa_token: mfaToken } }),
          complete: async (code: string) => {
            let codes: string[] = [];
            const done = await signedIn(async () => {
              const r = await http.call<TokenResponse & { recovery_codes?: string[] }>("POST", "/login/mfa", { body: { mfa_token: mfaToken, code } });
              codes = r.recovery_codes ?? [];
              return r;
            });
            return { ...done, recoveryCodes: codes };
          },
        };
      }
      return {
        status: "mfa_required",
        methods: Array.isArray(e.extra.methods) ? (e.extra.methods as string[]) : ["totp"],
        complete: (code: string) => signedIn(() => http.call("POST", "/login/mfa", { body: { mfa_token: mfaToken, code } })),
        completeWithPasskey: () => signedIn(() => mfaWithPasskey(http, ceremony, mfaToken)),
      };
    }
  }

  /** A call with the access token; on `invalid_token`, one refresh and one retry. */
  async function authed<T>(method: string, path: string, body?: unknown): Promise<T> {
    const token = await store.getAccessToken();
    if (!token) throw new WardenError("unauthorized", "Not signed in.", { status: 401 });
    try {
      return await http.call<T>(method, path, { token, body });
    } catch (e) {
      if (!(e instanceof WardenError) || e.code !== "invalid_token") throw e;
      const fresh = await store.refresh(token);
      if (!fresh || fresh.access_token === token) throw e;
      return http.call<T>(method, path, { token: fresh.access_token, body });
    }
  }

  /** A call that answers a new pair for this session (step-up, credential change). */
  async function renewing(method: string, path: string, body?: unknown): Promise<Session> {
    const sentAt = clock.now();
    return store.adopt(await authed<TokenResponse>(method, path, body), sentAt);
  }

  /** Signs out here even if Warden cannot be told: the tokens are gone from this device either way. */
  async function endWith(path: string): Promise<void> {
    const s = await store.current();
    try {
      if (s) await http.call("POST", path, { token: (await store.getAccessToken().catch(() => null)) ?? s.access_token });
    } catch (e) {
      // Already dead is what we wanted; anything else is reported, after the local sign-out.
      if (!(e instanceof WardenError && e.code === "invalid_token")) throw e;
    } finally {
      await store.end("local");
    }
  }

  const apiOrigins = o.apiOrigins ?? (browser && g.location?.origin ? [g.location.origin as string] : []);

  return {
    signUp: (input: SignUpInput): Promise<SignInResult> => firstFactor(() => http.call("POST", "/signup", { body: input })),
    signIn: (input: SignInInput): Promise<SignInResult> => firstFactor(() => http.call("POST", "/login", { body: input })),
    magicLink: {
      /** Always 202 for a valid address, known or not. */
      request: (email: string): Promise<void> => http.call("POST", "/magic-link", { body: { email } }),
      verify: (token: string): Promise<SignInResult> => firstFactor(() => http.call("POST", "/magic-link/verify", { body: { token } })),
    },
    password: {
      forgot: (email: string): Promise<void> => http.call("POST", "/password/forgot", { body: { email } }),
      /** Ends every session of the account, this device's included: sign in again after. */
      reset: (token: string, newPassword: string): Promise<void> => http.call("POST", "/password/reset", { body: { token, new_password: newPassword } }),
    },
    email: {
      requestVerification: (): Promise<void> => authed("POST", "/email/verify/request"),
      /** Needs this account's session (Warden refuses a link used elsewhere). */
      verify: (token: string): Promise<void> => authed("POST", "/email/verify", { token }),
    },
    user: {
      get: (): Promise<PublicUser> => authed("GET", "/me"),
      /** A credential change ends every other session; this one goes on with a new pair. */
      update: (patch: UpdateUserInput): Promise<Session> => store.keepingSession(() => renewing("PATCH", "/me", patch)),
      /** Needs a recent authentication (`reauth`) or the password. */
      delete: async (password?: string): Promise<void> => {
        await authed("DELETE", "/me", password === undefined ? {} : { password });
        await store.end("local");
      },
    },
    sessions: {
      list: async (): Promise<PublicSession[]> => (await authed<{ sessions: PublicSession[] }>("GET", "/sessions")).sessions,
      /** Another session needs a recent authentication (`reauth`); this one is a sign-out. */
      revoke: async (id: string): Promise<void> => {
        await authed("DELETE", `/sessions/${encodeURIComponent(id)}`);
        if ((await store.current())?.session_id === id) await store.end("local");
      },
    },
    /** Step-up: proves a factor again; the session goes on with a fresh `auth_time`. */
    reauth: (proof: ReauthInput): Promise<Session> => renewing("POST", "/reauth", proof),
    /** For accounts without a password: a step-up link, then `reauth({ magic_link_token })`. */
    requestReauthLink: (): Promise<void> => authed("POST", "/reauth/magic-link"),
    mfa: {
      /** Needs a recent authentication. Show `otpauth_uri` as a QR code, then `confirmTotp`. */
      enrollTotp: (): Promise<TotpEnrollment> => authed("POST", "/mfa/totp"),
      confirmTotp: (code: string): Promise<{ enabled: true; recovery_codes: string[] }> => authed("POST", "/mfa/totp/confirm", { code }),
      disableTotp: (password?: string): Promise<void> => authed("DELETE", "/mfa/totp", password === undefined ? {} : { password }),
      regenerateRecoveryCodes: (): Promise<{ codes: string[] }> => authed("POST", "/mfa/recovery-codes"),
    },

    /** Passkeys: sign-in, sign-up, registration, step-up, management. */
    passkeys: createPasskeys({ http, ceremony, firstFactor, authed, renewing }),

    /** Authorization code + PKCE through the hosted pages (needs the `oauth` option). */
    oauth: createOAuth({ http, store, storage, namespace, clock }, o.oauth),

    /** A valid access token, refreshed first when it is due; null when signed out. */
    getAccessToken: (): Promise<string | null> => store.getAccessToken(),
    session: async (): Promise<Session | null> => {
      const s = await store.current();
      return s && publicSession(s);
    },
    onChange: (listener: (e: ChangeEvent) => void): (() => void) => store.onChange(listener),
    fetch: authorizedFetch(store, fetchFn, apiOrigins),
    signOut: (): Promise<void> => endWith("/logout"),
    /** Ends every session of the user (the secret rotates), then this one here. */
    signOutEverywhere: (): Promise<void> => endWith("/logout-all"),
    /** Whether this instance holds the live socket (`open`), waits its turn (`standby`), or has none (`off`). */
    get liveStatus(): LiveStatus {
      return live?.status ?? "off";
    },
    /** Stops the socket and the listeners; the stored session stays. */
    close(): void {
      live?.close();
      store.close();
      coordination.close();
    },
  };
}

export type WardenApp = ReturnType<typeof createWardenApp>;
