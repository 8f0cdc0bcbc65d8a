/** @module The discovery action: the provider metadata of this tenant (objects/tenant/oauth/metadata.ts). */
import { ok, type Result } from "../../../../src/errors.ts";
import { providerMetadata } from "../../oauth/metadata.ts";
import type { Runtime } from "../../runtime.ts";

export async function discovery(rt: Runtime): Promise<Result<Record<string, unknown>>> {
  const b = await rt.begin();
  if (!b.ok) return b;
  return ok(providerMetadata(b.value));
}
