/**
 * @module Tenant settings: one zod schema with every default, strict so
 * an unknown key is refused, and a deep merge so that a PATCH changes only what it names.
 */
import { z } from "zod";
import { CONTEXT_WORD_MIN, contextWord } from "../src/crypto/password-policy.ts";

const int = (min: number, max: number) => z.number().int().min(min).max(max);

export const TOKEN_ALGS = ["EdDSA", "ES256", "RS256", "HS256", "user-HS512"] as const;
export type TokenAlg = (typeof TOKEN_ALGS)[number];

export const TURNSTILE_ROUTES = ["signup", "login", "magic_link", "password_forgot"] as const;

const rateLimit = z.strictObject({ limit: int(1, 100_000), window_s: int(1, 86_400) });

/**
 * Passkeys (WebAuthn L3). `rp_id` null means the host of PUBLIC_URL, `rp_name` null the tenant's
 * name, `origins` empty the origin of PUBLIC_URL; the RP ID must be a registrable suffix of
 * every origin (checked with the resolved values, `resolveRp` in objects/tenant/passkeys/rp.ts).
 * Only `none` attestation: Warden keeps no authenticator metadata, so it would learn nothing
 * from a statement it cannot judge.
 */
export const webauthnSettings = z.strictObject({
  enabled: z.boolean().default(true),
  rp_id: z.string().min(1).max(253).nullable().default(null),
  rp_name: z.string().min(1).max(200).nullable().default(null),
  origins: z.array(z.string().min(1).max(300)).max(20).default([]),
  /**
   * WebAuthn L3 section 5.11 related origins: origins outside the RP ID (an app on another
   * domain) whose ceremonies count too, once the RP ID's host publishes them at
   * `/.well-known/webauthn` (`GET /v1/{tenant}/.well-known/webauthn` answers that document).
   */
  related_origins: z.array(z.string().min(1).max(300)).max(20).default([]),
  user_verification: z.enum(["required", "preferred"]).default("preferred"),
  attestation: z.literal("none").default("none"),
});

