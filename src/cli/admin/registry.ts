/** @module Every command of the admin CLI, and finding one from the words on the command line. */
import type { Command } from "./command.ts";
import { auditCommands } from "./commands/audit.ts";
import { clientCommands } from "./commands/clients.ts";
import { eventCommands } from "./commands/events.ts";
import { idpCommands } from "./commands/idps.ts";
import { keyCommands } from "./commands/keys.ts";
import { roleCommands } from "./commands/roles.ts";
import { tenantCommands } from "./commands/tenants.ts";
import { tokenCommands } from "./commands/token.ts";
import { transferCommands } from "./commands/transfer.ts";
import { userCommands } from "./commands/users.ts";

export const COMMANDS: readonly Command[] = [
  ...tenantCommands,
  ...userCommands,
  ...keyCommands,
  ...roleCommands,
  ...clientCommands,
  ...idpCommands,
  ...auditCommands,
  ...transferCommands,
  ...eventCommands,
  ...tokenCommands,
];

export const GROUPS: readonly string[] = [...new Set(COMMANDS.map((command) => command.path[0]))];

export function commandsOf(group: string): Command[] {
  return COMMANDS.filter((command) => command.path[0] === group);
}
