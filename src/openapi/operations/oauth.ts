/** @module Operations: OAuth 2.1 / OpenID Connect: discovery, authorization, token, userinfo, registration, end-session, upstream identity providers. */
import type { Operation } from "../operation.ts";

export const oauthOperations: Operation[] = [];