/** Built per call because `access_ttl_s` defaults from the environment's JWT_EXPIRATION_MINUTES. */
export function settingsSchema(defaultAccessTtl = 3600) {
  return z.strictObject({
    access_ttl_s: int(60, 3600).default(defaultAccessTtl),
    refresh_ttl_s: int(300, 31_536_000).default(2_592_000),
    refresh_idle_ttl_s: int(300, 31_536_000).default(604_800),
    refresh_reuse_grace_s: int(0, 300).default(10),
    token_alg: z.enum(TOKEN_ALGS).default("EdDSA"),
    audience: z.string().min(1).max(256).nullable().default(null),
    password: z
      .strictObject({
        min_length: int(8, 128).default(12),
        hash: z.enum(["argon2id", "pbkdf2-sha256"]).default("argon2id"),
        /**
         * Words a new password may not lean on, besides the tenant's slug and names and the
         * account's own identifiers, which always count: product names, the company, the city.
         * Stored as compared (NFKC, lower case); each 4-64 characters.
         */
        context_words: z
          .array(z.string().transform(contextWord).pipe(z.string().min(CONTEXT_WORD_MIN).max(64)))
          .max(100)
          .default([]),
        /**
         * `hibp`: a new password is checked against Have I Been Pwned's Pwned Passwords by
         * k-anonymity (5 hex digits of its SHA-1 leave Warden; src/crypto/breached.ts), and
         * refused if it was ever breached. Off by default: it calls a third party.
         */
        breached_check: z.enum(["off", "hibp"]).default("off"),
      })
      .default({ min_length: 12, hash: "argon2id", context_words: [], breached_check: "off" }),
    signup: z
      .strictObject({
        enabled: z.boolean().default(true),
        identifiers: z
          .array(z.enum(["email", "username"]))
          .min(1)
          .default(["email", "username"]),
        require_email_verification: z.boolean().default(false),
      })
      .default({ enabled: true, identifiers: ["email", "username"], require_email_verification: false }),
    mfa: z
      .strictObject({
        totp_drift_steps: int(0, 5).default(1),
        /** Every sign-in needs a second factor; a user without one adds a TOTP before the session starts (ASVS 6.3.3). */
        required: z.boolean().default(false),
      })
      .default({ totp_drift_steps: 1, required: false }),
    turnstile: z
      .strictObject({
        required_for: z.array(z.enum(TURNSTILE_ROUTES)).default([]),
        after_failures: int(1, 1000).nullable().default(null),
        /** The public sitekey the hosted pages put in the widget (the secret stays in TURNSTILE_SECRET_KEY). */
        site_key: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/).nullable().default(null),
      })
      .default({ required_for: [], after_failures: null, site_key: null }),
    lockout: z
      .strictObject({
        threshold: int(1, 1000).default(5),
        base_s: int(1, 86_400).default(60),
        max_s: int(1, 86_400).default(900),
        hard_limit: int(1, 100_000).default(100),
      })
      .default({ threshold: 5, base_s: 60, max_s: 900, hard_limit: 100 }),
    rate_limits: z
      .strictObject({
        signup: rateLimit.default({ limit: 20, window_s: 3600 }),
        login: rateLimit.default({ limit: 100, window_s: 300 }),
        magic_link: rateLimit.default({ limit: 10, window_s: 3600 }),
        password_forgot: rateLimit.default({ limit: 10, window_s: 3600 }),
        per_email: rateLimit.default({ limit: 5, window_s: 3600 }),
        /** WebAuthn challenges handed out per IP (`POST /login/passkey/options`, `/signup/passkey/options`, …). */
        passkey_options: rateLimit.default({ limit: 100, window_s: 300 }),
        /** Failed passkey assertions per IP before further ones are refused (they never count toward the lockout). */
        passkey_failures: rateLimit.default({ limit: 20, window_s: 300 }),
      })
      .default({
        signup: { limit: 20, window_s: 3600 },
        login: { limit: 100, window_s: 300 },
        magic_link: { limit: 10, window_s: 3600 },
        password_forgot: { limit: 10, window_s: 3600 },
        per_email: { limit: 5, window_s: 3600 },
        passkey_options: { limit: 100, window_s: 300 },
        passkey_failures: { limit: 20, window_s: 300 },
      }),
    webauthn: webauthnSettings.default({ enabled: true, rp_id: null, rp_name: null, origins: [], related_origins: [], user_verification: "preferred", attestation: "none" }),
    delivery: z
      .strictObject({
        webhook_url: z.url({ protocol: /^https?$/ }).nullable().default(null),
        webhook_secret: z.string().min(16).max(256).nullable().default(null),
      })
      .default({ webhook_url: null, webhook_secret: null }),
    /** How the hosted sign-in pages look: the name shown, a logo (https only: it goes into the pages' CSP) and one colour. */
    branding: z
      .strictObject({
        display_name: z.string().trim().min(1).max(100).nullable().default(null),
        logo_url: z.url({ protocol: /^https$/ }).max(2048).nullable().default(null),
        primary_color: z.string().regex(/^#[0-9a-fA-F]{6}$/, "a #rrggbb colour").default("#2f5bea"),
      })
      .default({ display_name: null, logo_url: null, primary_color: "#2f5bea" }),
    /** The OAuth / OpenID Connect provider. */
    oauth: z
      .strictObject({
        /** RFC 7591 dynamic registration at /oauth/register: off unless the tenant opens it. */
        dynamic_registration: z
          .strictObject({
            enabled: z.boolean().default(false),
            /** Registered clients kept at most; past it, registration answers 400 until some are deleted. */
            max_clients: int(1, 100_000).default(100),
            /** Confidential clients too (a secret handed to anyone who asks); public clients only by default. */
            allow_confidential: z.boolean().default(false),
            /** Registrations per IP. */
            rate_limit: rateLimit.default({ limit: 10, window_s: 3600 }),
          })
          .default({ enabled: false, max_clients: 100, allow_confidential: false, rate_limit: { limit: 10, window_s: 3600 } }),
      })
      .default({ dynamic_registration: { enabled: false, max_clients: 100, allow_confidential: false, rate_limit: { limit: 10, window_s: 3600 } } }),
    retention: z
      .strictObject({
        deleted_users_days: int(0, 3650).default(90),
        audit_days: int(1, 3650).default(30),
        events_hours: int(1, 720).default(24),
        revoked_sessions_days: int(0, 365).default(7),
      })
      .default({ deleted_users_days: 90, audit_days: 30, events_hours: 24, revoked_sessions_days: 7 }),
  });
}

export type Settings = z.infer<ReturnType<typeof settingsSchema>>;

/** A partial update: any subset of keys at any depth. Validated after merging. */
export const settingsPatchSchema = z.record(z.string(), z.unknown());

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep merge: objects merge key by key, everything else (arrays included) replaces. */
export function deepMerge(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = k in base ? deepMerge(base[k], v) : v;
  return out;
}

export function defaultAccessTtl(jwtExpirationMinutes: string | undefined): number {
  const minutes = Number(jwtExpirationMinutes ?? "60");
  return Number.isFinite(minutes) && minutes >= 1 && minutes <= 60 ? Math.round(minutes * 60) : 3600;
}
