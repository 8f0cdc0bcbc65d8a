/** @module The local server fires wrangler.toml's cron triggers on Cloudflare's schedule (UTC). */
import { describe, expect, it } from "vitest";
import { CronSchedule } from "../../src/cli/cron-schedule.ts";

const at = (iso: string) => Date.parse(iso);

describe("cron schedules", () => {
  it("*/15 * * * * fires at minutes 0, 15, 30 and 45 of every hour", () => {
    const c = new CronSchedule("*/15 * * * *");
    expect(new Date(c.next(at("2026-12-01T13:44:36Z"))).toISOString()).toBe("2026-12-01T13:45:00.000Z");
    expect(new Date(c.next(at("2026-12-01T13:45:00Z"))).toISOString()).toBe("2026-12-01T14:00:00.000Z");
    expect(c.matches(at("2026-12-01T14:30:00Z"))).toBe(true);
    expect(c.matches(at("2026-12-01T14:31:00Z"))).toBe(false);
  });

  it("0 3 * * * fires once a day at 03:00 UTC", () => {
    const c = new CronSchedule("0 3 * * *");
    expect(new Date(c.next(at("2026-12-01T03:00:00Z"))).toISOString()).toBe("2026-12-02T03:00:00.000Z");
    expect(new Date(c.next(at("2026-12-31T23:59:59Z"))).toISOString()).toBe("2027-01-01T03:00:00.000Z");
  });

  it("lists, ranges, steps on ranges and day-of-week 7 as Sunday", () => {
    const c = new CronSchedule("5,10 9-17/4 * * 7");
    // 2026-12-06 is a Sunday.
    expect(c.matches(at("2026-12-06T13:10:00Z"))).toBe(true);
    expect(c.matches(at("2026-12-06T14:10:00Z"))).toBe(false);
    expect(c.matches(at("2026-12-07T13:10:00Z"))).toBe(false);
  });

  it("day of month and day of week both restricted: either matches, as cron does", () => {
    const c = new CronSchedule("0 0 1 * 1");
    expect(c.matches(at("2026-12-01T00:00:00Z"))).toBe(true); // the 1st (a Tuesday)
    expect(c.matches(at("2026-12-07T00:00:00Z"))).toBe(true); // a Monday
    expect(c.matches(at("2026-12-08T00:00:00Z"))).toBe(false);
  });

  it("refuses what it does not understand instead of never firing", () => {
    for (const bad of ["* * * *", "60 * * * *", "MON * * * *", "*/0 * * * *", "5-1 * * * *"]) expect(() => new CronSchedule(bad), bad).toThrow();
  });
});
