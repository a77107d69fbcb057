/**
 * EventBridge Scheduler schedule expressions (Scheduler User Guide, "Schedule types"):
 * - `at(yyyy-mm-ddThh:mm:ss)`: once, at that wall time in the schedule's time zone;
 * - `rate(value unit)`: every value minutes|hours|days (singular for 1), from the start date (or the
 *   creation) on: the first firing one period after it;
 * - `cron(minutes hours day-of-month month day-of-week year)`: six fields, wall time in the schedule's
 *   time zone (`ScheduleExpressionTimezone`, default UTC); `*`, `,`, `-`, `/`; `?` in exactly one of
 *   day-of-month and day-of-week; `L` (last day of the month, or `6L`-style last weekday), `W` (nearest
 *   weekday), `#` (nth weekday); day-of-week 1-7 = SUN-SAT; names JAN-DEC and SUN-SAT.
 */

export class ExpressionError extends Error {}

export type Expression =
  { kind: 'at'; wall: WallTime } | { kind: 'rate'; periodMs: number } | { kind: 'cron'; cron: Cron };

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

interface Cron {
  minutes: Set<number>;
  hours: Set<number>;
  months: Set<number>;
  years: Set<number>;
  /** Day-of-month test (undefined = `?`). */
  dom?: (d: WallDate) => boolean;
  /** Day-of-week test (undefined = `?`). */
  dow?: (d: WallDate) => boolean;
}

interface WallDate {
  year: number;
  month: number;
  day: number;
  /** 1 = Sunday ... 7 = Saturday (the cron numbering). */
  weekday: number;
  daysInMonth: number;
}

const MINUTE = 60_000;
const UNITS: Record<string, number> = { minute: MINUTE, hour: 60 * MINUTE, day: 1440 * MINUTE };
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function invalid(expression: string, why: string): ExpressionError {
  return new ExpressionError(`Invalid Schedule Expression ${expression}: ${why}.`);
}

export function parseExpression(expression: string): Expression {
  const at = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(expression);
  if (at) {
    const [year, month, day, hour, minute, second] = at.slice(1).map(Number) as number[];
    const wall = { year, month, day, hour, minute, second } as WallTime;
    const check = new Date(
      Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second),
    );
    if (check.getUTCMonth() !== wall.month - 1 || check.getUTCDate() !== wall.day || wall.hour > 23)
      throw invalid(expression, 'no such date and time');
    return { kind: 'at', wall };
  }
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2] as string;
    if (value < 1) throw invalid(expression, 'the value must be a positive whole number');
    if ((value === 1) !== !unit.endsWith('s'))
      throw invalid(
        expression,
        value === 1
          ? `use the singular: rate(1 ${unit.replace(/s$/, '')})`
          : `use the plural: rate(${value} ${unit}s)`,
      );
    return { kind: 'rate', periodMs: value * (UNITS[unit.replace(/s$/, '')] as number) };
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (cron) return { kind: 'cron', cron: parseCron(expression, (cron[1] as string).trim()) };
  throw invalid(expression, 'expected at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(fields)');
}

function parseCron(expression: string, body: string): Cron {
  const fields = body.split(/\s+/);
  if (fields.length !== 6)
    throw invalid(
      expression,
      `a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`,
    );
  const [min, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?'))
    throw invalid(expression, 'give ? in exactly one of day-of-month and day-of-week');
  return {
    minutes: numbers(expression, min, 0, 59),
    hours: numbers(expression, hour, 0, 23),
    months: numbers(expression, month, 1, 12, MONTHS),
    years: numbers(expression, year, 1970, 2199),
    dom: dom === '?' ? undefined : dayOfMonth(expression, dom),
    dow: dow === '?' ? undefined : dayOfWeek(expression, dow),
  };
}

function value(expression: string, text: string, min: number, max: number, names?: string[]): number {
  const named = names?.indexOf(text.toUpperCase()) ?? -1;
  const n = named >= 0 ? named + min : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) throw invalid(expression, `${text} is not in ${min}-${max}`);
  return n;
}

/** A numeric field: `*`, `a`, `a-b`, `a/n`, `*\/n`, `a-b/n`, lists of these. */
function numbers(expression: string, field: string, min: number, max: number, names?: string[]): Set<number> {
  const out = new Set<number>();
  for (const part of field.split(',')) {
    const m = /^([^/]+)(?:\/(\d+))?$/.exec(part);
    if (!m) throw invalid(expression, `cannot read ${part}`);
    const step = m[2] === undefined ? 1 : Number(m[2]);
    if (step < 1) throw invalid(expression, `the increment in ${part} must be at least 1`);
    let from: number;
    let to: number;
    if (m[1] === '*') [from, to] = [min, max];
    else if ((m[1] as string).includes('-')) {
      const [a, b] = (m[1] as string).split('-') as [string, string];
      [from, to] = [value(expression, a, min, max, names), value(expression, b, min, max, names)];
    } else {
      from = value(expression, m[1] as string, min, max, names);
      to = m[2] === undefined ? from : max;
    }
    for (let n = from; n <= to; n += step) out.add(n);
  }
  return out;
}

