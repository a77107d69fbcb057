import type { StepName } from '../contracts/run';
import type { Expectation, ResourceKind, RunRecord } from '../state/types';
import { sendToOwnInbox, type ServiceContext } from './context';
import { failStep } from './runs';

/**
 * Waiting on RDS without polling (design: "Waiting on RDS without polling"). A step that starts an
 * RDS operation records an expectation and indexes the resource, then returns. Completion comes from
 * the matching RDS event (through the resource index) or from a deadline check: a delayed message to
 * the service's own inbox that makes one describe call, re-arms with backoff, and fails the step once
 * the deadline passes. Whichever comes first wins; the other finds the step done.
 */

export const CHECK_KIND = 'rewind.check';

/** A deadline check message, sent by a service to its own inbox. */
export interface DeadlineCheck {
  kind: typeof CHECK_KIND;
  runId: string;
  step: StepName;
  /** Must equal the expectation's `checks`; an older chain is dropped. */
  seq: number;
}

export function isDeadlineCheck(body: unknown): body is DeadlineCheck {
  const b = body as Partial<DeadlineCheck> | undefined;
  return b?.kind === CHECK_KIND && typeof b.runId === 'string' && typeof b.step === 'string';
}

/** `run` on any state: the probe itself wrote the run, and later writes must build on it. */
export type Probe =
  | { state: 'done'; data?: Record<string, unknown>; run?: RunRecord }
  /**
   * `run` when the probe itself wrote the run (later writes must build on it). `recheck`: the probe
   * started something with no RDS event for its end (a modification): look again soon, with a new chain.
   */
  | { state: 'waiting'; status?: string; run?: RunRecord; recheck?: boolean }
  /** The target state was seen once; another look after `confirmSeconds` makes it done. */
  | { state: 'seen-once'; status?: string }
  | { state: 'failed'; reason: string; errorCode?: string; run?: RunRecord };

export interface WaitSpec {
  step: StepName;
  resourceKind: ResourceKind;
  resourceName: string;
  target: string;
  deadlineSeconds: number;
  context?: Record<string, string>;
  /** The first check after this many seconds instead of `firstCheckSeconds` (a rename, sent by the first look). */
  firstCheckSeconds?: number;
}

export interface WaitingStep {
  step: StepName;
  /** Describe calls that decide where the awaited operation stands. */
  probe(ctx: ServiceContext, run: RunRecord, expectation: Expectation): Promise<Probe>;
  /** The awaited state is reached: publish and advance (conditional write). */
  complete(ctx: ServiceContext, run: RunRecord, data: Record<string, unknown>): Promise<void>;
  /** The operation failed or its deadline passed. Defaults to failStep. */
  fail?(ctx: ServiceContext, run: RunRecord, reason: string, errorCode?: string): Promise<void>;
  /** Confirmations needed before done (a rename needs two describe calls in a row). */
  confirmations?: number;
  /**
   * A flat interval between checks instead of the backoff, while it applies (undefined: back off). A
   * rename in flight is checked often: it emits no RDS event, and its end is when the name serves again.
   */
  checkSeconds?(ctx: ServiceContext, run: RunRecord): number | undefined;
}

function checkDelay(ctx: ServiceContext, seq: number): number {
  const { firstCheckSeconds, maxCheckSeconds } = ctx.config.wait;
  return Math.round(Math.min(maxCheckSeconds, firstCheckSeconds * 2 ** seq));
}

export async function sendCheck(
  ctx: ServiceContext,
  check: Omit<DeadlineCheck, 'kind'>,
  delaySeconds: number,
) {
  await sendToOwnInbox(ctx, { kind: CHECK_KIND, ...check }, delaySeconds);
}

/**
 * Records what the step now waits for (in the same conditional write as `changes`): that write is the
 * claim, and the step's RDS call (`act`) comes only after it, so a crash after the call still leaves
 * the run waiting rather than lost. The resource index entry and the first deadline check are written
 * alongside the call: the call's completion is minutes away in AWS, and if either write fails the
 * handler fails, the trigger comes back, and `rearmWait` restarts the check chain.
 */
