/** A small concurrent work queue: runs up to `concurrency` jobs at once, supports delayed jobs and idle waits. */
export class WorkQueue<T> {
  private items: T[] = [];
  private head = 0;
  private active = 0;
  private readonly timers = new Map<NodeJS.Timeout, { item: T; dueAt: number }>();
  private readonly running = new Set<T>();
  private waiters: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly concurrency: number,
    private readonly run: (item: T) => Promise<void>,
  ) {}

  get pending(): number {
    return this.items.length - this.head + this.active + this.timers.size;
  }

  push(item: T): void {
    if (this.closed) return;
    this.items.push(item);
    this.pump();
  }

  /** Queues `item` after `delayMs` (retries). */
  later(item: T, delayMs: number): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.push(item);
      this.settle();
    }, delayMs);
    timer.unref();
    this.timers.set(timer, { item, dueAt: Date.now() + delayMs });
  }

  /** Every item not finished: queued, running (may run again after a restore), or scheduled for later. */
  snapshot(): { item: T; dueAt?: number }[] {
    return [
      ...[...this.running, ...this.items.slice(this.head)].map((item) => ({ item })),
      ...this.timers.values(),
    ];
  }

  /** Resolves once nothing is queued, running or scheduled. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers.keys()) clearTimeout(t);
    this.timers.clear();
    this.items = [];
    this.head = 0;
    this.settle();
  }

  private pump(): void {
    while (this.active < this.concurrency && this.head < this.items.length) {
      const item = this.items[this.head++] as T;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      this.active++;
      this.running.add(item);
      void this.run(item)
        .catch(() => undefined)
        .finally(() => {
          this.running.delete(item);
          this.active--;
          this.pump();
          this.settle();
        });
    }
  }

  private settle(): void {
    if (this.pending !== 0 && !this.closed) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
