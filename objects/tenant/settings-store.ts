/**
 * @module How the settings row is stored and shown. The JSON column holds every setting but
 * `delivery.webhook_secret`, which is sealed in its own column (`webhook_secret_sealed`,
 * purpose `webhook-secret`, associated data `tenant|settings|webhook-secret`) and opened when
 * the object loads. Operators never read it back: views show `"set"` in its place.
 */
import type { Sealer } from "../../src/crypto/seal.ts";
import type { Settings } from "../../schema/settings.ts";

/** What views show instead of a configured webhook secret. */
export const SECRET_MASK = "set";

const ROW = "settings";

export interface StoredSettings {
  json: string;
  sealedSecret: string | null;
}

/** Seals what the settings row stores (async: before the transaction that writes it). */
export async function sealSettings(sealer: Sealer, slug: string, s: Settings, keep?: { secret: string | null; sealed: string | null }): Promise<StoredSettings> {
  const secret = s.delivery.webhook_secret;
  const json = JSON.stringify({ ...s, delivery: { ...s.delivery, webhook_secret: null } });
  // An unchanged secret keeps its sealed value rather than being sealed again on every PATCH.
  if (keep && keep.secret === secret && keep.sealed) return { json, sealedSecret: keep.sealed };
  return { json, sealedSecret: secret === null ? null : await sealer.seal(new TextEncoder().encode(secret), "webhook-secret", slug, ROW) };
}

/**
 * The stored settings as an object to validate, the webhook secret opened. A row written
 * before the secret was sealed still has it in the JSON: `legacy` is true, and the caller
 * re-stores it sealed.
 */
export async function openSettings(sealer: Sealer, slug: string, row: { settings: string; webhook_secret_sealed: string | null }): Promise<{ raw: Record<string, any>; legacy: boolean }> {
  const raw = JSON.parse(row.settings) as Record<string, any>;
  const clear = raw.delivery?.webhook_secret ?? null;
  if (row.webhook_secret_sealed) {
    const secret = new TextDecoder().decode(await sealer.open(row.webhook_secret_sealed, "webhook-secret", slug, ROW));
    return { raw: { ...raw, delivery: { ...raw.delivery, webhook_secret: secret } }, legacy: false };
  }
  return { raw, legacy: clear !== null };
}

export function writeSettings(sql: SqlStorage, stored: StoredSettings): void {
  sql.exec("UPDATE settings SET settings = ?, webhook_secret_sealed = ? WHERE id = 1", stored.json, stored.sealedSecret);
}

/**
 * The settings as operators see them: the ones in force (parsed, so a setting the stored row
 * predates shows its default, as the tenant applies it), the webhook secret masked.
 */
export function settingsView(s: Settings): Settings {
  return { ...s, delivery: { ...s.delivery, webhook_secret: s.delivery.webhook_secret === null ? null : SECRET_MASK } };
}
