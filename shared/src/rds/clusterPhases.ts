import type { StepName } from '../contracts/run';
import type { ServiceContext } from '../service/context';
import { markActed, shouldActAgain } from '../service/steps';
import { beginWait, type Probe, type WaitSpec } from '../service/waiting';
import type { ResourceKind, RunRecord } from '../state/types';
import { describeError, errorName, isRetryable } from './rdsErrors';

/**
 * A step over several resources (a cluster and its members): ordered phases, each a set of operations
 * started together. Every look decides from describe calls where each operation stands; an operation
 * is started once: the phase (and which operations of it were sent) is claimed by a conditional write
 * of the expectation BEFORE the calls, so concurrent looks (an RDS event and a deadline check) never
 * send a call twice. A call not confirmed after the act timeout is sent again (calls tolerate that).
 * The resources of the current phase are indexed and watched, so their RDS events trigger a look.
 */

export type OpState =
  | { state: 'todo'; status?: string }
  | { state: 'busy'; status: string }
  | { state: 'done' }
  | { state: 'failed'; reason: string; errorCode?: string };

export interface PhaseOp {
  kind: ResourceKind;
  name: string;
  /** What the call does, for messages: "rename cluster a to b". */
  label: string;
  look(): Promise<OpState>;
  act(): Promise<void>;
}

export type Phases = PhaseOp[][];

/** Where a phased step stands: every phase done (`complete`), or a probe outcome to report. */
export type PhaseOutcome = { state: 'complete'; run: RunRecord } | Probe;

const keyOf = (op: PhaseOp) => `${op.kind}:${op.name}`;

function describeOp(op: PhaseOp, s: OpState): string {
  if (s.state === 'busy') return `${op.name} ${s.status}`;
  if (s.state === 'todo') return `${op.name} to ${op.label}`;
  return `${op.name} ${s.state}`;
}

async function claim(
  ctx: ServiceContext,
  run: RunRecord,
  phase: number,
  ops: PhaseOp[],
  sent: string[],
): Promise<RunRecord> {
  const exp = run.expectation!;
  const now = ctx.now();
  const first = ops[0]!;
  const updated = await ctx.store.updateRun(run, {
    expectation: {
      ...exp,
      resourceKind: first.kind,
      resourceName: first.name,
      startedAt: now.toISOString(),
      acted: false,
      context: {
        ...exp.context,
        phase: String(phase),
        sent: sent.join(','),
        watch: ops.map((o) => o.name).join(','),
      },
    },
  });
  const ttl = Math.max(0, Math.round((new Date(exp.deadline).getTime() - now.getTime()) / 1000)) + 86_400;
  await Promise.all(
    ops.map((op) =>
      ctx.store.indexResource({ kind: op.kind, name: op.name, runId: run.runId, step: exp.step }, ttl, now),
    ),
  );
  return updated;
}

async function act(
  ctx: ServiceContext,
  run: RunRecord,
  step: StepName,
  ops: PhaseOp[],
): Promise<PhaseOutcome> {
  const results = await Promise.allSettled(ops.map((op) => op.act()));
  const errors = results.flatMap((r, i) =>
    r.status === 'rejected' ? [{ op: ops[i]!, err: r.reason as unknown }] : [],
  );
  const fatal = errors.find((e) => !isRetryable(e.err));
  if (fatal) {
    return {
      state: 'failed',
      reason: `${fatal.op.label} failed: ${describeError(fatal.err)}`,
      errorCode: errorName(fatal.err),
      run: (await ctx.store.getRun(run.runId)) ?? run,
    };
  }
  if (errors.length) {
    // Not accepted yet (throttling, transient): the next look after the act timeout sends it again.
    ctx.log.warn('call not accepted yet; it is sent again later', {
      runId: run.runId,
      step,
      error: errors[0]!.err,
    });
    return { state: 'waiting', status: `${errors[0]!.op.label}: ${describeError(errors[0]!.err)}`, run };
  }
  const acted = (await markActed(ctx, run, step)) ?? run;
  // Some operations have no RDS event for their end (a modification): the chain restarts at its first interval.
  return {
    state: 'waiting',
    status: `started: ${ops.map((o) => o.label).join('; ')}`,
    run: acted,
    recheck: true,
  };
}

/** One look at a phased step: completes phases, starts the next operations, or reports where it waits. */
export async function drivePhases(
  ctx: ServiceContext,
  run: RunRecord,
  phases: Phases,
): Promise<PhaseOutcome> {
  const exp = run.expectation;
  if (!exp) throw new Error(`run ${run.runId} waits on nothing`);
  const current = Number(exp.context?.phase ?? -1);
  const sent = new Set((exp.context?.sent ?? '').split(',').filter(Boolean));
  for (const [i, ops] of phases.entries()) {
    const states = await Promise.all(ops.map((op) => op.look()));
    const failed = states.find((s) => s.state === 'failed');
    if (failed) return failed;
    if (states.every((s) => s.state === 'done')) continue;
    const status = ops.map((op, j) => describeOp(op, states[j]!)).join('; ');
    const todo = ops.filter((_, j) => states[j]!.state === 'todo');
    if (i !== current) {
      const claimed = await claim(ctx, run, i, ops, todo.map(keyOf));
      return todo.length ? act(ctx, claimed, exp.step, todo) : { state: 'waiting', status, run: claimed };
    }
    const fresh = todo.filter((op) => !sent.has(keyOf(op)));
    if (fresh.length) {
      const claimed = await claim(ctx, run, i, ops, [...sent, ...fresh.map(keyOf)]);
      return act(ctx, claimed, exp.step, fresh);
    }
    if (todo.length && shouldActAgain(ctx, run)) {
      const claimed = await claim(ctx, run, i, ops, [...sent]);
      return act(ctx, claimed, exp.step, todo);
    }
    return { state: 'waiting', status };
  }
  return { state: 'complete', run };
}

/** Starts a phased step: records the expectation (first phase's resource, with `changes`), then makes the first look. */
export async function startPhases(
  ctx: ServiceContext,
  run: RunRecord,
  spec: Omit<WaitSpec, 'resourceKind' | 'resourceName'>,
  phases: Phases,
  changes: Partial<RunRecord> = {},
): Promise<PhaseOutcome> {
  const first = phases.flat()[0];
  const waiting = await beginWait(
    ctx,
    run,
    {
      ...spec,
      resourceKind: first?.kind ?? 'cluster',
      resourceName: first?.name ?? run.identifier,
      context: { ...spec.context, phase: '-1' },
    },
    changes,
  );
  return drivePhases(ctx, waiting, phases);
}
