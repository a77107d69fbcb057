/**
 * The cloud clock: the time every emulator reads (RDS timestamps, event times, schedule firings) and the
 * timers they run on. It follows the machine's clock plus an offset that only grows: tests move it
 * forward (`advance`) to live through simulated days without waiting.
 *
 * Advancing runs every timer due within the jump, in order of due time, each with the clock reading
 * exactly its due time (a schedule firing sees its scheduled time; an RDS step finishing during the jump
 * stamps its own time); a timer that schedules another one within the jump sees it run too. A timer
 * returning a promise is awaited before the next one runs. Timers due after the jump keep their due time
 * on the cloud clock, so their remaining wait shortens by the jump.
 */

export type TimerFn = () => void | Promise<void>;

interface ClockTimer {
  id: number;
  dueAt: number;
  fn: TimerFn;
  label?: string;
  handle?: NodeJS.Timeout;
}

export interface AdvanceResult {
  /** The cloud time before and after, ISO-8601. */
  from: string;
  now: string;
  /** Timers run during the jump. */
  ran: number;
}

export interface AdvanceRequest {
  /** Move forward by this many seconds (> 0)... */
  seconds?: number;
  /** ...or to this time (not before now). */
  to?: string | Date;
  /**
   * Stop right after the first timer with this label has run (e.g. `scheduler`: one schedule firing),
   * leaving the clock at its due time: a test lets the system react before going on.
   */
  stopAfter?: string;
}

const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export class ClockError extends Error {}

export class CloudClock {
  private offsetMs = 0;
  /** Set while a jump runs its timers: the due time of the timer running. */
  private pinnedAt: number | undefined;
  private readonly timers = new Map<number, ClockTimer>();
  private seq = 0;
  private advancing: Promise<unknown> = Promise.resolve();
  private closed = false;

  /** Cloud time, epoch milliseconds. */
  now(): number {
    return this.pinnedAt ?? Date.now() + this.offsetMs;
  }

  date(): Date {
    return new Date(this.now());
  }

  /** How far the cloud clock is ahead of the machine's (ms). */
  get offset(): number {
    return this.offsetMs;
  }

  /** Restores a saved offset (`--state-dir`); never moves the clock back. */
  restoreOffset(offsetMs: number): void {
    if (offsetMs > this.offsetMs) this.offsetMs = offsetMs;
    this.rearm();
  }

  /** Runs fn when the cloud clock reaches `dueAt` (epoch ms); returns an id for `cancel`. */
  at(dueAt: number, fn: TimerFn, label?: string): number {
    const id = ++this.seq;
    const timer = { id, dueAt, fn, label };
    this.timers.set(id, timer);
    if (this.pinnedAt === undefined) this.arm(timer);
    return id;
  }

  /** Runs fn after `ms` of cloud time. */
  after(ms: number, fn: TimerFn, label?: string): number {
    return this.at(this.now() + Math.max(0, ms), fn, label);
  }

  cancel(id: number): void {
    const t = this.timers.get(id);
    if (t?.handle) clearTimeout(t.handle);
    this.timers.delete(id);
  }

  dueAt(id: number): number | undefined {
    return this.timers.get(id)?.dueAt;
  }

  /** The earliest pending timer (with this label), if any. */
  next(label?: string): number | undefined {
    let best: number | undefined;
    for (const t of this.timers.values()) {
      if (label !== undefined && t.label !== label) continue;
      if (best === undefined || t.dueAt < best) best = t.dueAt;
    }
    return best;
  }

  /** Moves the clock forward, running what falls due on the way (one jump at a time). */
  advance(req: AdvanceRequest): Promise<AdvanceResult> {
    const run = this.advancing.then(() => this.jump(req));
    this.advancing = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) if (t.handle) clearTimeout(t.handle);
    this.timers.clear();
  }

  private target(req: AdvanceRequest): number {
    const now = this.now();
    if (req.seconds !== undefined && req.to !== undefined)
      throw new ClockError('give either "seconds" or "to", not both');
    if (req.seconds !== undefined) {
      if (typeof req.seconds !== 'number' || !Number.isFinite(req.seconds) || req.seconds <= 0)
        throw new ClockError(`"seconds" must be a number above 0 (got ${JSON.stringify(req.seconds)})`);
      return now + req.seconds * 1000;
    }
    if (req.to !== undefined) {
      const to = req.to instanceof Date ? req.to.getTime() : Date.parse(req.to);
      if (Number.isNaN(to))
        throw new ClockError(
          `"to" must be an ISO-8601 time such as 2027-01-01T00:00:00Z (got ${String(req.to)})`,
        );
      if (to < now)
        throw new ClockError(
          `"to" (${new Date(to).toISOString()}) is before the cloud's time ${new Date(now).toISOString()}: the clock only moves forward`,
        );
      return to;
    }
    throw new ClockError('give "seconds" (a number above 0) or "to" (an ISO-8601 time)');
  }

  private async jump(req: AdvanceRequest): Promise<AdvanceResult> {
    const from = this.now();
    let target = this.target(req);
    for (const t of this.timers.values()) if (t.handle) clearTimeout(t.handle);
    let ran = 0;
    try {
      for (;;) {
        const due = this.earliestBy(target);
        if (!due || this.closed) break;
        this.timers.delete(due.id);
        this.pinnedAt = Math.max(due.dueAt, this.pinnedAt ?? from);
        ran++;
        try {
          await due.fn();
        } catch {
          // A timer's own failure is its owner's to report; the jump goes on.
        }
        if (req.stopAfter !== undefined && due.label === req.stopAfter) {
          target = this.pinnedAt;
          break;
        }
      }
    } finally {
      this.offsetMs = Math.max(this.offsetMs, target - Date.now());
      this.pinnedAt = undefined;
      this.rearm();
    }
    return { from: new Date(from).toISOString(), now: new Date(this.now()).toISOString(), ran };
  }

  private earliestBy(limit: number): ClockTimer | undefined {
    let best: ClockTimer | undefined;
    for (const t of this.timers.values()) {
      if (t.dueAt > limit) continue;
      if (!best || t.dueAt < best.dueAt || (t.dueAt === best.dueAt && t.id < best.id)) best = t;
    }
    return best;
  }

  private rearm(): void {
    for (const t of this.timers.values()) this.arm(t);
  }

  private arm(t: ClockTimer): void {
    if (this.closed) return;
    if (t.handle) clearTimeout(t.handle);
    t.handle = setTimeout(
      () => {
        if (this.timers.get(t.id) !== t) return;
        // A jump in progress runs it (or re-arms it) instead.
        if (this.pinnedAt !== undefined) return;
        if (t.dueAt > this.now() + 1) return this.arm(t);
        this.timers.delete(t.id);
        void Promise.resolve()
          .then(t.fn)
          .catch(() => undefined);
      },
      // setTimeout holds at most about 24.8 days; a later timer re-arms when that ends.
      Math.min(MAX_TIMEOUT_MS, Math.max(0, t.dueAt - this.now())),
    );
    t.handle.unref?.();
  }
}
