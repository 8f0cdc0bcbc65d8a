/** @module Every documented operation, in the order of the reference. */
import type { Operation } from "../operation.ts";
import { authOperations } from "./auth.ts";

export const OPERATIONS: Operation[] = [...authOperations];
