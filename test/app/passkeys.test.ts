/// <reference types="node" />
/**
 * @module `app.passkeys` against the server as `npm start` runs it, in Node, with the tests'
 * software authenticator (test/passkeys/authenticator.ts) behind an injected `credentials`
 * container that takes what `navigator.credentials` takes: options with bytes (decoded by the
 * client's own base64url fallback, since Node has no `PublicKeyCredential`), and a credential
 * with `toJSON()` or, like an older browser's, only its bytes. Registration, usernameless and
 * login-first sign-in, the second factor, step-up, passkey-only sign-up, and a sign-in whose
 * tokens are shared with a second client over one store and refreshed and signed out like a
 * password sign-in's.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { beforeEach, test } from "node:test";
import { createWardenApp, memoryStorage, type CredentialsLike, type StorageLike, type WardenAppOptions } from "../../src/app/index.ts";
import { base32Decode } from "../../src/crypto/base32.ts";
import { b64url, fromB64url } from "../../src/crypto/bytes.ts";
import { hotp, totpStep } from "../../src/crypto/totp.ts";
import { adminCall } from "../e2e/jar.ts";
import { useServer } from "../e2e/server.ts";
import { SoftAuthenticator, type Overrides } from "../passkeys/authenticator.ts";

const server = useServer();
const ORIGIN = "http://localhost:5173"; // the app's page; an IP cannot be an RP ID (WebAuthn L3 section 5.1.3)
const PASSWORD = "correct horse battery staple";
const slug = `apk${randomBytes(3).toString("hex")}`;
let created: Promise<unknown> | null = null;

// Not a `before`: node:test runs a file's top-level `before` hooks side by side, and this one needs the server's done.
beforeEach(() =>
  (created ??= adminCall(server, "POST", "/tenants", {
    slug,
    name: "Passkey App",
    settings: { password: { hash: "pbkdf2-sha256" }, webauthn: { rp_id: "localhost", origins: [ORIGIN] }, rate_limits: { signup: { limit: 1000, window_s: 60 } } },
  })),
);

const buf = (s: string) => fromB64url(s).buffer as ArrayBuffer;
const enc = (b: unknown) => {
  assert.ok(b instanceof ArrayBuffer, "the container is given bytes, as navigator.credentials is");
  return b64url(new Uint8Array(b));
};

/** The credential as a browser without `toJSON()` hands it over: bytes only. */
function bytesOnly(c: any): any {
  const r = c.response;
  const response = r.attestationObject
    ? { clientDataJSON: buf(r.clientDataJSON), attestationObject: buf(r.attestationObject), getTransports: () => r.transports }
    : { clientDataJSON: buf(r.clientDataJSON), authenticatorData: buf(r.authenticatorData), signature: buf(r.signature), userHandle: r.userHandle ? buf(r.userHandle) : null };
  return { id: c.id, rawId: buf(c.rawId), type: c.type, authenticatorAttachment: c.authenticatorAttachment, getClientExtensionResults: () => ({}), response };
}

/** `navigator.credentials` over the software authenticator. */
function softCredentials(auth: SoftAuthenticator, o: { bytes?: boolean; overrides?: Overrides } = {}): CredentialsLike & { seen: any[] } {
  const seen: any[] = [];
  const out = (c: any) => (o.bytes ? bytesOnly(c) : { ...c, toJSON: () => c });
  return {
    seen,
    async create({ publicKey: p }) {
      seen.push(p);
      const json = { ...p, challenge: enc(p.challenge), user: { ...p.user, id: enc(p.user.id) }, excludeCredentials: p.excludeCredentials?.map((c: any) => ({ ...c, id: enc(c.id) })) };
      return out(await auth.create(json, o.overrides));
    },
    async get({ publicKey: p }) {
      seen.push(p);
      return out(await auth.get({ ...p, challenge: enc(p.challenge), allowCredentials: p.allowCredentials?.map((c: any) => ({ ...c, id: enc(c.id) })) }, o.overrides));
    },
  };
}

