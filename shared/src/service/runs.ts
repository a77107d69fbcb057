import type { EventInput, EventName } from '../contracts/events';
import type { RunBlock, StepName } from '../contracts/run';
import type { OutgoingEvent } from '../bus/publisher';
import { advance, beginCompensation, compensationFor } from '../plans';
import { TERMINAL_STATUSES, type RunRecord, type RunStatus } from '../state/types';
import type { ServiceContext } from './context';

/**
 * Run lifecycle shared by the services. Every state change is one conditional write that also
 * stores the events it produces (the outbox); the events are published after the write and the
 * outbox is cleared. A crash in between leaves the outbox, which the next message for the run
 * flushes, so an event is never lost and a step never runs twice.
 */

type Outgoing = { name: EventName; detail: Record<string, unknown> };

export function event<N extends EventName>(name: N, detail: EventInput<N>): Outgoing {
  return { name, detail: detail as Record<string, unknown> };
}

function summary(e: Outgoing): string {
  const d = e.detail as {
    reason?: string;
    from?: string;
    to?: string;
    snapshotIdentifier?: string;
    run?: RunBlock;
  };
  return [d.reason, d.from && d.to ? `${d.from} -> ${d.to}` : undefined, d.snapshotIdentifier]
    .filter(Boolean)
    .join('; ');
}

/**
 * Publishes what is left in the run's outbox, clears it, and releases the lock of a finished run.
 * `confirmed` names events known to be published (the message being handled is one of them).
 */
export async function flushOutbox(
  ctx: ServiceContext,
  run: RunRecord,
  confirmed: string[] = [],
): Promise<RunRecord> {
  const events = ((run.outbox ?? []) as Outgoing[]).filter((e) => !confirmed.includes(e.name));
  // Released before the terminal event goes out: whoever reacts to RunCompleted may start the next run.
  if (TERMINAL_STATUSES.includes(run.status) && run.status !== 'rejected') {
    await ctx.store.releaseLock(run.kind, run.identifier, run.runId);
  }
  if (events.length) {
    await ctx.publisher.publishAll(events as OutgoingEvent[]);
    const at = ctx.now().toISOString();
    // If another writer got there first, it already dropped these events (it read them as confirmed or published).
    await Promise.all([
      ...events.map((e) =>
        ctx.store.appendLog({
          runId: run.runId,
          at,
          direction: 'out',
          type: e.name,
          summary: summary(e),
          detail: e.detail,
          source: ctx.service,
        }),
      ),
      ctx.store.clearOutbox(run.runId, run.version),
    ]);
  }
  // Published or confirmed: the next write of this run carries an empty outbox.
  return { ...run, outbox: [] };
}

/** Writes a state change with its events, then publishes them. */
export async function commit(
  ctx: ServiceContext,
  run: RunRecord,
  changes: Partial<Omit<RunRecord, 'runId' | 'version'>>,
  events: Outgoing[],
): Promise<RunRecord> {
  const updated = await ctx.store.updateRun(run, { ...changes, outbox: events });
  return flushOutbox(ctx, updated);
}

export function elapsedMs(ctx: ServiceContext, run: RunRecord): number {
  return Math.max(0, ctx.now().getTime() - new Date(run.createdAt).getTime());
}

/**
 * Completes `step`: advances the routing slip and publishes the step's event (built from the new run
 * block). When the slip is finished, the run completes: RunCompleted, lock released.
 */
export async function completeStep(
  ctx: ServiceContext,
  run: RunRecord,
  step: StepName,
  build: (runBlock: RunBlock) => Outgoing,
  changes: Partial<Omit<RunRecord, 'runId' | 'version'>> = {},
): Promise<RunRecord> {
  const next = advance(run.run, step);
  const events = [build(next)];
  let status: RunStatus = run.status;
  if (next.next === null) {
    status = 'completed';
    const warnings = changes.warnings ?? run.warnings;
    events.push(
      event('RunCompleted', {
        run: next,
        durationMs: elapsedMs(ctx, run),
        snapshotIdentifier: run.names.restoreFrom ?? run.names.snapshot,
        warnings,
      }),
    );
  }
  return commit(ctx, run, { ...changes, run: next, status, expectation: null }, events);
}