function dayOfMonth(expression: string, field: string): (d: WallDate) => boolean {
  if (field === 'L') return (d) => d.day === d.daysInMonth;
  const w = /^(\d+)W$/.exec(field);
  if (w) {
    const target = value(expression, w[1] as string, 1, 31);
    return (d) => d.day === nearestWeekday(d, target);
  }
  const days = numbers(expression, field, 1, 31);
  return (d) => days.has(d.day);
}

/** The weekday nearest to day `target` of d's month, without leaving the month (cron's `W`). */
function nearestWeekday(d: WallDate, target: number): number {
  const day = Math.min(target, d.daysInMonth);
  const weekday = new Date(Date.UTC(d.year, d.month - 1, day)).getUTCDay(); // 0 = Sunday
  if (weekday === 6) return day === 1 ? 3 : day - 1;
  if (weekday === 0) return day === d.daysInMonth ? day - 2 : day + 1;
  return day;
}

function dayOfWeek(expression: string, field: string): (d: WallDate) => boolean {
  const last = /^([^#L]+)L$/.exec(field);
  if (last) {
    const wd = value(expression, last[1] as string, 1, 7, DAYS);
    return (d) => d.weekday === wd && d.day + 7 > d.daysInMonth;
  }
  const nth = /^([^#]+)#([1-5])$/.exec(field);
  if (nth) {
    const wd = value(expression, nth[1] as string, 1, 7, DAYS);
    const n = Number(nth[2]);
    return (d) => d.weekday === wd && Math.ceil(d.day / 7) === n;
  }
  const days = numbers(expression, field, 1, 7, DAYS);
  return (d) => days.has(d.weekday);
}

/** Whether the time zone is one the runtime knows (IANA names). */
export function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock parts of an instant in a time zone. */
function wallParts(ms: number, tz: string): WallTime {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(ms)))
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  return {
    year: p.year as number,
    month: p.month as number,
    day: p.day as number,
    hour: p.hour as number,
    minute: p.minute as number,
    second: p.second as number,
  };
}

/** The instant a wall time in a time zone names (the later one in a gap, the first one in an overlap). */
function instantOf(w: WallTime, tz: string): number {
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  let guess = asUtc;
  for (let i = 0; i < 3; i++) {
    const seen = wallParts(guess, tz);
    const seenAsUtc = Date.UTC(seen.year, seen.month - 1, seen.day, seen.hour, seen.minute, seen.second);
    const diff = asUtc - seenAsUtc;
    if (diff === 0) return guess;
    guess += diff;
  }
  return guess;
}

function wallDate(w: WallTime): WallDate {
  return {
    year: w.year,
    month: w.month,
    day: w.day,
    weekday: new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay() + 1,
    daysInMonth: new Date(Date.UTC(w.year, w.month, 0)).getUTCDate(),
  };
}

function cronMatchesDay(c: Cron, d: WallDate): boolean {
  if (!c.years.has(d.year) || !c.months.has(d.month)) return false;
  return (c.dom?.(d) ?? true) && (c.dow?.(d) ?? true);
}

/** The first month after (year, month) that the expression's years and months allow. */
function nextMonth(c: Cron, year: number, month: number): { year: number; month: number } | undefined {
  for (let y = year; y <= 2199; y++) {
    if (!c.years.has(y)) continue;
    for (let m = y === year ? month + 1 : 1; m <= 12; m++) if (c.months.has(m)) return { year: y, month: m };
  }
  return undefined;
}

/**
 * The first firing strictly after `afterMs`, or undefined when there is none (an `at` in the past, a
 * cron whose years are over). `anchorMs` is where a rate counts from (start date or creation).
 */
export function nextFiring(e: Expression, tz: string, afterMs: number, anchorMs: number): number | undefined {
  if (e.kind === 'at') {
    const t = instantOf(e.wall, tz);
    return t > afterMs ? t : undefined;
  }
  if (e.kind === 'rate') {
    const periods = Math.max(1, Math.floor((afterMs - anchorMs) / e.periodMs) + 1);
    return anchorMs + periods * e.periodMs;
  }
  const c = e.cron;
  let t = Math.floor(afterMs / MINUTE) * MINUTE + MINUTE;
  const limit = Date.UTC(2200, 0, 1);
  while (t < limit) {
    const w = wallParts(t, tz);
    const minutesLeftToday = 1440 - w.hour * 60 - w.minute;
    if (!c.years.has(w.year) || !c.months.has(w.month)) {
      // Straight to the first day of the next month or year the expression allows (an hour early).
      const jump = nextMonth(c, w.year, w.month);
      if (jump === undefined) return undefined;
      t = Math.max(
        t + MINUTE,
        instantOf({ ...jump, day: 1, hour: 0, minute: 0, second: 0 }, tz) - 60 * MINUTE,
      );
      t = Math.floor(t / MINUTE) * MINUTE;
      continue;
    }
    if (!cronMatchesDay(c, wallDate(w))) {
      // To the next local midnight, less an hour in case the day is shortened by a clock change.
      t += Math.max(1, minutesLeftToday - 60) * MINUTE;
      continue;
    }
    if (!c.hours.has(w.hour)) {
      t += (60 - w.minute) * MINUTE;
      continue;
    }
    if (!c.minutes.has(w.minute)) {
      t += MINUTE;
      continue;
    }
    return t;
  }
  return undefined;
}
