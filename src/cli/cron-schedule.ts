/**
 * @module The five-field cron expressions of wrangler.toml's `[triggers] crons`, evaluated in
 * UTC as Cloudflare evaluates them, so the local server can fire the scheduled handler on the
 * same schedule. Fields: minute, hour, day of month, month, day of week; each `*`, a number, a
 * range `a-b`, a list `a,b`, and a step `/n` on `*` or a range. Names (`MON`, `JAN`) and the
 * `L`/`W`/`#` extensions are not accepted: none of Warden's triggers use them.
 */

const FIELDS: readonly { min: number; max: number }[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12 },
  { min: 0, max: 7 },
];

function parseField(text: string, { min, max }: { min: number; max: number }): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new Error(`invalid cron field ${JSON.stringify(text)}`);
    const lo = m[1] === "*" ? min : Number(m[2]);
    const hi = m[1] === "*" ? max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? max : lo;
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    if (lo < min || hi > max || lo > hi || step < 1) throw new Error(`cron field ${JSON.stringify(text)} is out of range`);
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

export class CronSchedule {
  readonly #fields: Set<number>[];
  /** Day of month and day of week both restricted: either may match (cron's rule). */
  readonly #dayOr: boolean;

  readonly expression: string;

  constructor(expression: string) {
    this.expression = expression;
    const parts = expression.trim().split(/\s+/);
    if (parts.length !== 5) throw new Error(`a cron expression has five fields, got ${JSON.stringify(expression)}`);
    this.#fields = parts.map((p, i) => parseField(p, FIELDS[i]));
    if (this.#fields[4].has(7)) this.#fields[4].add(0);
    this.#dayOr = parts[2] !== "*" && parts[4] !== "*";
  }

  /** Whether the minute starting at `ms` (UTC) is one the schedule fires in. */
  matches(ms: number): boolean {
    const d = new Date(ms);
    const [minute, hour, dom, month, dow] = this.#fields;
    if (!minute.has(d.getUTCMinutes()) || !hour.has(d.getUTCHours()) || !month.has(d.getUTCMonth() + 1)) return false;
    const byDom = dom.has(d.getUTCDate());
    const byDow = dow.has(d.getUTCDay());
    return this.#dayOr ? byDom || byDow : byDom && byDow;
  }

  /** The start of the first matching minute strictly after `ms`. */
  next(ms: number): number {
    let t = Math.floor(ms / 60_000) * 60_000 + 60_000;
    // A year and a day of minutes bounds every valid expression (Feb 29 aside, which none use).
    for (let i = 0; i < 527_040; i++, t += 60_000) if (this.matches(t)) return t;
    throw new Error(`cron ${JSON.stringify(this.expression)} never fires`);
  }
}
