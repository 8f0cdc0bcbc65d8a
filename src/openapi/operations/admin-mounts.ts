/**
 * @module The two mounts of the operator routes (src/routes/admin/operator.ts): each operation
 * on one tenant's users, roles, audit log, OAuth clients and identity providers is written once
 * and emitted twice, under `/v1/admin/tenants/{slug}` for the operator's ADMIN_TOKEN and under
 * `/v1/{tenant}/admin` for the tenant's own API keys with the `manage` scope. Same handlers,
 * same body, same answers; only the path, the security and the operationId differ.
 */
import type { Operation } from "../operation.ts";

/** An operation of the mirrored routes: `path` is relative to either mount, e.g. `/users/{id}`. */
export type Mirrored = Omit<Operation, "security">;

/** The operationId of the manage-key twin of operator operation `id`. */
export const asManageKey = (id: string): string => `${id}AsManageKey`;

const para = (...parts: (string | undefined)[]) => parts.filter(Boolean).join("\n\n");

/**
 * `[operator, manage key]`. The operator's keeps `op.id` (`getUser`); the key's is
 * `op.id + "AsManageKey"` (`getUserAsManageKey`). A key without `manage` answers 403
 * `forbidden`, an unknown or revoked key 401 `invalid_token`; the audit log names the key
 * (`key:{id}`) as the actor instead of `admin`.
 */
export function bothMounts(op: Mirrored): Operation[] {
  return [
    {
      ...op,
      path: `/v1/admin/tenants/{slug}${op.path}`,
      security: { kind: "admin" },
      description: para(op.description, `Operator (ADMIN_TOKEN). The same operation for the tenant's own \`manage\` API key is \`${asManageKey(op.id)}\` at \`/v1/{tenant}/admin${op.path}\`.`),
    },
    {
      ...op,
      id: asManageKey(op.id),
      path: `/v1/{tenant}/admin${op.path}`,
      security: { kind: "apiKey", scopes: ["manage"] },
      description: para(
        op.description,
        `With the tenant's own API key that has the \`manage\` scope: the operator's \`${op.id}\` (\`/v1/admin/tenants/{slug}${op.path}\`), same handler and answers. A key without \`manage\` is refused 403 \`forbidden\`, an unknown or revoked key 401 \`invalid_token\`; the audit log records the key (\`key:{id}\`) as the actor.`,
      ),
    },
  ];
}
