/**
 * @module Messages to users: magic links, password resets and email
 * verification, handed to the tenant's own mailer as a signed POST to `delivery.webhook_url`
 * through the outbox (sealed at rest, retried with backoff until it succeeds). In local development
 * (`ENVIRONMENT=development`) each message is also logged, so a developer can use the token
 * without a mailer. Also the rule that gates sign-in on a verified email.
 */
import { iso } from "../../src/clock.ts";
import type { Env } from "../../src/env.ts";
import { logger } from "../../src/log.ts";
import type { TenantCtx } from "./context.ts";
import { createOneTimeToken } from "./one-time.ts";
import { enqueue } from "./outbox.ts";
import type { UserRow } from "./users.ts";

/**
 * `email_change` confirms a new address asked for with `PATCH /me`; its token is used like `email_verify`'s.
 * `reauth`: a step-up link for a signed-in user without a password; the app POSTs it to /reauth with the user's bearer token.
 */
export type MessageType = "magic_link" | "password_reset" | "email_verify" | "email_change" | "reauth";

/** The webhook body, exactly. */
export interface Message {
  type: MessageType;
  tenant: string;
  email: string;
  token: string;
  expires_at: string;
}

/** Where a developer sends the token (for the development log). */
const CONSUMED_AT: Record<MessageType, string> = {
  magic_link: "magic-link/verify",
  password_reset: "password/reset",
  email_verify: "email/verify",
  email_change: "email/verify",
  reauth: "reauth",
};

/** Queues the message in the caller's transaction; returns it for `logMessage` after the commit. */
export function sendMessage(ctx: TenantCtx, type: MessageType, email: string, t: { token: string; expiresAt: number }): Message {
  const msg: Message = { type, tenant: ctx.slug, email, token: t.token, expires_at: iso(t.expiresAt)! };
  const d = ctx.settings.delivery;
  if (d.webhook_url && d.webhook_secret) enqueue(ctx, "webhook", JSON.stringify(msg));
  return msg;
}

/**
 * Logs a message after the commit: in development with its token and the call that uses it
 * (the one place a one-time token is ever logged); elsewhere only a warning when the tenant
 * has no webhook configured, since the message then goes nowhere.
 */
export function logMessage(env: Pick<Env, "ENVIRONMENT" | "LOG_LEVEL">, ctx: TenantCtx, msg: Message | null): void {
  if (!msg) return;
  const log = logger(env.LOG_LEVEL);
  const d = ctx.settings.delivery;
  const configured = !!(d.webhook_url && d.webhook_secret);
  if (env.ENVIRONMENT === "development") {
    const body =
      msg.type === "password_reset" ? `{"token":"${msg.token}","new_password":"..."}`
      : msg.type === "reauth" ? `{"magic_link_token":"${msg.token}"}`
      : `{"token":"${msg.token}"}`;
    // A verification link and a step-up link complete only with a live session of the account they belong to.
    const session = msg.type === "email_verify" || msg.type === "email_change" || msg.type === "reauth" ? ` -H "authorization: Bearer $ACCESS_TOKEN"` : "";
    log.info("message (development only: contains a one-time token)", {
      ...msg,
      webhook_url: configured ? d.webhook_url : null,
      use: `curl -X POST ${ctx.issuer}/${CONSUMED_AT[msg.type]} -H 'content-type: application/json'${session} -d '${body}'`,
    });
  } else if (!configured) {
    log.warn("message dropped: the tenant has no delivery.webhook_url and webhook_secret", { tenant: ctx.slug, type: msg.type });
  }
}

/** Issues an email verification token for the user's current address and queues the message. */
export function queueEmailVerification(ctx: TenantCtx, user: UserRow): Message | null {
  if (!user.email || !user.email_norm) return null;
  const t = createOneTimeToken(ctx, "email_verify", { userId: user.id, email: user.email_norm });
  return sendMessage(ctx, "email_verify", user.email, t);
}

/**
 * Issues a verification token for the address a `PATCH /me` asked for and queues the
 * `email_change` message to that address (not to the current one: the link proves the new inbox).
 */
export function queueEmailChange(ctx: TenantCtx, userId: string, to: { raw: string; norm: string }): Message {
  const t = createOneTimeToken(ctx, "email_verify", { userId, email: to.norm });
  return sendMessage(ctx, "email_change", to.raw, t);
}

/**
 * `signup.require_email_verification`: a user with an unverified email may not sign in with
 * a password. A user without an email (username only) has nothing to verify and is let in;
 * a magic link verifies the email as it signs in.
 */
export function mustVerifyEmail(ctx: TenantCtx, user: UserRow): boolean {
  return ctx.settings.signup.require_email_verification && user.email_norm !== null && user.email_verified !== 1;
}

export const UNVERIFIED_MESSAGE = "The email address must be verified before signing in.";
