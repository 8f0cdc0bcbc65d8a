/**
 * @module The tenant Durable Object: the source of truth for one tenant. A partyserver
 * `Server` (WebSocket subscribers with hibernation) whose RPC methods are thin: each one hands
 * off to a flow module under `objects/tenant/`. The platform entry points (constructor, RPC,
 * `fetch` for the WebSocket upgrade, `onAlarm`) live here and nowhere else.
 */
import { Server } from "partyserver";
import { logger } from "../src/log.ts";
import { clock } from "../src/clock.ts";
import { Sealer } from "../src/crypto/seal.ts";
import { fail, ok, type Result } from "../src/errors.ts";
import type { Env } from "../src/env.ts";
import { defaultAccessTtl, settingsSchema, type Settings } from "../schema/settings.ts";
import { newEffects, newMemo, type RequestMeta, type TenantCtx } from "./tenant/context.ts";
import { KeyRing } from "./tenant/keys.ts";
import type { Operator } from "./tenant/operator.ts";
import { Deliveries } from "./tenant/deliveries.ts";
import { migrate, schemaVersion, tenantExists } from "./tenant/tenant-schema.ts";
import { UserSecrets } from "./tenant/user-secrets.ts";
import { liveDelivery, openMessage, type Delivery, type WebhookDelivery } from "./tenant/outbox.ts";
import type { Issued, Runtime, TokenResponse } from "./tenant/runtime.ts";
import { audienceOf, signAccessToken, verifyAccessToken, VerifiedTokens, type AccessClaims } from "./tenant/tokens.ts";
import { getUser, type UserRow } from "./tenant/users.ts";
import { one } from "./tenant/sql.ts";
import { auditKeys } from "./tenant/audit.ts";
import { openSettings, sealSettings, writeSettings } from "./tenant/settings-store.ts";
import * as auth from "./tenant/flows/auth.ts";
import * as me from "./tenant/flows/me.ts";
import * as admin from "./tenant/flows/admin.ts";
import * as alarm from "./tenant/flows/alarm.ts";
import * as subscribers from "./tenant/flows/subscribers.ts";
import * as subscriberCredentials from "./tenant/flows/subscriber-credentials.ts";
import * as mfa from "./tenant/flows/mfa.ts";
import * as account from "./tenant/flows/account.ts";
import * as stepUp from "./tenant/flows/reauth.ts";
import * as usersAdmin from "./tenant/flows/users-admin.ts";
import * as roles from "./tenant/flows/roles.ts";
import * as auditLog from "./tenant/flows/audit.ts";
import * as transfer from "./tenant/flows/transfer.ts";
import * as seeding from "./tenant/flows/seed.ts";
import * as passkeys from "./tenant/flows/passkeys.ts";
import * as passkeyLogin from "./tenant/flows/passkey-login.ts";
import * as browser from "./tenant/flows/browser.ts";
import * as authz from "./tenant/flows/authorize.ts";
import * as consents from "./tenant/flows/consents.ts";
import * as endSession from "./tenant/flows/end-session.ts";
import * as clients from "./tenant/flows/clients.ts";
import * as idps from "./tenant/flows/idps.ts";
import * as idp from "./tenant/flows/idp.ts";
import * as identities from "./tenant/flows/identities.ts";
import * as consoleFlows from "./tenant/flows/console.ts";
import * as discovery from "./tenant/flows/oauth/discovery.ts";
import * as oauthToken from "./tenant/flows/oauth/token.ts";
import * as oauthIntrospection from "./tenant/flows/oauth/introspection.ts";
import * as oauthRevocation from "./tenant/flows/oauth/revocation.ts";
import * as oauthUserinfo from "./tenant/flows/oauth/userinfo.ts";
import * as oauthRegistration from "./tenant/flows/oauth/registration.ts";
import type { PresentedClient } from "./tenant/oauth/client-auth.ts";

interface Loaded {
  slug: string;
  name: string;
  status: string;
  settings: Settings;
}

export class TenantObject extends Server<Env> implements Runtime {
  static override options = { hibernate: true };

