/**
 * What the benchmarks share: the machine's CPU counters (how much the host took: steal), Rewind's wait
 * settings scaled like RDS's durations, the Lambda compute of the invocations the function runtime ran,
 * and a tally of runs from the events an observer on the bus receives.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_WAIT, serviceEnvironment, topology, type WaitConfig } from '@rewind/shared';
import type { AdminClient } from '../local/src';
import type { ResourceNames } from '../shared/src/resourceNames';
import type { ObservedEvent, Observer } from '../e2e/harness';
import { gbSeconds } from './figures';

/** CPU time counters of the machine (Linux `/proc/stat`), to report how much the host took (steal). */
export function cpuTimes(): { steal: number; total: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    return { steal: fields[7] ?? 0, total: fields.reduce((a, b) => a + b, 0) };
  } catch {
    return undefined;
  }
}

/** Measures the host's share of CPU time (steal) from now until `line()` is called. */
export function stealMeter(): { line(): string } {
  const before = cpuTimes();
  return {
    line() {
      const after = cpuTimes();
      if (!before || !after) return 'CPU time taken by the host (steal): unknown (no /proc/stat)';
      const share = (100 * (after.steal - before.steal)) / Math.max(1, after.total - before.total);
      return `CPU time taken by the host (steal) during the runs: ${share.toFixed(1)}% (a shared machine stretches the tails)`;
    },
  };
}

export const ms = (n: number) => `${n.toFixed(0)} ms`;
export const seconds = (n: number) => `${n.toFixed(1)} s`;

/**
 * Rewind's production wait settings with every interval that paces a wait on RDS (first check, backoff
 * ceiling, rename confirmation, and any other interval the configuration grows) multiplied by `factor`,
 * as RDS's durations are. The act timeout (paced to the API, not to RDS) and the deadlines (guards, not
 * pacing) keep their production values. SQS delays are whole seconds: `rounded` lists the settings that
 * rounding changes, with what they amount to.
 */
export function scaledWait(factor: number): {
  wait: WaitConfig;
  env: Record<string, string>;
  rounded: string[];
} {
  const wait = { ...DEFAULT_WAIT } as WaitConfig & Record<string, unknown>;
  const rounded: string[] = [];
  for (const [key, value] of Object.entries(DEFAULT_WAIT)) {
    if (typeof value !== 'number' || key === 'actTimeoutSeconds') continue;
    const scaled = value * factor;
    wait[key] = scaled;
    if (Math.round(scaled) !== scaled) {
      rounded.push(
        `${key} ${value} s -> ${scaled.toFixed(2)} s, sent as ${Math.round(scaled)} s (= ${(Math.round(scaled) / factor).toFixed(0)} s in production)`,
      );
    }
  }
  const env = serviceEnvironment({ busName: '', tableName: '', inboxUrls: {}, wait });
  return { wait, env: keepWaitKeys(env), rounded };
}

/** Only the wait settings of a service environment (the rest comes from the local cloud). */
function keepWaitKeys(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([k]) => /^REWIND_(WAIT|DEADLINE)_/.test(k)));
}

/** The production wait settings as environment (for a bench that keeps RDS's API at its real rate). */
export function productionWait(): Record<string, string> {
  return keepWaitKeys(serviceEnvironment({ busName: '', tableName: '', inboxUrls: {}, wait: DEFAULT_WAIT }));
}

/** GB-seconds of the invocations the function runtime ran since its log was cleared, with each function's configured memory. */
export async function lambdaCompute(
  admin: AdminClient,
  names: ResourceNames,
): Promise<{ gbSeconds: number; invocations: number; byService: Record<string, number> }> {
  const memory = new Map(
    topology.services.map((s) => [names.functionName(s.name, s.function.name), s.function.memoryMb]),
  );
  const service = new Map(
    topology.services.map((s) => [names.functionName(s.name, s.function.name), s.name as string]),
  );
  const invocations = await admin.invocations();
  const byService: Record<string, number> = {};
  for (const i of invocations) {
    const name = service.get(i.functionName) ?? i.functionName;
    byService[name] =
      (byService[name] ?? 0) +
      gbSeconds([{ durationMs: i.durationMs, memoryMb: memory.get(i.functionName) ?? 128 }]);
  }
  return {
    gbSeconds: Object.values(byService).reduce((a, b) => a + b, 0),
    invocations: invocations.length,
    byService,
  };
}

export const TERMINAL_EVENTS = ['RunCompleted', 'RunFailed', 'RestoreRejected'];

/**
 * Follows many runs from an observer's events without scanning them all for each run: the run id of
 * each request, and each run's terminal event.
 */
export class RunTally {
  private seen = 0;
  readonly runOf = new Map<string, string>();
  readonly rejected = new Map<string, string>();
  readonly terminal = new Map<string, ObservedEvent>();

  constructor(private readonly observer: Observer) {}

  update(): void {
    const events = this.observer.events;
    for (; this.seen < events.length; this.seen++) {
      const e = events[this.seen]!;
      const requestId = e.detail.requestId;
      if (e['detail-type'] === 'RunStarted' && requestId && e.detail.run)
        this.runOf.set(requestId, e.detail.run.id);
      if (e['detail-type'] === 'RestoreRejected' && requestId)
        this.rejected.set(requestId, String(e.detail.reason ?? ''));
      const runId = e.detail.run?.id ?? e.detail.runId;
      if (runId && TERMINAL_EVENTS.includes(e['detail-type'])) this.terminal.set(runId, e);
    }
  }

  /** Resolves when every request has a terminal event (or a rejection), or after `timeoutMs` of no progress. */
  async settle(requestIds: string[], timeoutMs: number, progress?: (done: number) => void): Promise<void> {
    let done = -1;
    let lastChange = Date.now();
    for (;;) {
      this.update();
      const now = requestIds.filter((r) => {
        const run = this.runOf.get(r);
        return this.rejected.has(r) || (run !== undefined && this.terminal.has(run));
      }).length;
      if (now !== done) {
        done = now;
        lastChange = Date.now();
        progress?.(done);
      }
      if (done === requestIds.length || Date.now() - lastChange > timeoutMs) return;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
