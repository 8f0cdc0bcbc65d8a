/**
 * @module Operations on one tenant's users, roles and audit log, for the operator and for the
 * tenant's `manage` keys (each emitted for both mounts by `bothMounts`).
 */
import { auditQuery, createRoleBody, membershipQuery, patchUserBody, usersQuery } from "../../../schema/requests.ts";
import { AuditPage, AuditVerification, RevokedSessions, Role, RoleList, UserAnswer, UserDetail, UserList } from "../../../schema/answers/admin.ts";
import { bothMounts, type Mirrored } from "./admin-mounts.ts";

const at = "2026-12-01T09:30:00.000Z";
const uid = "01929b6e-8c1f-7a2b-9c3d-4e5f60718293";
const user = { id: uid, email: "ada@example.com", username: null, email_verified: true, pending_email: null, status: "active", metadata: {}, mfa_enabled: false, created_at: at, updated_at: at };
const done = (description: string) => ({ 204: { description } });

const users: Mirrored[] = [
  {
    id: "listUsers",
    method: "get",
    path: "/users",
    tag: "users",
    summary: "List or search users",
    description: "By id (creation order). `query` is a prefix of the email or the username (case-insensitive). Soft-deleted users are not listed.",
    query: usersQuery,
    answers: { 200: { description: "A page of users; `next_cursor` is a user id.", schema: UserList, example: { users: [user], next_cursor: null } } },
  },
  {
    id: "getUser",
    method: "get",
    path: "/users/{id}",
    tag: "users",
    summary: "Show a user",
    description: "The user with its sessions (live and recently revoked, with their OAuth grants), MFA state, passkeys, roles and linked identities; never a secret or a hash. A soft-deleted user is shown (status `deleted`) until purged.",
    answers: {
      200: {
        description: "The user.",
        schema: UserDetail,
        example: { user, sessions: [], mfa: { totp: false, recovery_codes_remaining: 0 }, passkeys: [], roles: ["editor"], identities: [] },
      },
    },
    errors: ["not_found"],
  },
  {
    id: "updateUser",
    method: "patch",
    path: "/users/{id}",
    tag: "users",
    summary: "Edit, disable or enable a user",
    description:
      "Disabling, or changing the email or the username, ends every session and token of the user at once (the secret version changes). A new email is unverified unless `email_verified` says otherwise; it replaces any change the user left pending. Enabling does not bring back the sessions that disabling ended.",
    body: { schema: patchUserBody, example: { status: "disabled" } },
    answers: { 200: { description: "The user as it is now.", schema: UserAnswer, example: { user: { ...user, status: "disabled" } } } },
    errors: ["not_found", "conflict"],
  },
  {
    id: "deleteUser",
    method: "delete",
    path: "/users/{id}",
    tag: "users",
    summary: "Delete a user",
    description: "Soft delete, as `DELETE /me`: every token ends, the email and username are freed at once, the rest is purged after the tenant's retention.",
    answers: done("Deleted."),
    errors: ["not_found"],
  },
  {
    id: "unlockUser",
    method: "post",
    path: "/users/{id}/unlock",
    tag: "users",
    summary: "Lift a lockout",
    description: "Clears the user's lockout: the doubling delay and the hard limit of failed sign-ins. Audited `user.unlocked`.",
    answers: done("Unlocked."),
    errors: ["not_found"],
  },
  {
    id: "revokeUser",
    method: "post",
    path: "/users/{id}/revoke",
    tag: "users",
    summary: "End every session and token of a user",
    description: "The secret version changes: every access token fails verification at once, every refresh token is dead. The account stays usable.",
    answers: done("Revoked."),
    errors: ["not_found"],
  },
  {
    id: "revokeAllSessions",
    method: "post",
    path: "/sessions/revoke",
    tag: "users",
    summary: "Sign every user out",
    description:
      "Ends every live session of the tenant in one transaction, with its refresh token and the OAuth grants it carries (back-channel logout is sent to the clients that asked for it). Subscribers get one `tenant.revoked` event: every user access token issued before it is dead, and each user subscriber is closed with 4001 after it. Accounts, passwords and factors stay, so users can sign in again at once. Machine grants (`client_credentials`) are not sessions and live on. Audited `tenant.revoked` with the count. No body.",
    answers: { 200: { description: "How many sessions ended.", schema: RevokedSessions, example: { sessions: 1284 } } },
  },
  {
    id: "revokeUserSession",
    method: "delete",
    path: "/users/{id}/sessions/{sid}",
    tag: "users",
    summary: "End one session of a user",
    description: "As the user's own `DELETE /sessions/{id}`: the session's tokens end (`session.revoked`, pushed to the subscribers); the others live on.",
    answers: done("Ended."),
    errors: ["not_found"],
  },
  {
    id: "forcePasswordReset",
    method: "post",
    path: "/users/{id}/password-reset",
    tag: "users",
    summary: "Force a password reset",
    description: "Ends every session and removes the password: the user sets a new one through `POST /password/forgot` (magic links keep working). Nothing is sent to the user.",
    answers: done("The password is gone."),
    errors: ["not_found"],
  },
  {
    id: "resetUserMfa",
    method: "post",
    path: "/users/{id}/mfa/reset",
    tag: "users",
    summary: "Reset a user's second factor",
    description: "For a user who lost the factor (the operator does the identity proofing): removes TOTP and every recovery code and ends every session. Audited `mfa.reset`.",
    answers: done("Reset."),
    errors: ["not_found"],
  },
  {
    id: "deleteUserPasskey",
    method: "delete",
    path: "/users/{id}/passkeys/{passkey}",
    tag: "users",
    summary: "Remove a user's passkey",
    description: "Ends the sessions the passkey signed in. Audited `passkey.removed`.",
    answers: done("Removed."),
    errors: ["not_found"],
  },
];

