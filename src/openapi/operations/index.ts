/** @module Every documented operation, in the order of the reference. */
import type { Operation } from "../operation.ts";
import { accountOperations } from "./account.ts";
import { adminOperations } from "./admin.ts";
import { authOperations } from "./auth.ts";
import { oauthOperations } from "./oauth.ts";
import { passkeyOperations } from "./passkeys.ts";

export const OPERATIONS: Operation[] = [...authOperations, ...accountOperations, ...passkeyOperations, ...oauthOperations, ...adminOperations];
