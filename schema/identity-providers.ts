/**
 * @module Upstream identity providers of a tenant: the admin API's shape (one zod schema for
 * create, and for the merged result of a PATCH), the presets, and what the wire shows (never a
 * secret). A provider is a generic OpenID Provider found by issuer discovery (`oidc`), or a
 * preset that fixes its issuer and quirks: `google`, `microsoft` (one Entra tenant, or the
 * multi-tenant `common`/`organizations`/`consumers` endpoints whose issuer is a `{tenantid}`
 * template checked per token), `apple` (client secret is a JWT signed with the developer's
 * key; answers by form_post) and `github` (plain OAuth 2 plus its REST API).
 */
import { z } from "zod";
import { checkDestination } from "../src/http/outbound.ts";
import { SCOPE_TOKEN } from "./clients.ts";

export const IDP_TYPES = ["oidc", "google", "microsoft", "apple", "github"] as const;
export type IdpType = (typeof IDP_TYPES)[number];

/** Provider ids are chosen by the operator: they appear in the callback URL registered upstream. */
export const IDP_ID_RE = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** The scopes asked for when the operator names none. */
export const DEFAULT_SCOPES: Record<IdpType, string> = {
  oidc: "openid email profile",
  google: "openid email profile",
  microsoft: "openid email profile",
  apple: "openid email name",
  github: "read:user user:email",
};

/** Microsoft's multi-tenant endpoints; anything else must be an Entra tenant id (a GUID) or a verified domain. */
const MS_TENANT = /^(common|organizations|consumers|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9-]+(\.[a-z0-9-]+)+)$/;

export const issuerProblem = (uri: string, development: boolean): string | null => {
  const c = checkDestination(uri, { ENVIRONMENT: development ? "development" : undefined });
  if (!c.ok) return c.message;
  if (c.url.search || c.url.hash || uri.includes("#") || uri.includes("?")) return "an issuer has no query or fragment (OIDC Discovery section 2)";
  return null;
};

/** Everything an operator may send (create), or the stored config with a patch merged over it (update). */
export function idpSchema(o: { development: boolean }) {
  return z
    .strictObject({
      id: z.string().regex(IDP_ID_RE, "lower-case letters, digits and '-', up to 40"),
      type: z.enum(IDP_TYPES),
      /** `oidc` only: the issuer, whose discovery document must name exactly it. */
      issuer: z.string().max(2000).optional(),
      /** `microsoft` only: the Entra tenant, or `common` / `organizations` / `consumers` (default `common`). */
      tenant: z.string().regex(MS_TENANT).optional(),
      client_id: z.string().min(1).max(500),
      /** Write-only; sealed at rest. Apple's is made from `apple` below instead. */
      client_secret: z.string().min(1).max(4000).optional(),
      /** `apple` only: the key that signs the client-secret JWT. */
      apple: z
        .strictObject({
          team_id: z.string().regex(/^[A-Z0-9]{10}$/),
          key_id: z.string().regex(/^[A-Z0-9]{10}$/),
          /** Write-only; the .p8 file's PKCS#8 PEM, sealed at rest. */
          private_key: z.string().min(100).max(4000).optional(),
        })
        .optional(),
      scopes: z
        .string()
        .max(1000)
        .refine((s) => s.split(" ").every((t) => SCOPE_TOKEN.test(t)), { message: "space-separated scope tokens" })
        .optional(),
      display_name: z.string().trim().min(1).max(100).optional(),
      icon_url: z.url({ protocol: /^https$/ }).max(2048).optional(),
      enabled: z.boolean().default(true),
      /**
       * Link a verified local account with the same email on the first sign-in without asking its
       * owner to sign in locally first. Off by default: a silent merge skips the account's own
       * password and MFA, so only for a provider the tenant controls.
       */
      trust_verified_email: z.boolean().default(false),
      /** A user who has TOTP still enters a code after signing in through this provider. */
      require_mfa: z.boolean().default(true),
    })
    .superRefine((p, c) => {
      const issue = (path: string, message: string) => c.addIssue({ code: "custom", path: [path], message });
      if (p.type === "oidc") {
        if (!p.issuer) issue("issuer", "an oidc provider needs its issuer");
        else {
          const bad = issuerProblem(p.issuer, o.development);
          if (bad) issue("issuer", bad);
        }
      } else if (p.issuer !== undefined) issue("issuer", `the ${p.type} preset fixes its issuer`);
      if (p.tenant !== undefined && p.type !== "microsoft") issue("tenant", "only for microsoft");
      if (p.type === "apple") {
        if (!p.apple) issue("apple", "apple needs team_id, key_id and private_key");
        if (p.client_secret !== undefined) issue("client_secret", "apple's client secret is made from apple.private_key");
      } else if (p.apple !== undefined) issue("apple", "only for apple");
      if (p.scopes && ["oidc", "google", "microsoft", "apple"].includes(p.type) && !p.scopes.split(" ").includes("openid")) issue("scopes", "an OpenID Connect provider needs the openid scope");
    });
}

export type IdpInput = z.infer<ReturnType<typeof idpSchema>>;

/** The stored configuration: the input without its secrets. */
export type IdpConfig = Omit<IdpInput, "client_secret" | "apple"> & { apple?: { team_id: string; key_id: string } };

/** What the admin API answers: the configuration, whether a secret is set, the callback to register upstream. */
export interface PublicIdp extends IdpConfig {
  scopes: string;
  display_name: string;
  client_secret_set: boolean;
  callback_url: string;
  created_at: string;
  updated_at: string;
}

export const idpBodySchema = z.record(z.string(), z.unknown());