export async function beginWait(
  ctx: ServiceContext,
  run: RunRecord,
  spec: WaitSpec,
  changes: Partial<RunRecord> = {},
  act?: (claimed: RunRecord) => Promise<unknown>,
): Promise<RunRecord> {
  const now = ctx.now();
  const previous = run.expectation?.step === spec.step ? run.expectation.checks : -1;
  const expectation: Expectation = {
    step: spec.step,
    resourceKind: spec.resourceKind,
    resourceName: spec.resourceName,
    target: spec.target,
    deadline: new Date(now.getTime() + spec.deadlineSeconds * 1000).toISOString(),
    startedAt: now.toISOString(),
    checks: previous + 1,
    backoffFrom: previous + 1,
    confirmations: 0,
    context: spec.context,
  };
  const updated = await ctx.store.updateRun(run, { ...changes, expectation });
  const outcomes = await Promise.allSettled([
    ctx.store.indexResource(
      { kind: spec.resourceKind, name: spec.resourceName, runId: run.runId, step: spec.step },
      spec.deadlineSeconds + 86_400,
      now,
    ),
    sendCheck(
      ctx,
      { runId: run.runId, step: spec.step, seq: expectation.checks },
      spec.firstCheckSeconds ?? checkDelay(ctx, 0),
    ),
    act?.(updated),
  ]);
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
  return updated;
}

/**
 * A step's trigger came again while the step is under way: a duplicate delivery, or the redelivery of
 * a message whose handler failed after the claim (before its deadline check was armed). Either way a
 * check now keeps the wait alive; it carries the current sequence number, so of two live chains the
 * first to re-arm wins and the other is dropped as stale.
 */
export async function rearmWait(ctx: ServiceContext, run: RunRecord): Promise<void> {
  const exp = run.expectation;
  if (!exp) return;
  await sendCheck(ctx, { runId: run.runId, step: exp.step, seq: exp.checks }, checkDelay(ctx, 0));
}

/**
 * Looks at an awaited operation once, triggered by an RDS event (`check` undefined) or a deadline
 * check. Completes, fails, or keeps waiting (re-arming the check chain when triggered by a check).
 */
export async function settle(
  ctx: ServiceContext,
  run: RunRecord,
  step: WaitingStep,
  check?: DeadlineCheck,
): Promise<'done' | 'failed' | 'waiting' | 'stale'> {
  if (!run.expectation || run.expectation.step !== step.step || run.run.next !== step.step) return 'stale';
  let exp = run.expectation;
  if (check && check.seq !== exp.checks) return 'stale';
  const probe = await step.probe(ctx, run, exp);
  const fail =
    step.fail ?? ((c, r, reason, code) => failStep(c, r, step.step, reason, code).then(() => undefined));
  if (probe.state === 'done') {
    await step.complete(ctx, probe.run ?? run, probe.data ?? {});
    return 'done';
  }
  if (probe.state === 'failed') {
    await fail(ctx, probe.run ?? run, probe.reason, probe.errorCode);
    return 'failed';
  }
  if (probe.state === 'waiting' && probe.run?.expectation) {
    run = probe.run;
    exp = probe.run.expectation!;
  }
  const needed = step.confirmations ?? 1;
  const confirmations = probe.state === 'seen-once' ? (exp.confirmations ?? 0) + 1 : 0;
  if (probe.state === 'seen-once' && confirmations >= needed) {
    await step.complete(ctx, run, {});
    return 'done';
  }
  const now = ctx.now();
  if (now.getTime() > new Date(exp.deadline).getTime()) {
    const waited = Math.round((now.getTime() - new Date(exp.startedAt).getTime()) / 1000);
    await fail(
      ctx,
      run,
      `${exp.resourceName} did not become ${exp.target} within its deadline (${waited} s; last status: ${probe.status ?? 'unknown'})`,
      'DeadlinePassed',
    );
    return 'failed';
  }
  // Re-arm: a check keeps its own chain going; a sighting restarts the chain with a short confirm delay;
  // a probe that started something without an end event restarts it from the first interval.
  const recheck = probe.state === 'waiting' && probe.recheck === true;
  if (check || recheck || confirmations !== (exp.confirmations ?? 0)) {
    const seq = exp.checks + 1;
    const backoffFrom = recheck ? seq : exp.backoffFrom;
    await ctx.store.updateRun(run, { expectation: { ...exp, checks: seq, confirmations, backoffFrom } });
    const delay =
      confirmations > 0
        ? ctx.config.wait.confirmSeconds
        : (step.checkSeconds?.(ctx, run) ??
          checkDelay(ctx, check && !recheck ? check.seq + 1 - (exp.backoffFrom ?? 0) : 0));
    await sendCheck(ctx, { runId: run.runId, step: step.step, seq }, delay);
  }
  return 'waiting';
}
