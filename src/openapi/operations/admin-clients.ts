/**
 * @module Operations on one tenant's OAuth clients and upstream identity providers, for the
 * operator and for the tenant's `manage` keys (each emitted for both mounts by `bothMounts`).
 * Metadata is validated by the tenant's object against the tenant it must fit, so the bodies
 * are open objects here; their fields are those of the `Client` and `IdentityProvider` answers.
 */
import { clientPatchSchema } from "../../../schema/clients.ts";
import { idpBodySchema } from "../../../schema/identity-providers.ts";
import { Client, ClientList, ClientSecret, IdentityProvider, IdentityProviderList } from "../../../schema/answers/admin.ts";
import { bothMounts, type Mirrored } from "./admin-mounts.ts";

const at = "2026-12-01T09:30:00.000Z";
const noStore = { "Cache-Control": "no-store" };
const clientId = "wc_Zm9vYmFyYmF6cXV4MTIzNA";
const client = {
  client_id: clientId,
  client_id_issued_at: 1796117400,
  client_name: "Acme web",
  redirect_uris: ["https://app.example.com/callback"],
  post_logout_redirect_uris: [],
  grant_types: ["authorization_code", "refresh_token"],
  response_types: ["code"],
  scope: "openid profile email offline_access",
  token_endpoint_auth_method: "client_secret_basic",
  id_token_signed_response_alg: "RS256",
  first_party: false,
  client_secret_expires_at: 0,
  dynamic: false,
  created_at: at,
  updated_at: at,
};
const idp = {
  id: "google",
  type: "google",
  client_id: "1234.apps.googleusercontent.com",
  scopes: "openid email profile",
  display_name: "Google",
  enabled: true,
  trust_verified_email: false,
  require_mfa: true,
  client_secret_set: true,
  callback_url: "https://auth.example.com/v1/acme/idp/google/callback",
  created_at: at,
  updated_at: at,
};

const clients: Mirrored[] = [
  {
    id: "createClient",
    method: "post",
    path: "/clients",
    tag: "clients",
    summary: "Register an OAuth client",
    description:
      "RFC 7591 client metadata (the fields of the answer before `client_id`; unnamed ones take their defaults). A confidential client (`token_endpoint_auth_method` other than `none`) gets a secret, in `client_secret`, shown this once. Refused metadata is 400 `invalid_request` with a `details` entry per field.",
    body: { schema: clientPatchSchema, example: { client_name: "Acme web", redirect_uris: ["https://app.example.com/callback"] } },
    answers: { 201: { description: "The client.", schema: Client, headers: noStore, example: { ...client, client_secret: "…" } } },
  },
  {
    id: "listClients",
    method: "get",
    path: "/clients",
    tag: "clients",
    summary: "List OAuth clients",
    description: "Dynamically registered clients included (`dynamic: true`); never a secret.",
    answers: { 200: { description: "Every client, oldest first.", schema: ClientList, example: { clients: [client] } } },
  },
  {
    id: "getClient",
    method: "get",
    path: "/clients/{client_id}",
    tag: "clients",
    summary: "Show an OAuth client",
    answers: { 200: { description: "The client.", schema: Client, example: client } },
    errors: ["not_found"],
  },
  {
    id: "updateClient",
    method: "patch",
    path: "/clients/{client_id}",
    tag: "clients",
    summary: "Change an OAuth client",
    description: "Any subset of the metadata, deep-merged over the stored metadata and validated whole. A client made public loses its secret; one made confidential gets one, in `client_secret`, shown this once.",
    body: { schema: clientPatchSchema, example: { client_name: "Acme" } },
    answers: { 200: { description: "The client as it is now.", schema: Client, headers: noStore, example: { ...client, client_name: "Acme" } } },
    errors: ["not_found"],
  },
  {
    id: "deleteClient",
    method: "delete",
    path: "/clients/{client_id}",
    tag: "clients",
    summary: "Delete an OAuth client",
    description: "Every grant of the client ends: its tokens die at once.",
    answers: { 204: { description: "Deleted." } },
    errors: ["not_found"],
  },
  {
    id: "rotateClientSecret",
    method: "post",
    path: "/clients/{client_id}/secret",
    tag: "clients",
    summary: "Rotate an OAuth client's secret",
    description: "The old secret stops working at once, and the client's own `client_credentials` tokens end with it; users' grants continue. A public client has no secret: 400 `invalid_request`.",
    answers: { 200: { description: "The new secret, shown this once.", schema: ClientSecret, headers: noStore, example: { client_id: clientId, client_secret: "…", client_secret_expires_at: 0 } } },
    errors: ["not_found", "invalid_request"],
  },
];

const idps: Mirrored[] = [
  {
    id: "createIdentityProvider",
    method: "post",
    path: "/identity-providers",
    tag: "idps",
    summary: "Add an upstream identity provider",
    description:
      "`type`: `oidc` (any OpenID Provider, by its `issuer`), or a preset: `google`, `microsoft` (with `tenant`), `apple` (with `apple.team_id`, `apple.key_id`, `apple.private_key`), `github`. `client_secret` and `apple.private_key` are write-only: sealed at rest, never answered (`client_secret_set` says whether one is set). Register `callback_url` at the provider. The secrets are the operator's alone: a `manage` key that sends either is refused 403 `forbidden` and changes nothing (a leaked key cannot point the tenant's sign-in at a provider it controls).",
    body: { schema: idpBodySchema, example: { id: "google", type: "google", client_id: "1234.apps.googleusercontent.com", client_secret: "…" } },
    answers: { 201: { description: "The provider.", schema: IdentityProvider, example: idp } },
    errors: ["conflict"],
  },
  {
    id: "listIdentityProviders",
    method: "get",
    path: "/identity-providers",
    tag: "idps",
    summary: "List identity providers",
    answers: { 200: { description: "Every provider, oldest first.", schema: IdentityProviderList, example: { identity_providers: [idp] } } },
  },
  {
    id: "getIdentityProvider",
    method: "get",
    path: "/identity-providers/{id}",
    tag: "idps",
    summary: "Show an identity provider",
    answers: { 200: { description: "The provider.", schema: IdentityProvider, example: idp } },
    errors: ["not_found"],
  },
  {
    id: "updateIdentityProvider",
    method: "patch",
    path: "/identity-providers/{id}",
    tag: "idps",
    summary: "Change an identity provider",
    description: "Deep-merged over the stored configuration and validated whole; a secret not sent is kept. `id` and `type` cannot change (400 `invalid_request`). Only the operator sets `client_secret` or `apple.private_key`: a `manage` key that sends either is refused 403 `forbidden`.",
    body: { schema: idpBodySchema, example: { enabled: false } },
    answers: { 200: { description: "The provider as it is now.", schema: IdentityProvider, example: { ...idp, enabled: false } } },
    errors: ["not_found"],
  },
  {
    id: "deleteIdentityProvider",
    method: "delete",
    path: "/identity-providers/{id}",
    tag: "idps",
    summary: "Remove an identity provider",
    description: "Every identity linked through it is unlinked: nobody signs in through it again.",
    answers: { 204: { description: "Removed." } },
    errors: ["not_found"],
  },
];

export const clientOperations = [...clients, ...idps].flatMap(bothMounts);
