/**
 * @module The one clock. Everything that reads time (session expiry, token `iat`/`exp`,
 * lockout windows, alarms) asks `clock.now()`, so tests can move time forward without
 * sleeping. Production never changes the offset.
 */
export const clock = {
  offsetMs: 0,
  now(): number {
    return Date.now() + this.offsetMs;
  },
  /** Test-only: move time forward (or back) by `ms`. */
  advance(ms: number): void {
    this.offsetMs += ms;
  },
  reset(): void {
    this.offsetMs = 0;
  },
};

export const iso = (ms: number | null | undefined): string | null => (ms == null ? null : new Date(ms).toISOString());
