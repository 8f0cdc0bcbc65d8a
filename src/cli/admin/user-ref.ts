/**
 * @module A user as the command line names one: a user id, `email:<address>` or
 * `username:<name>` (a bare word is always an id, since a username can look like one). The
 * two prefixed forms are resolved through the admin API's user search, which matches email and
 * username prefixes; the CLI keeps the one user whose identifier equals the given one after the
 * server's own normalisation (schema/identifiers.ts), so `alice` never picks `alice2`.
 */
import { normalizeEmail, normalizeUsername } from "../../../schema/identifiers.ts";
import type { User, UserList } from "./api-types.ts";
import { expectFields, type Context } from "./command.ts";
import { CliError, UsageError } from "./errors.ts";
import { seg } from "./http.ts";

/** For usage lines and help. */
export const USER_REF = "<user>";
export const USER_REF_HELP = "<user> is a user id, email:<address> or username:<name>.";

const PAGE = 1000;
/** Enough pages for any realistic set of prefix matches; a search past it is refused rather than left to run. */
const MAX_PAGES = 20;

type Field = "email" | "username";

/** What `ref` asks for, checked before any request. */
export function parseUserRef(ref: string): { id: string } | { field: Field; value: string } {
  const colon = ref.indexOf(":");
  const prefix = colon === -1 ? "" : ref.slice(0, colon);
  const rest = ref.slice(colon + 1);
  if (prefix === "email") {
    const value = normalizeEmail(rest);
    if (!value) throw new UsageError(`email:${rest} is not an email address`);
    return { field: "email", value };
  }
  if (prefix === "username") {
    const value = normalizeUsername(rest);
    if (!value) throw new UsageError(`username:${rest} is not a username (3-64 of a-z 0-9 . _ -)`);
    return { field: "username", value };
  }
  if (prefix === "id") return { id: rest };
  if (ref === "") throw new UsageError("a user id, email:<address> or username:<name> is needed");
  return { id: ref };
}

function normalized(field: Field, user: User): string | null {
  const raw = user[field];
  if (typeof raw !== "string") return null;
  return field === "email" ? normalizeEmail(raw) : normalizeUsername(raw);
}

/** The id of the user `ref` names in `tenant`; a clear error when none or several match. */
export async function resolveUserId(ctx: Context, tenant: string, ref: string): Promise<string> {
  const wanted = parseUserRef(ref);
  if ("id" in wanted) return wanted.id;
  const matches: User[] = [];
  let cursor: string | undefined;
  for (let page = 0; ; page += 1) {
    if (page === MAX_PAGES) throw new CliError(`${ref}: too many users share that prefix to search; give the user id`);
    const result = expectFields(
      await ctx.http.request<UserList>("GET", `/tenants/${seg(tenant)}/users`, undefined, {
        query: { query: wanted.value, limit: PAGE, cursor },
      }),
      ["users"],
      "GET users",
    );
    matches.push(...result.users.filter((user) => normalized(wanted.field, user) === wanted.value));
    if (!result.next_cursor) break;
    cursor = result.next_cursor;
  }
  if (matches.length === 0) throw new CliError(`no user with ${wanted.field} ${wanted.value} in tenant ${tenant}`);
  if (matches.length > 1) {
    throw new CliError(`${matches.length} users with ${wanted.field} ${wanted.value} in tenant ${tenant} (${matches.map((u) => u.id).join(", ")}); give the user id`);
  }
  return matches[0].id;
}
