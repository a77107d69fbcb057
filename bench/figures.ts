/**
 * The arithmetic of the benchmarks, apart from the runs that feed it (tested in bench/test): endpoint
 * unavailability from the emulator's availability timeline, the part of it where RDS had nothing in
 * progress (Rewind's own), Lambda GB-seconds, the cost of a design that waits inside Lambdas, and the
 * lower bound of a fleet's completion time.
 */

/** A span of time in epoch milliseconds; `to` undefined = still open. */
export interface Span {
  from: number;
  to: number;
}

/** An interval of the availability timeline (`GET /_rewind/rds/availability`). */
export interface AnsweringInterval {
  from: string;
  to?: string;
}

/** One resource's status history (`GET /_rewind/rds/history`). */
export interface StatusHistory {
  kind: string;
  identifiers: string[];
  entries: { time: string; status: string; identifier: string }[];
}

/** Merges overlapping spans, sorted by start. */
export function union(spans: Span[]): Span[] {
  const sorted = spans.filter((s) => s.to > s.from).sort((a, b) => a.from - b.from);
  const out: Span[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.from <= last.to) last.to = Math.max(last.to, s.to);
    else out.push({ ...s });
  }
  return out;
}

export const total = (spans: Span[]) => union(spans).reduce((n, s) => n + (s.to - s.from), 0);

/** The parts of `spans` inside `within` (both merged first). */
export function intersect(spans: Span[], within: Span[]): Span[] {
  const out: Span[] = [];
  for (const a of union(spans)) {
    for (const b of union(within)) {
      const from = Math.max(a.from, b.from);
      const to = Math.min(a.to, b.to);
      if (to > from) out.push({ from, to });
    }
  }
  return out;
}

/** The parts of `window` not covered by `spans`. */
export function complement(spans: Span[], window: Span): Span[] {
  const out: Span[] = [];
  let at = window.from;
  for (const s of union(spans)) {
    if (s.to <= at) continue;
    if (s.from >= window.to) break;
    if (s.from > at) out.push({ from: at, to: s.from });
    at = Math.max(at, s.to);
  }
  if (at < window.to) out.push({ from: at, to: window.to });
  return out;
}

/** When an endpoint did not answer within `window`: the gaps between its answering intervals. */
export function outages(intervals: AnsweringInterval[], window: Span): Span[] {
  const answering = intervals.map((i) => ({
    from: Date.parse(i.from),
    to: i.to === undefined ? Number.POSITIVE_INFINITY : Date.parse(i.to),
  }));
  return complement(answering, window);
}

/**
 * Statuses in which RDS has nothing in progress on a resource. Anything else (creating, renaming,
 * rebooting, modifying, deleting, backing-up...) is RDS at work.
 */
const IDLE = new Set(['available', 'stopped', 'storage-optimization', 'deleted']);

/**
 * When RDS was at work on the given resources (instances and clusters): every status span that is not
 * idle, up to `until`. An `available` shown between a rename and its reboot is RDS at work too.
 */
export function rdsBusy(histories: StatusHistory[], until: number): Span[] {
  const busy: Span[] = [];
  for (const h of histories) {
    if (h.kind !== 'instance' && h.kind !== 'cluster') continue;
    const entries = [...h.entries].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    entries.forEach((e, i) => {
      const next = entries[i + 1];
      const flash = e.status === 'available' && next?.status === 'rebooting';
      if (IDLE.has(e.status) && !flash) return;
      busy.push({ from: Date.parse(e.time), to: next ? Date.parse(next.time) : until });
    });
  }
  return union(busy);
}

/** Lambda billing: duration rounded up to the millisecond, times the configured memory. */
export function gbSeconds(invocations: { durationMs: number; memoryMb: number }[]): number {
  return invocations.reduce((n, i) => n + (Math.ceil(i.durationMs) / 1000) * (i.memoryMb / 1024), 0);
}

/**
 * A design whose Lambdas wait in boto3 waiters (Trapheus): each wait polls every `delaySeconds` and
 * returns on the first poll that sees the target, so a wait of `d` seconds bills `ceil(d / delay) * delay`
 * seconds at `memoryMb`; a wait longer than one invocation allows (its waiter's attempts run out) goes
 * on in a new invocation, which bills the same way.
 */
export function waiterGbSeconds(
  waitsSeconds: number[],
  { delaySeconds = 40, memoryMb = 128 }: { delaySeconds?: number; memoryMb?: number } = {},
): number {
  const seconds = waitsSeconds.reduce(
    (n, d) => n + Math.max(1, Math.ceil(d / delaySeconds)) * delaySeconds,
    0,
  );
  return (seconds * memoryMb) / 1024;
}

/**
 * The least time a fleet of runs can take: its longest run's RDS work, or the RDS calls it makes at the
 * account's sustained rate (after the burst, in `burstAware`).
 */
export function fleetBound(
  longestRdsMs: number,
  calls: number,
  { perSecond = 12, burst = 300 }: { perSecond?: number; burst?: number } = {},
): { boundMs: number; callsMs: number; burstAwareMs: number } {
  const callsMs = (calls / perSecond) * 1000;
  const burstAwareMs = (Math.max(0, calls - burst) / perSecond) * 1000;
  return { boundMs: Math.max(longestRdsMs, callsMs), callsMs, burstAwareMs };
}

export const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
};