let offset = 0;
const clock = { now: () => Date.now() + offset };

function app(credentials: CredentialsLike, more: Partial<WardenAppOptions> = {}) {
  return createWardenApp({ baseUrl: server.url, tenant: slug, credentials, clock, storage: memoryStorage(), retry: { initialMs: 1 }, ...more });
}

const email = () => `${randomBytes(5).toString("hex")}@example.com`;

test("register a passkey, sign out, sign in usernameless: the tokens go to the shared store, refresh and cross-client sign-out work as for a password", async () => {
  const auth = new SoftAuthenticator({ origin: ORIGIN });
  const credentials = softCredentials(auth);
  const storage: StorageLike = memoryStorage();
  const a = app(credentials, { storage });
  const b = app(credentials, { storage }); // another tab of the origin: same store
  const seenByB: string[] = [];
  b.onChange((e) => seenByB.push(e.type === "signed_out" ? `signed_out:${e.reason}` : e.type));
  try {
    const address = email();
    assert.equal((await a.signUp({ email: address, password: PASSWORD })).status, "signed_in");
    const pk = await a.passkeys.register({ name: "Laptop" });
    assert.equal(pk.name, "Laptop");
    assert.match(pk.id, /^pk_/);
    assert.ok(credentials.seen[0].user.id instanceof ArrayBuffer);
    assert.deepEqual((await a.passkeys.list()).map((p) => p.id), [pk.id]);
    await a.signOut();
    assert.equal(await b.getAccessToken(), null);

    const r = await a.passkeys.signIn();
    assert.equal(r.status, "signed_in");
    assert.equal(credentials.seen.at(-1).allowCredentials, undefined, "usernameless: no credential list");
    const me = await b.user.get(); // the other client uses the same session
    assert.equal(me.email, address);
    const first = await b.getAccessToken();
    const sessionId = (await a.session())!.session_id;
    const amr = (await a.sessions.list()).find((s) => s.current)!.amr;
    assert.deepEqual(amr, ["pop", "mfa"], "a user-verified passkey is two factors");

    offset += 61 * 60_000; // at expiry: one refresh, both clients on the new pair
    const [ta, tb] = await Promise.all([a.getAccessToken(), b.getAccessToken()]);
    assert.equal(ta, tb);
    assert.notEqual(ta, first);
    assert.equal((await b.session())!.session_id, sessionId);

    await a.signOutEverywhere();
    assert.equal(await b.getAccessToken(), null);
    assert.deepEqual(seenByB.filter((e) => e.startsWith("signed_out")), ["signed_out:local", "signed_out:local"]);
    assert.ok(seenByB.includes("refreshed"));
  } finally {
    a.close();
    b.close();
  }
});

test("sign-in with a login lists that user's passkeys; a browser without toJSON() gets the same JSON from the fallback", async () => {
  const auth = new SoftAuthenticator({ origin: ORIGIN, alg: "EdDSA" });
  const a = app(softCredentials(auth, { bytes: true }));
  try {
    const address = email();
    await a.signUp({ email: address, password: PASSWORD });
    const pk = await a.passkeys.register();
    await a.signOut();
    const credentials = softCredentials(auth, { bytes: true });
    const c = app(credentials);
    const r = await c.passkeys.signIn({ login: address });
    assert.equal(r.status, "signed_in");
    const allowed = credentials.seen[0].allowCredentials;
    assert.equal(allowed.length, 1);
    assert.equal(enc(allowed[0].id), auth.credentials[0].id);
    assert.equal((await c.passkeys.list())[0].id, pk.id);
    c.close();
  } finally {
    a.close();
  }
});

