import { addressScope } from '../contracts/address';
import type { EventInput, EventName } from '../contracts/events';
import type { RunBlock, StepName } from '../contracts/run';
import type { OutgoingEvent } from '../bus/publisher';
import { advance, beginCompensation, compensationFor } from '../plans';
import { TERMINAL_STATUSES, type RunRecord, type RunStatus } from '../state/types';
import { sendToOwnInbox, type ServiceContext } from './context';

/**
 * Run lifecycle shared by the services. Every state change is one conditional write that also
 * stores the events it produces (the outbox); the events are published after the write and removed
 * from the outbox. A crash in between leaves them there, and they are published later, so an event is
 * never lost and a step never runs twice.
 */

/** An outbox entry; `at` is when it was written (entries from before it was recorded count as old). */
type Outgoing = { name: EventName; detail: Record<string, unknown>; at?: string };

/**
 * How long an outbox entry belongs to the handler that wrote it. That handler publishes it at once; a
 * handler that finds it younger than this leaves it alone (publishing it too would send a duplicate)
 * but keeps it in the outbox. Only if the writer failed is an entry left this long: the writer's
 * message then comes back after the inbox's visibility timeout (longer than this) and publishes it.
 */
export const OUTBOX_GRACE_SECONDS = 60;

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
 * Publishes `due` (entries of `run`'s outbox), leaves `keep` in the outbox, and releases the lock of
 * a finished run. The outbox is rewritten without bumping the version (concurrent writers are not
 * disturbed); if another writer got there first, its write carried the entries it still had to keep.
 */
async function publishDue(
  ctx: ServiceContext,
  run: RunRecord,
  due: Outgoing[],
  keep: Outgoing[],
): Promise<RunRecord> {
  // Released before the terminal event goes out: whoever reacts to RunCompleted may start the next run.
  if (TERMINAL_STATUSES.includes(run.status) && run.status !== 'rejected') {
    const scope = run.target ? addressScope(run.target, ctx.config.home) : '';
    await Promise.all([
      ctx.store.releaseLock(run.kind, run.identifier, run.runId, scope),
      ...(run.locks ?? []).map((l) => ctx.store.releaseLock(l.kind, l.identifier, run.runId, l.scope)),
    ]);
  }
  if (due.length) {
    await ctx.publisher.publishAll(due.map(({ name, detail }) => ({ name, detail })) as OutgoingEvent[]);
    const at = ctx.now().toISOString();
    await Promise.all([
      ...due.map((e) =>
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
      ctx.store.setOutbox(run.runId, run.version, keep),
    ]);
  }
  return { ...run, outbox: keep };
}

/**
 * Publishes what another handler left in the run's outbox once it is due (older than the grace
 * period), and releases the lock of a finished run. `confirmed` names events known to be published
 * (the message being handled is one of them); they are dropped. Younger entries stay in the returned
 * run's outbox, so the next write carries them.
 */
export async function flushOutbox(
  ctx: ServiceContext,
  run: RunRecord,
  confirmed: string[] = [],
): Promise<RunRecord> {
  const now = ctx.now().getTime();
  const open = ((run.outbox ?? []) as Outgoing[]).filter((e) => !confirmed.includes(e.name));
  const ageMs = (e: Outgoing) => (e.at ? now - Date.parse(e.at) : Infinity);
  const isDue = (e: Outgoing) => ageMs(e) >= OUTBOX_GRACE_SECONDS * 1000;
  const young = open.filter((e) => !isDue(e));
  if (young.length > 0) {
    // Whatever happened to the writer, a look once the oldest is due publishes it (or finds it gone).
    const oldest = Math.max(...young.map(ageMs));
    await sendFlush(ctx, run.runId, OUTBOX_GRACE_SECONDS - Math.floor(oldest / 1000));
  }
  return publishDue(ctx, run, open.filter(isDue), young);
}

export const FLUSH_KIND = 'rewind.flush';

/** A message a service sends to its own inbox: look at a run's outbox again later. */
export interface FlushRequest {
  kind: typeof FLUSH_KIND;
  runId: string;
}

export function isFlushRequest(body: unknown): body is FlushRequest {
  const b = body as Partial<FlushRequest> | undefined;
  return b?.kind === FLUSH_KIND && typeof b.runId === 'string';
}

async function sendFlush(ctx: ServiceContext, runId: string, delaySeconds: number): Promise<void> {
  await sendToOwnInbox(ctx, { kind: FLUSH_KIND, runId } satisfies FlushRequest, Math.max(1, delaySeconds));
}

/** Publishes the whole outbox of a run this handler has just created (its own entries). */
export async function publishCreated(ctx: ServiceContext, run: RunRecord): Promise<RunRecord> {
  return publishDue(ctx, run, (run.outbox ?? []) as Outgoing[], []);
}

/** Writes a state change with its events (keeping entries still pending in the outbox), then publishes them. */
export async function commit(
  ctx: ServiceContext,
  run: RunRecord,
  changes: Partial<Omit<RunRecord, 'runId' | 'version'>>,
  events: Outgoing[],
): Promise<RunRecord> {
  const at = ctx.now().toISOString();
  const own = events.map((e) => ({ ...e, at }));
  const pending = (run.outbox ?? []) as Outgoing[];
  const updated = await ctx.store.updateRun(run, { ...changes, outbox: [...pending, ...own] });
  return publishDue(ctx, updated, own, pending);
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
        restoreTime: run.pointInTime?.time,
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
