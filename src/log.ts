/**
 * @module Structured logs: one JSON line per request and per notable event, filtered by
 * LOG_LEVEL. Callers pass fields, never secrets (tokens, passwords, keys are not logged).
 */
export type Level = "debug" | "info" | "warn" | "error";
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function logger(level: string | undefined) {
  const min = RANK[(level as Level) ?? "info"] ?? RANK.info;
  const emit = (lvl: Level, msg: string, fields: Record<string, unknown> = {}) => {
    if (RANK[lvl] < min) return;
    const line = JSON.stringify({ ts: new Date().toISOString(), level: lvl, msg, ...fields });
    if (lvl === "error") console.error(line);
    else if (lvl === "warn") console.warn(line);
    else console.log(line);
  };
  return {
    debug: (m: string, f?: Record<string, unknown>) => emit("debug", m, f),
    info: (m: string, f?: Record<string, unknown>) => emit("info", m, f),
    warn: (m: string, f?: Record<string, unknown>) => emit("warn", m, f),
    error: (m: string, f?: Record<string, unknown>) => emit("error", m, f),
  };
}
export type Logger = ReturnType<typeof logger>;