test("a bad assertion is Warden's error and signs nobody in", async () => {
  const auth = new SoftAuthenticator({ origin: ORIGIN });
  const a = app(softCredentials(auth));
  await a.signUp({ email: email(), password: PASSWORD });
  await a.passkeys.register();
  await a.signOut();
  const bad = app(softCredentials(auth, { overrides: { badSignature: true } }));
  await assert.rejects(bad.passkeys.signIn(), (e: any) => e.name === "WardenError" && e.status >= 400 && e.status < 500);
  assert.equal(await bad.session(), null);
  const wrongOrigin = app(softCredentials(auth, { overrides: { origin: "https://evil.example" } }));
  await assert.rejects(wrongOrigin.passkeys.signIn(), { name: "WardenError" });
  assert.equal(await wrongOrigin.getAccessToken(), null);
  for (const x of [a, bad, wrongOrigin]) x.close();
});

test("a cancelled ceremony rejects with the platform's error and leaves the session as it was", async () => {
  const cancelled = new DOMException("The operation either timed out or was not allowed.", "NotAllowedError");
  const a = app({ create: () => Promise.reject(cancelled), get: () => Promise.reject(cancelled) });
  await assert.rejects(a.passkeys.signIn(), { name: "NotAllowedError" });
  assert.equal(await a.session(), null);
  const none = app({ create: async () => null, get: async () => null });
  await assert.rejects(none.passkeys.signIn(), { name: "WardenError", code: "passkey_cancelled" });
  const missing = app(null as unknown as CredentialsLike, { credentials: null });
  await assert.rejects(missing.passkeys.signIn(), { code: "passkeys_unsupported" });
  for (const x of [a, none, missing]) x.close();
});

test("step-up with a passkey keeps the session with a new pair; with TOTP on, the passkey completes a password sign-in", async () => {
  const auth = new SoftAuthenticator({ origin: ORIGIN });
  const a = app(softCredentials(auth));
  try {
    await a.signUp({ email: email(), password: PASSWORD });
    await a.passkeys.register();
    const before = await a.session();
    const token = await a.getAccessToken();
    const after = await a.passkeys.reauth();
    assert.equal(after.session_id, before!.session_id);
    assert.notEqual(await a.getAccessToken(), token);
    const enrol = await a.mfa.enrollTotp(); // needs the fresh step-up
    await a.mfa.confirmTotp(hotp(base32Decode(enrol.secret), totpStep(Date.now())));
    const login = (await a.user.get()).email!;
    await a.signOut();

    const r = await a.signIn({ login, password: PASSWORD });
    assert.equal(r.status, "mfa_required");
    if (r.status !== "mfa_required") return;
    assert.ok(r.methods.includes("webauthn"), `methods: ${r.methods}`);
    assert.equal(await a.session(), null);
    const done = await r.completeWithPasskey();
    assert.equal(done.status, "signed_in");
    const amr = (await a.sessions.list()).find((s) => s.current)!.amr;
    assert.ok(amr.includes("pwd") && amr.includes("pop"), `amr: ${amr}`);
  } finally {
    a.close();
  }
});

test("passkey-only sign-up: an account with no password, signed in; its passkey can be renamed but not removed (the last way in)", async () => {
  const auth = new SoftAuthenticator({ origin: ORIGIN });
  const a = app(softCredentials(auth));
  try {
    const address = email();
    const r = await a.passkeys.signUp({ email: address, name: "Phone" });
    assert.equal(r.status, "signed_in");
    if (r.status !== "signed_in") return;
    assert.equal(r.session.user.email, address);
    const [pk] = await a.passkeys.list();
    assert.equal(pk.name, "Phone");
    assert.equal((await a.passkeys.rename(pk.id, "Old phone")).name, "Old phone");
    await assert.rejects(a.passkeys.remove(pk.id), { name: "WardenError", status: 409 });
    await a.signOut();
    assert.equal((await a.passkeys.signIn({ login: address })).status, "signed_in");
    await assert.rejects(a.passkeys.signUp({ email: address }), { name: "WardenError", code: "conflict" });
  } finally {
    a.close();
  }
});
