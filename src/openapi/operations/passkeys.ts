/** @module Operations: passkeys (WebAuthn): registration, sign-in, second factor, step-up, passkey sign-up, management. */
import type { Operation } from "../operation.ts";

export const passkeyOperations: Operation[] = [];