/**
 * A forward step failed. Before the original is touched, the run fails at once; after, compensation
 * starts (RestoreFailed carries the compensation plan and routes to its first step).
 */
export async function failStep(
  ctx: ServiceContext,
  run: RunRecord,
  step: StepName,
  reason: string,
  errorCode?: string,
): Promise<RunRecord> {
  ctx.log.warn('step failed', { runId: run.runId, step, reason, errorCode });
  const compensation = compensationFor(run.run.plan, step);
  const failure = { step, reason, errorCode };
  if (compensation.length === 0) {
    const runBlock: RunBlock = { ...run.run, next: null };
    return commit(ctx, run, { run: runBlock, status: 'failed', failure, expectation: null }, [
      event('RestoreFailed', { run: runBlock, step, reason, errorCode, compensation: [] }),
      event('RunFailed', {
        run: runBlock,
        failedStep: step,
        reason,
        rolledBack: false,
        durationMs: elapsedMs(ctx, run),
      }),
    ]);
  }
  const runBlock = beginCompensation(run.run, step);
  return commit(ctx, run, { run: runBlock, status: 'rolling-back', failure, expectation: null }, [
    event('RestoreFailed', { run: runBlock, step, reason, errorCode, compensation }),
  ]);
}

/** The last compensation step finished: the original is back. RollbackCompleted, then RunFailed. */
export async function completeRollback(
  ctx: ServiceContext,
  run: RunRecord,
  step: StepName,
  restoredIdentifier: string,
): Promise<RunRecord> {
  const next = advance(run.run, step);
  const failure = run.failure ?? { step, reason: 'unknown failure' };
  if (next.next !== null) throw new Error(`run ${run.runId}: compensation step ${step} is not the last one`);
  return commit(ctx, run, { run: next, status: 'failed', expectation: null }, [
    event('RollbackCompleted', {
      run: next,
      failedStep: failure.step,
      reason: failure.reason,
      restoredIdentifier,
    }),
    event('RunFailed', {
      run: next,
      failedStep: failure.step,
      reason: failure.reason,
      rolledBack: true,
      durationMs: elapsedMs(ctx, run),
    }),
  ]);
}

/** Compensation itself failed: loud. RollbackFailed (what state, what to do), then RunFailed. */
export async function failRollback(
  ctx: ServiceContext,
  run: RunRecord,
  compensationStep: 'discard' | 'rename-back',
  reason: string,
  state: string,
  action: string,
): Promise<RunRecord> {
  ctx.log.error('rollback failed', { runId: run.runId, compensationStep, reason, state });
  const runBlock: RunBlock = { ...run.run, next: null };
  const failure = run.failure ?? { step: compensationStep, reason };
  return commit(ctx, run, { run: runBlock, status: 'rollback-failed', expectation: null }, [
    event('RollbackFailed', {
      run: runBlock,
      failedStep: failure.step,
      compensationStep,
      reason,
      state,
      action,
    }),
    event('RunFailed', {
      run: runBlock,
      failedStep: failure.step,
      reason: `${failure.reason}; rollback failed: ${reason}`,
      rolledBack: false,
      durationMs: elapsedMs(ctx, run),
    }),
  ]);
}

/** Records an incoming event in the run's timeline. */
export async function logIncoming(
  ctx: ServiceContext,
  runId: string,
  type: string,
  detail: unknown,
  source: string,
  summaryText?: string,
): Promise<void> {
  await ctx.store.appendLog({
    runId,
    at: ctx.now().toISOString(),
    direction: 'in',
    type,
    detail,
    source,
    summary: summaryText,
  });
}