const roles: Mirrored[] = [
  {
    id: "listRoles",
    method: "get",
    path: "/roles",
    tag: "roles",
    summary: "List roles",
    answers: { 200: { description: "Every role, by name.", schema: RoleList, example: { roles: [{ name: "editor", description: "Edits articles", scopes: ["articles:write"], created_at: at }] } } },
  },
  {
    id: "createRole",
    method: "post",
    path: "/roles",
    tag: "roles",
    summary: "Create a role",
    description: "A role's `scopes` go into the access tokens of its members (`roles` and `scope` claims).",
    body: { schema: createRoleBody, example: { name: "editor", description: "Edits articles", scopes: ["articles:write"] } },
    answers: { 201: { description: "The role.", schema: Role, example: { name: "editor", description: "Edits articles", scopes: ["articles:write"], created_at: at } } },
    errors: ["conflict"],
  },
  {
    id: "deleteRole",
    method: "delete",
    path: "/roles/{name}",
    tag: "roles",
    summary: "Delete a role",
    description: "With every membership in it; members' tokens lose it at their next refresh.",
    answers: done("Deleted."),
    errors: ["not_found"],
  },
  {
    id: "grantRole",
    method: "put",
    path: "/users/{id}/roles/{role}",
    tag: "roles",
    summary: "Give a user a role",
    description: "Idempotent. Applies at the user's next refresh; with `revoke=true` the user's secret version changes so it applies to every token at once (the user signs in again).",
    query: membershipQuery,
    answers: done("The user has the role."),
    errors: ["not_found"],
  },
  {
    id: "removeRole",
    method: "delete",
    path: "/users/{id}/roles/{role}",
    tag: "roles",
    summary: "Take a role from a user",
    description: "404 when the user does not have it. `revoke=true` ends the user's tokens at once, as for a grant.",
    query: membershipQuery,
    answers: done("The user no longer has the role."),
    errors: ["not_found"],
  },
];

const audit: Mirrored[] = [
  {
    id: "listAuditEntries",
    method: "get",
    path: "/audit",
    tag: "audit",
    summary: "Read the audit log",
    description: "Oldest first, or newest first with `order=newest` (the cursor then walks back). Filters: `user` (a user id), `type` (an event type), `since` (an ISO 8601 date or time); `cursor` is the previous page's `next_cursor`; `limit` 1–1000, default 100.",
    query: auditQuery,
    answers: {
      200: {
        description: "A page of entries.",
        schema: AuditPage,
        example: { entries: [{ id: 7, ts: at, type: "user.login", user_id: uid, session_id: "Q2lhbzEyMzQ1Njc4OTAxMg", actor: null, ip: "203.0.113.7", data: { amr: ["pwd"] } }], next_cursor: "7" },
      },
    },
  },
  {
    id: "verifyAuditLog",
    method: "get",
    path: "/audit/verify",
    tag: "audit",
    summary: "Check the audit log's hash chain",
    description: "Walks every retained entry: finds the first one edited, inserted or removed, newest entries cut off, or state not under a known key; retention purges are told apart by their keyed checkpoints. Reads the whole log: a check, not something to poll.",
    answers: { 200: { description: "The verdict.", schema: AuditVerification, example: { ok: true, checked: 1204, keyed_from: 1, purged: 0 } } },
  },
];

export const userOperations = [...users, ...roles, ...audit].flatMap(bothMounts);
