import type { StepName } from '../contracts/run';
import { describeError, errorName, isRdsError, isRetryable } from '../rds/rdsErrors';
import type { ResourceKind, RunRecord } from '../state/types';
import type { ServiceContext } from './context';
import { markActed, shouldActAgain } from './steps';
import { beginWait, type Probe, type WaitSpec } from './waiting';

/**
 * The operations of a step, in ordered phases: each phase a set of operations started together (an
 * instance step has one phase of one operation; a cluster step several). Every look decides from describe
 * calls where each operation stands; an operation is started once: the phase (and which operations of it
 * were sent) is claimed by a conditional write of the expectation BEFORE the calls, so concurrent looks
 * (an RDS event and a deadline check) never send a call twice. A call not confirmed after the act timeout
 * is sent again (calls tolerate that). The resources of the current phase are indexed and watched, so
 * their RDS events trigger a look.
 */

export type OpState =
  | { state: 'todo'; status?: string }
  | { state: 'busy'; status: string }
  /** `data`: what the look learnt that the step's event carries (an ARN, an endpoint). */
  | { state: 'done'; data?: Record<string, unknown> }
  | { state: 'failed'; reason: string; errorCode?: string };

export interface PhaseOp {
  kind: ResourceKind;
  name: string;
  /** `addressScope` of the resource's address when it is not at home (its RDS events are looked up there). */
  scope?: string;
  /** What the call does, for messages: "rename cluster a to b". */
  label: string;
  look(): Promise<OpState>;
  /**
   * The RDS call(s) that start the operation (and, at most, recording in the run what they answered):
   * its RDS errors are judged as RDS errors; any other error fails the message.
   */
  act(): Promise<void>;
  /**
   * RDS error codes that mean "not now" for this operation (another management operation is under way):
   * like throttling, the call is sent again after the act timeout, within the step's deadline.
   */
  notNow?: readonly string[];
}

export type Phases = PhaseOp[][];

/** Where a phased step stands: every phase done (`complete`, with what the looks learnt), or a probe outcome to report. */
export type PhaseOutcome = { state: 'complete'; run: RunRecord; data: Record<string, unknown> } | Probe;

const keyOf = (op: PhaseOp) => `${op.kind}:${op.name}`;

function describeOp(op: PhaseOp, s: OpState): string {
  if (s.state === 'busy') return `${op.name} ${s.status}`;
  if (s.state === 'todo') return `${op.name} to ${op.label}`;
  return `${op.name} ${s.state}`;
}

/** RDS error codes that carry no `Fault` suffix in the SDK. */
const RDS_PLAIN_CODES = new Set([
  'InvalidParameterValue',
  'InvalidParameterCombination',
  'AccessDenied',
  'DBInstanceNotFound',
  'DBSnapshotNotFound',
  'DBInstanceAlreadyExists',
  'DBSnapshotAlreadyExists',
  'InvalidDBInstanceState',
  'InvalidDBSnapshotState',
  'StorageQuotaExceeded',
  'SnapshotQuotaExceeded',
  'InstanceQuotaExceeded',
  'InsufficientDBInstanceCapacity',
  'InvalidRestore',
  'PointInTimeRestoreNotEnabled',
  'DBInstanceAutomatedBackupNotFound',
  'KMSKeyNotAccessible',
]);

/**
 * An error RDS answered and will answer again (a client error: not found, wrong state, quota, bad
 * parameter, access denied): the step fails. Throttling and 5xx are retried by the next look; anything
 * else (a network error, a DynamoDB or SQS error, a bug) fails the message, which SQS delivers again,
 * and never starts a rollback.
 */
export function isPermanentRdsError(err: unknown): boolean {
  if (isRetryable(err)) return false;
  const name = errorName(err);
  if (name.endsWith('Exception')) return false; // DynamoDB, SQS, EventBridge, KMS: not RDS's answer
  if (name.endsWith('Fault') || RDS_PLAIN_CODES.has(name)) return true;
  const e = err as { $fault?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return e?.$metadata !== undefined && e.$fault === 'client';
}

async function claim(
  ctx: ServiceContext,
  run: RunRecord,
  index: number,
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
      phase: { index, sent, watch: ops.map((o) => o.name) },
    },
  });
  const ttl = Math.max(0, Math.round((new Date(exp.deadline).getTime() - now.getTime()) / 1000)) + 86_400;
  await Promise.all(
    ops.map((op) =>
      ctx.store.indexResource(
        { kind: op.kind, name: op.name, scope: op.scope, runId: run.runId, step: exp.step },
        ttl,
        now,
      ),
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
  const later = (e: { op: PhaseOp; err: unknown }) =>
    isRetryable(e.err) || (e.op.notNow ?? []).some((code) => isRdsError(e.err, code));
  const fatal = errors.find((e) => !later(e) && isPermanentRdsError(e.err));
  if (fatal) {
    return {
      state: 'failed',
      reason: `${fatal.op.label} failed: ${describeError(fatal.err)}`,
      errorCode: errorName(fatal.err),
      run: (await ctx.store.getRun(run.runId)) ?? run,
    };
  }
  const unknown = errors.find((e) => !later(e));
  if (unknown) throw unknown.err;
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
  const current = exp.phase?.index ?? -1;
  const sent = new Set(exp.phase?.sent ?? []);
  const data: Record<string, unknown> = {};
  for (const [i, ops] of phases.entries()) {
    const states = await Promise.all(ops.map((op) => op.look()));
    const failed = states.find((s) => s.state === 'failed');
    if (failed) return failed;
    if (states.every((s) => s.state === 'done')) {
      for (const s of states) if (s.state === 'done') Object.assign(data, s.data);
      continue;
    }
    // One operation: its status alone (the awaited resource names it); several: each named.
    const only = ops.length === 1 ? states[0]! : undefined;
    const status =
      only?.state === 'busy' ? only.status : ops.map((op, j) => describeOp(op, states[j]!)).join('; ');
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
  return { state: 'complete', run, data };
}

/**
 * Starts a phased step: records the expectation (the claim, with `changes`), then makes the first look
 * alongside the resource index entry and the first deadline check (see `beginWait`).
 */
export async function startPhases(
  ctx: ServiceContext,
  run: RunRecord,
  spec: Omit<WaitSpec, 'resourceKind' | 'resourceName'>,
  phases: Phases,
  changes: Partial<RunRecord> = {},
): Promise<PhaseOutcome> {
  const first = phases.flat()[0];
  let outcome: PhaseOutcome | undefined;
  await beginWait(
    ctx,
    run,
    { ...spec, resourceKind: first?.kind ?? run.kind, resourceName: first?.name ?? run.identifier },
    changes,
    async (claimed) => {
      outcome = await drivePhases(ctx, claimed, phases);
    },
  );
  return outcome!;
}