  readonly #secrets = new UserSecrets(() => ({ sealer: this.sealer, slug: this.#loaded!.slug }));
  /** Access tokens whose signature checked out (tokens.ts `VerifiedTokens`). */
  readonly #verified = new VerifiedTokens();
  #loaded: Loaded | null = null;
  #loading: Promise<Loaded | null> | null = null;
  #sealer: Sealer | null = null;
  #ring: KeyRing | null = null;
  #alarmAt: number | null | undefined = undefined;
  #memo = newMemo();
  #turn: Promise<void> | null = null;
  /** What leaves the object after a commit (objects/tenant/deliveries.ts). */
  readonly #out: Deliveries;
  /** Outside services; tests swap in failing ones. */
  delivery: Delivery;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.delivery = liveDelivery(env);
    const object = this;
    this.#out = new Deliveries({
      sql: ctx.storage.sql,
      env,
      get delivery() {
        return object.delivery;
      },
      openWebhook: (payload) => this.#openWebhook(payload),
      backchannel: () => (this.#ring && this.#loaded ? { ring: this.#ring, issuer: this.context(this.#loaded.slug, this.#loaded.name, this.#loaded.settings).issuer } : null),
    });
    // `ping` is answered by the runtime without waking a hibernating object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    // Migrations run only for a tenant that exists, so a request for an unknown slug writes nothing.
    if (this.exists()) this.migrate();
  }

  // ------------------------------------------------------------------ state

  get storage(): DurableObjectStorage {
    return this.ctx.storage;
  }

  get bindings(): Env {
    return this.env;
  }

  get sealer(): Sealer {
    return this.#sealer!;
  }
  get ring(): KeyRing {
    return this.#ring!;
  }

  exists(): boolean {
    return tenantExists(this.ctx.storage.sql);
  }

  /** Applies the migrations not yet applied (objects/tenant/tenant-schema.ts); returns the schema version. */
  migrate(): number {
    return migrate(this.ctx.storage);
  }

  schemaVersion(): number {
    return schemaVersion(this.ctx.storage.sql);
  }

  settingsSchema() {
    return settingsSchema(defaultAccessTtl(this.env.JWT_EXPIRATION_MINUTES));
  }

  /** Loads (once, however many requests ask at the same time) what every operation needs. */
  #load(): Promise<Loaded | null> | Loaded {
    if (this.#loaded) return this.#loaded;
    return (this.#loading ??= this.#loadNow().finally(() => (this.#loading = null)));
  }

  /** Settings, the sealer and the signing keys. */
  async #loadNow(): Promise<Loaded | null> {
    if (!this.exists()) return null;
    const row = one<{ slug: string; name: string; status: string; settings: string; webhook_secret_sealed: string | null }>(this.ctx.storage.sql, "SELECT slug, name, status, settings, webhook_secret_sealed FROM settings WHERE id = 1")!;
    this.#sealer ??= await Sealer.create(this.env.MASTER_KEY, this.env.MASTER_KEY_PREVIOUS);
    const ring = new KeyRing(this.#sealer, row.slug);
    await ring.load(this.ctx.storage.sql);
    const opened = await openSettings(this.#sealer, row.slug, row);
    const settings = this.settingsSchema().parse(opened.raw);
    // A webhook secret stored in clear before sealing existed is sealed the first time it is read.
    if (opened.legacy) {
      const stored = await sealSettings(this.#sealer, row.slug, settings);
      this.ctx.storage.transactionSync(() => writeSettings(this.ctx.storage.sql, stored));
    }
    const loaded: Loaded = { slug: row.slug, name: row.name, status: row.status, settings };
    // A tenant made before keys had purposes signed its SETs with its EdDSA access-token key
    // (see the key-purpose migration): it gets its own SET key now, once.
    if (!ring.current("set") && row.status === "active") {
      const key = await ring.prepare("set", "EdDSA");
      const ctx = this.context(loaded.slug, loaded.name, loaded.settings);
      this.ctx.storage.transactionSync(() => ring.install(ctx, key));
    }
    this.#ring = ring;
    this.#loaded = loaded;
    return loaded;
  }

  /** Called by flows that change the settings row, so the next operation sees them. */
  reloadSettings(l: Partial<Loaded>): void {
    if (this.#loaded) Object.assign(this.#loaded, l);
  }

  /** Forgets everything in memory (after a purge). */
  forget(): void {
    this.#loaded = null;
    this.#ring = null;
    this.#secrets.clear();
    this.#verified.clear();
    this.#alarmAt = undefined;
    this.#memo = newMemo();
    this.#out.forget();
  }

  async prepareSealer(): Promise<Sealer> {
    this.#sealer ??= await Sealer.create(this.env.MASTER_KEY, this.env.MASTER_KEY_PREVIOUS);
    return this.#sealer;
  }

  setRing(ring: KeyRing): void {
    this.#ring = ring;
  }

  // ------------------------------------------------------------------ Runtime

  async begin(opts: { allowDeleted?: boolean } = {}): Promise<Result<TenantCtx>> {
    let l: Loaded | null;
    try {
      l = await this.#load();
    } catch (e) {
      // Unreadable state (a corrupt row, a failed migration): a logged `internal`, not an
      // exception thrown across RPC, which workerd would also print with its stack.
      logger(this.env.LOG_LEVEL).error("tenant state unreadable", { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
      return fail("internal");
    }
    if (!l || (l.status !== "active" && !opts.allowDeleted)) return fail("tenant_not_found");
    return ok(this.context(l.slug, l.name, l.settings));
  }

  context(slug: string, name: string, settings: Settings): TenantCtx {
    const base = (this.env.PUBLIC_URL ?? "http://localhost:8787").replace(/\/+$/, "");
    return { sql: this.ctx.storage.sql, slug, name, settings, now: clock.now(), issuer: `${base}/v1/${slug}`, effects: newEffects(), memo: this.#memo, auditKeys: auditKeys(() => this.#sealer, slug), sealer: () => this.sealer };
  }

  tx<T>(_ctx: TenantCtx, fn: () => T): T {
    try {
      return this.ctx.storage.transactionSync(fn);
    } catch (e) {
      // Rolled back: what the transaction taught the memo may not be true any more.
      this.#memo = newMemo();
      throw e;
    }
  }

  writeTurn(): Promise<void> {
    // A timer, not a microtask: the RPCs that arrive while it is pending join this turn.
    return (this.#turn ??= new Promise((resolve) =>
      setTimeout(() => {
        this.#turn = null;
        resolve();
      }, 0),
    ));
  }

  async commit(ctx: TenantCtx): Promise<void> {
    const fx = ctx.effects;
    ctx.effects = newEffects();
    // First, before any await, so no drain can read these rows in between and send them twice.
    if (fx.outbox.length) this.#out.send(fx.outbox);
    if (fx.events.length) await subscribers.broadcast(this, fx.events, ctx.issuer, audienceOf(ctx.slug, ctx.settings));
    if (fx.dueAt !== null) await this.armAlarm(fx.dueAt);
  }

  /** Opens a webhook row for sending, addressed and signed with the settings of now. */
  async #openWebhook(payload: string): Promise<WebhookDelivery | null> {
    const l = await this.#load();
    const d = l?.settings.delivery;
    if (!l || !d?.webhook_url || !d.webhook_secret) return null;
    return { url: d.webhook_url, secret: d.webhook_secret, body: await openMessage(this.sealer, l.slug, payload) };
  }

  /** Resolves once every webhook and back-channel attempt started so far has settled (tests, and anything that must see their outcome). */
  deliveriesSettled(): Promise<void> {
    return this.#out.settled();
  }

  /** Deletes the outbox rows already sent from memory; called before anything reads the outbox. */
  flushSent(): void {
    this.#out.flushSent();
  }

  /** Delivers due outbox rows now (objects/tenant/deliveries.ts). */
  drain(): Promise<void> {
    return this.#out.drain();
  }

  /** Moves the alarm earlier when a new job falls due before it; never later (the alarm re-plans itself). */
  async armAlarm(at: number): Promise<void> {
    if (this.#alarmAt === undefined) this.#alarmAt = await this.ctx.storage.getAlarm();
    if (this.#alarmAt === null || at < this.#alarmAt) {
      this.#alarmAt = at;
      await this.ctx.storage.setAlarm(at);
    }
  }

  noteAlarm(at: number | null): void {
    this.#alarmAt = at;
  }

  // User secrets (objects/tenant/user-secrets.ts).
  knownSecret(user: Pick<UserRow, "id" | "secret_version">): Uint8Array | null { return this.#secrets.known(user); }
  userSecret(user: Pick<UserRow, "id" | "secret" | "secret_version">): Promise<Uint8Array> { return this.#secrets.open(user); }
  newSecret(userId: string): Promise<{ bytes: Uint8Array; sealed: string }> { return this.#secrets.fresh(userId); }
  rememberSecret(userId: string, version: number, bytes: Uint8Array): void { this.#secrets.remember(userId, version, bytes); }

  verifyAccess(ctx: TenantCtx, token: string): Promise<AccessClaims | null> {
    return verifyAccessToken(token, {
      ring: this.ring,
      settings: ctx.settings,
      slug: ctx.slug,
      issuer: ctx.issuer,
      now: ctx.now,
      verified: this.#verified,
      userSecret: async (id) => {
        const u = getUser(this.ctx.storage.sql, id);
        return u ? { secret: await this.userSecret(u), version: u.secret_version } : null;
      },
    });
  }

  async respond(ctx: TenantCtx, i: Issued): Promise<TokenResponse> {
    return {
      access_token: await signAccessToken(this.ring, ctx.settings, i.claims, i.secret),
      token_type: "Bearer",
      expires_in: i.claims.exp - i.claims.iat,
      refresh_token: i.refreshToken,
      session_id: i.claims.sid,
      user: i.user,
    };
  }

  /** The hibernatable sockets with this tag (open or not), straight from the runtime. */
  sockets(tag: string): WebSocket[] {
    return this.ctx.getWebSockets(tag);
  }

  isOnline(sessionId: string): boolean {
    return subscribers.isOnline(this, sessionId);
  }

  // ------------------------------------------------------------------ RPC: auth flows

  signupStart(i: auth.SignupStartInput) { return auth.signupStart(this, i); }
  signup(i: auth.SignupInput) { return auth.signup(this, i); }
  loginStart(i: auth.LoginStartInput) { return auth.loginStart(this, i); }
  loginFinish(i: auth.LoginFinishInput) { return auth.loginFinish(this, i); }
  refresh(i: auth.RefreshInput) { return auth.refresh(this, i); }
  logout(i: { accessToken: string }) { return auth.logout(this, i); }
  logoutAll(i: { accessToken: string }) { return auth.logoutAll(this, i); }
  revoke(i: { token: string }) { return auth.revoke(this, i); }
  introspect(i: { apiKey: string; token: string }) { return auth.introspect(this, i); }
  jwks() { return auth.jwksOf(this); }

  // ------------------------------------------------------------------ RPC: the signed-in user

  me(i: { accessToken: string }) { return me.getMe(this, i); }
  credentialStart(i: { accessToken: string; reserve?: boolean }) { return me.credentialStart(this, i); }
  updateMe(i: me.UpdateMeInput) { return me.updateMe(this, i); }
  deleteMe(i: me.DeleteMeInput) { return me.deleteMe(this, i); }
  listSessions(i: { accessToken: string }) { return me.listSessions(this, i); }
  revokeOwnSession(i: { accessToken: string; sessionId: string; meta: RequestMeta }) { return me.revokeOwnSession(this, i); }
  /** Step-up (objects/tenant/step-up.ts): a fresh `auth_time` for this session. */
  reauth(i: stepUp.ReauthInput) { return stepUp.reauth(this, i); }
  requestReauthLink(i: { accessToken: string; meta: RequestMeta }) { return stepUp.requestReauthLink(this, i); }
  createEventTicket(i: { accessToken: string }) { return subscriberCredentials.createTicket(this, i); }

  // ---- RPC: account security (MFA, magic links, password reset, email verification, unlock)

  loginMfa(i: mfa.LoginMfaInput) { return mfa.loginMfa(this, i); }
  loginEnrollTotp(i: { mfaToken: string; meta: RequestMeta }) { return mfa.loginEnrollTotp(this, i); }
  enrollTotp(i: { accessToken: string; meta: RequestMeta }) { return mfa.enrollTotp(this, i); }
  confirmTotp(i: mfa.ConfirmTotpInput) { return mfa.confirmTotp(this, i); }
  disableTotp(i: mfa.DisableTotpInput) { return mfa.disableTotp(this, i); }
  regenerateRecoveryCodes(i: { accessToken: string; meta: RequestMeta }) { return mfa.regenerateRecoveryCodes(this, i); }
  requestMagicLink(i: account.EmailRequestInput) { return account.requestMagicLink(this, i); }
  verifyMagicLink(i: { token: string; meta: RequestMeta }) { return account.verifyMagicLink(this, i); }
  forgotPassword(i: account.EmailRequestInput) { return account.forgotPassword(this, i); }
  resetStart(i: { token: string }) { return account.resetStart(this, i); }
  resetPassword(i: account.ResetPasswordInput) { return account.resetPassword(this, i); }
  requestEmailVerification(i: { accessToken: string; meta: RequestMeta }) { return account.requestEmailVerification(this, i); }
  verifyEmail(i: { token: string; accessToken: string | null; cookieHash?: string | null; meta: RequestMeta }) { return account.verifyEmail(this, i); }
  unlockUser(i: Parameters<typeof account.unlockUser>[1]) { return account.unlockUser(this, i); }

  // ---- RPC: passkeys (WebAuthn; flows/passkeys.ts, flows/passkey-login.ts)

  webauthnDocument() { return passkeys.webauthnDocument(this); }
  passkeyRegisterOptions(i: Parameters<typeof passkeys.registerOptions>[1]) { return passkeys.registerOptions(this, i); }
  passkeyRegisterVerify(i: passkeys.RegisterVerifyInput) { return passkeys.registerVerify(this, i); }
  listPasskeys(i: Parameters<typeof passkeys.listOwnPasskeys>[1]) { return passkeys.listOwnPasskeys(this, i); }
  renamePasskey(i: { accessToken: string; id: string; name: string; meta: RequestMeta }) { return passkeys.renameOwnPasskey(this, i); }
  deletePasskey(i: Parameters<typeof passkeys.deleteOwnPasskey>[1]) { return passkeys.deleteOwnPasskey(this, i); }
  passkeyLoginOptions(i: Parameters<typeof passkeyLogin.loginOptions>[1]) { return passkeyLogin.loginOptions(this, i); }
  passkeyLogin(i: Parameters<typeof passkeyLogin.loginPasskey>[1]) { return passkeyLogin.loginPasskey(this, i); }
  passkeyMfaOptions(i: { mfaToken: string; meta: RequestMeta }) { return passkeyLogin.mfaOptions(this, i); }
  passkeyReauthOptions(i: { accessToken: string; meta: RequestMeta }) { return passkeyLogin.reauthOptions(this, i); }
  passkeySignupOptions(i: passkeyLogin.SignupOptionsInput) { return passkeyLogin.signupOptions(this, i); }
  passkeySignup(i: passkeyLogin.SignupPasskeyInput) { return passkeyLogin.signupPasskey(this, i); }
  // ---- RPC: the hosted pages (browser session bound to a Warden session)

  pageContext() { return browser.pageContext(this); }
  bindBrowser(i: browser.BindBrowserInput) { return browser.bindBrowser(this, i); }
  browserSession(i: { cookieHash: string | null }) { return browser.browserSession(this, i); }
  endBrowserSession(i: { cookieHash: string | null; meta: RequestMeta }) { return browser.endBrowserSession(this, i); }
  authorize(i: authz.AuthorizeInput) { return authz.authorize(this, i); }
  endSession(i: endSession.EndSessionInput) { return endSession.endSession(this, i); }
  listApps(i: { cookieHash: string | null }) { return consents.listApps(this, i); }
  removeApp(i: { cookieHash: string | null; clientId: string; meta: RequestMeta }) { return consents.removeApp(this, i); }

  // ---- RPC: upstream identity providers (flows/idp.ts) and the user's linked identities

  idpStart(i: { providerId: string; binding: string; flow: string | null }) { return idp.idpStart(this, i); }
  idpCallback(i: idp.CallbackInput) { return idp.idpCallback(this, i); }
  pendingLink(i: { linkToken: string }) { return idp.pendingLink(this, i); }
  idpConfirmLink(i: { linkToken: string; cookieHash: string | null; meta: RequestMeta }) { return idp.idpConfirmLink(this, i); }
  listIdentities(i: { accessToken: string }) { return identities.listIdentities(this, i); }
  unlinkIdentity(i: Parameters<typeof identities.unlinkOwnIdentity>[1]) { return identities.unlinkOwnIdentity(this, i); }

  // ------------------------------------------------------------------ RPC: operators

  createTenant(i: admin.CreateTenantInput) { return admin.createTenant(this, i); }
  getTenant() { return admin.getTenant(this); }
  updateTenant(i: admin.UpdateTenantInput) { return admin.updateTenant(this, i); }
  deleteTenant() { return admin.deleteTenant(this); }
  createApiKey(i: admin.CreateApiKeyInput) { return admin.createApiKeyFlow(this, i); }
  listApiKeys() { return admin.listApiKeysFlow(this); }
  revokeApiKey(i: { id: string }) { return admin.revokeApiKeyFlow(this, i); }
  rotateSigningKey() { return admin.rotateSigningKey(this); }
  /** Cron watchdog: re-plans the alarm and reports stats for D1. */
  watchdog() { return alarm.watchdog(this); }
  /** Daily cron: rewrites this tenant's D1 directory rows from the users table. */
  reconcileDirectory() { return alarm.reconcileDirectory(this); }
  /** `npm run bench` only: refused unless ENVIRONMENT is "development". */
  seed(i: seeding.SeedInput) { return seeding.seed(this, i); }

  // ---- RPC: user administration (ADMIN_TOKEN or a manage key: `by`; import/export: admin only)

  listUsers(i: usersAdmin.ListUsersInput) { return usersAdmin.listUsers(this, i); }
  getUserDetail(i: { by: Operator; id: string }) { return usersAdmin.getUserDetail(this, i); }
  updateUser(i: usersAdmin.UpdateUserInput) { return usersAdmin.updateUser(this, i); }
  deleteUser(i: usersAdmin.UserActionInput) { return usersAdmin.deleteUser(this, i); }
  revokeUser(i: usersAdmin.UserActionInput) { return usersAdmin.revokeUser(this, i); }
  revokeAllUserSessions(i: { by: Operator; meta: RequestMeta }) { return usersAdmin.revokeAllUserSessions(this, i); }
  consoleActor(i: { by: Operator }) { return consoleFlows.consoleActor(this, i); }
  hourlyCounts(i: { by: Operator }) { return consoleFlows.hourlyCounts(this, i); }
  consoleSignIn(i: Parameters<typeof consoleFlows.consoleSignIn>[1]) { return consoleFlows.consoleSignIn(this, i); }
  revokeUserSession(i: usersAdmin.UserActionInput & { sessionId: string }) { return usersAdmin.revokeUserSession(this, i); }
  forcePasswordReset(i: usersAdmin.UserActionInput) { return usersAdmin.forcePasswordReset(this, i); }
  resetMfa(i: usersAdmin.UserActionInput) { return usersAdmin.resetMfa(this, i); }
  operatorDeletePasskey(i: Parameters<typeof passkeys.operatorDeletePasskey>[1]) { return passkeys.operatorDeletePasskey(this, i); }
  listRoles(i: { by: Operator }) { return roles.listRoles(this, i); }
  createRole(i: roles.CreateRoleInput) { return roles.createRole(this, i); }
  deleteRole(i: { by: Operator; name: string; meta: RequestMeta }) { return roles.deleteRole(this, i); }
  grantRole(i: roles.MembershipInput) { return roles.grantRole(this, i); }
  removeRole(i: roles.MembershipInput) { return roles.removeRole(this, i); }
  auditQuery(i: auditLog.AuditQueryInput) { return auditLog.auditQuery(this, i); }
  auditVerify(i: { by: Operator }) { return auditLog.auditVerify(this, i); }
  importUsers(i: { users: transfer.ImportUser[]; meta: RequestMeta }) { return transfer.importUsers(this, i); }
  exportUsers(i: { cursor: string | null; meta: RequestMeta }) { return transfer.exportUsers(this, i); }

  // ---- RPC: the OAuth / OpenID Connect provider

  discovery() { return discovery.discovery(this); }
  oauthToken(i: oauthToken.TokenInput) { return oauthToken.token(this, i); }
  clientIntrospect(i: { client: PresentedClient; token: string }) { return oauthIntrospection.clientIntrospect(this, i); }
  clientRevoke(i: { client: PresentedClient; token: string }) { return oauthRevocation.clientRevoke(this, i); }
  userinfo(i: { accessToken: string }) { return oauthUserinfo.userinfo(this, i); }
  corsAllowed(i: { origin: string }) { return oauthUserinfo.corsAllowed(this, i); }
  registerClient(i: { metadata: Record<string, unknown>; meta: RequestMeta }) { return oauthRegistration.registerClient(this, i); }

  // ---- RPC: OAuth clients (ADMIN_TOKEN or a manage key: `by`)

  createClient(i: { by: Operator; metadata: unknown; meta: RequestMeta }) { return clients.createClient(this, i); }
  listClients(i: { by: Operator }) { return clients.listClients(this, i); }
  showClient(i: { by: Operator; clientId: string }) { return clients.showClient(this, i); }
  updateClient(i: { by: Operator; clientId: string; patch: Record<string, unknown>; meta: RequestMeta }) { return clients.updateClientFlow(this, i); }
  deleteClient(i: { by: Operator; clientId: string; meta: RequestMeta }) { return clients.deleteClientFlow(this, i); }
  rotateClientSecret(i: { by: Operator; clientId: string; meta: RequestMeta }) { return clients.rotateClientSecretFlow(this, i); }

  // ---- RPC: upstream identity providers (ADMIN_TOKEN or a manage key: `by`)

  createIdp(i: { by: Operator; body: Record<string, unknown>; meta: RequestMeta }) { return idps.createIdp(this, i); }
  listIdps(i: { by: Operator }) { return idps.listIdps(this, i); }
  showIdp(i: { by: Operator; id: string }) { return idps.showIdp(this, i); }
  updateIdp(i: { by: Operator; id: string; patch: Record<string, unknown>; meta: RequestMeta }) { return idps.updateIdp(this, i); }
  deleteIdp(i: { by: Operator; id: string; meta: RequestMeta }) { return idps.deleteIdp(this, i); }

  // ------------------------------------------------------------------ platform entry points

  override async fetch(request: Request): Promise<Response> {
    const admitted = await subscribers.admit(this, request);
    return admitted instanceof Response ? admitted : super.fetch(admitted);
  }

  override async onAlarm(): Promise<void> {
    await alarm.run(this);
  }

  override getConnectionTags(connection: Parameters<Server["getConnectionTags"]>[0], context: Parameters<Server["getConnectionTags"]>[1]): string[] {
    return subscribers.tags(context.request);
  }

  override async onConnect(connection: Parameters<Server["onConnect"]>[0], context: Parameters<Server["onConnect"]>[1]): Promise<void> {
    await subscribers.onConnect(this, connection, context.request);
  }

  override async onMessage(connection: Parameters<Server["onMessage"]>[0], message: Parameters<Server["onMessage"]>[1]): Promise<void> {
    await subscriberCredentials.onMessage(this, connection as Parameters<typeof subscriberCredentials.onMessage>[1], message);
  }
}

export type { Result };
export type TenantStub = DurableObjectStub<TenantObject>;
