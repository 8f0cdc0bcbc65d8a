/** @module Operations: the signed-in user: profile, sessions, linked identities, TOTP, step-up, email links, password reset, the events stream. */
import type { Operation } from "../operation.ts";

export const accountOperations: Operation[] = [];
