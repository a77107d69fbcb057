import type { StepName } from '../contracts/run';
import type { RunRecord } from '../state/types';
import type { ServiceContext } from './context';
import { lookingOnce } from './lookOnce';
import { drivePhases, startPhases, type PhaseOutcome, type Phases } from './phases';
import { failRollback, failStep } from './runs';
import type { StartStep } from './steps';
import type { Probe, WaitingStep } from './waiting';

/**
 * The step protocol: the one way to define a step. A step has a name, a role, its operations as ordered
 * phases (each: look, act, what it waits for), an optional verification once every phase is done, and
 * the completion that emits its event. The role, not each step, decides how a failure is reported:
 * a forward step's failure starts compensation (`failStep`); a compensation step's failure is
 * `RollbackFailed` with the state of the database and the commands to fix it (`failRollback`); a
 * finishing step's failure undoes nothing (what the run did stands): the step completes with a warning
 * that says what is left and the commands to remove it, and the run goes on (cleanup). A whole-run step
 * (a DR run's layers) has nothing to compensate: its failure ends the run with its own report (`report`:
 * what moved, what did not, the commands), given by construction since the definition requires it.
 * Only RDS errors known to be permanent fail a step (see `isPermanentRdsError`); every other error fails
 * the message, which is delivered again.
 */

export type StepRole = 'forward' | 'compensation' | 'finishing' | 'whole-run';

/**
 * What a person must know when compensation fails (`RollbackFailed`), or what a finishing step left
 * behind (its warning): the state the database is in and what to do.
 */
export interface RollbackAdvice {
  state: string;
  action: string;
}

/**
 * What a step decided before its claim (`prepare`). Go on: `changes` are written with the claim (names
 * the step invents), and `phases`, built from what `prepare` saw, serve the first look (saving its
 * describe calls). Or finish: there is nothing to do, and the step completes at once (with a warning
 * when something is left for a person).
 */
export type Preparation =
  { changes?: Partial<RunRecord>; phases?: Phases } | { finish: { warning?: string } };

export interface StepDefinition {
  step: StepName;
  role: StepRole;
  /** What the operations bring their resources to, for messages and the index ("available", "deleted"). */
  target: string;
  deadlineSeconds(ctx: ServiceContext): number;
  /** Looks in a row that must find every phase done (a rename, which no RDS event confirms, needs two). */
  confirmations?: number;
  /**
   * Checks at this flat interval once the current phase's calls are sent (a rename in flight), instead of
   * backing off from `firstCheckSeconds`; the first check after the start comes after it too.
   */
  checkEverySeconds?(ctx: ServiceContext): number;
  /**
   * With several confirmations: a first look at the start that finds every phase done completes the step
   * at once. Nothing was sent, so there is nothing to confirm (a rename-back whose original never left
   * its name).
   */
  completeAtStart?: boolean;
  /** Before the claim, at the start only: whether there is anything to do, and what the claim records. */
  prepare?(ctx: ServiceContext, run: RunRecord): Promise<Preparation>;
  /** The operations for this run; the kind of database decides the list. */
  phases(ctx: ServiceContext, run: RunRecord): Phases | Promise<Phases>;
  /**
   * After every phase is done (`data`: what the looks learnt): `done` with the data for the event,
   * `failed`, or `waiting` (look again). Without it, the step completes with the looks' data.
   */
  verify?(ctx: ServiceContext, run: RunRecord, data: Record<string, unknown>): Promise<Probe>;
  /**
   * The step is done: its event and what the run records (`completeStep`, or the end of a rollback).
   * `warning`: it ended without doing its work (a finishing step that failed, or `prepare` finished it).
   */
  complete(
    ctx: ServiceContext,
    run: RunRecord,
    data: Record<string, unknown>,
    warning?: string,
  ): Promise<unknown>;
  /** A whole-run step: the run's terminal failure (what its resources look like now, the commands). */
  report?(ctx: ServiceContext, run: RunRecord, reason: string, errorCode?: string): Promise<unknown>;
  /** Compensation and finishing: where the database stands and what to do, for `RollbackFailed` or the warning. */
  advice?(ctx: ServiceContext, run: RunRecord): Promise<RollbackAdvice> | RollbackAdvice;
}

export interface DefinedStep {
  definition: StepDefinition;
  start: StartStep;
  wait: WaitingStep;
}

/** Reports a failure as the step's role says. */
async function fail(
  ctx: ServiceContext,
  def: StepDefinition,
  run: RunRecord,
  reason: string,
  errorCode?: string,
): Promise<void> {
  if (def.role === 'forward') {
    await failStep(ctx, run, def.step, reason, errorCode);
    return;
  }
  if (def.role === 'whole-run') {
    await def.report!(ctx, run, reason, errorCode);
    return;
  }
  if (!def.advice) throw new Error(`${def.role} step ${def.step} has no advice`);
  const advice = await def.advice(ctx, run);
  if (def.role === 'finishing') {
    await def.complete(ctx, run, {}, `${reason}; ${advice.state}; ${advice.action}`);
    return;
  }
  await failRollback(ctx, run, def.step as 'discard' | 'rename-back', reason, advice.state, advice.action);
}

/**
 * Turns the phases' outcome into a probe for `settle`: complete means verify, or a sighting when
 * confirmations are needed (unless `final`: nothing is left to confirm).
 */
async function asProbe(
  ctx: ServiceContext,
  def: StepDefinition,
  outcome: PhaseOutcome,
  final = false,
): Promise<Probe> {
  if (outcome.state !== 'complete') return outcome;
  if (!final && (def.confirmations ?? 1) > 1) return { state: 'seen-once', status: `${def.target}` };
  if (!def.verify) return { state: 'done', run: outcome.run, data: outcome.data };
  const verified = await def.verify(ctx, outcome.run, outcome.data);
  return 'run' in verified && verified.run ? verified : ({ ...verified, run: outcome.run } as Probe);
}

/** The start (claim, first look, calls) and the waiting step (RDS events, deadline checks) of a definition. */
export function defineStep(def: StepDefinition): DefinedStep {
  if ((def.confirmations ?? 1) > 1 && def.verify) {
    throw new Error(
      `step ${def.step}: a step confirmed by several looks has no verification (it completes on the last look)`,
    );
  }
  if (def.role === 'whole-run' && !def.report) {
    throw new Error(`whole-run step ${def.step} must report its failure (report)`);
  }
  if (def.role !== 'forward' && def.role !== 'whole-run' && !def.advice) {
    throw new Error(`${def.role} step ${def.step} must say what to do when it fails (advice)`);
  }
  const start: StartStep = async (stepCtx, run) => {
    const ctx = lookingOnce(stepCtx);
    const prepared: Preparation = (await def.prepare?.(ctx, run)) ?? {};
    if ('finish' in prepared) {
      await def.complete(ctx, run, {}, prepared.finish.warning);
      return;
    }
    const changes = prepared.changes ?? {};
    const phases = prepared.phases ?? (await def.phases(ctx, { ...run, ...changes }));
    const outcome = await startPhases(
      ctx,
      run,
      {
        step: def.step,
        target: def.target,
        deadlineSeconds: def.deadlineSeconds(ctx),
        firstCheckSeconds: def.checkEverySeconds?.(ctx),
      },
      phases,
      changes,
    );
    const latest = ('run' in outcome ? outcome.run : undefined) ?? (await ctx.store.getRun(run.runId)) ?? run;
    if (outcome.state === 'failed') return fail(ctx, def, latest, outcome.reason, outcome.errorCode);
    // Nothing to do (already done, e.g. a rename-back whose original never left): complete at once,
    // unless completion needs several looks in a row (the checks do them) and the step does not say otherwise.
    if (outcome.state === 'complete' && ((def.confirmations ?? 1) <= 1 || def.completeAtStart)) {
      const probe = await asProbe(ctx, def, outcome, true);
      if (probe.state === 'done') await def.complete(ctx, probe.run ?? latest, probe.data ?? {});
      if (probe.state === 'failed') await fail(ctx, def, probe.run ?? latest, probe.reason, probe.errorCode);
    }
  };
  const wait: WaitingStep = {
    step: def.step,
    confirmations: def.confirmations,
    checkSeconds: def.checkEverySeconds
      ? (ctx, run) => (run.expectation?.phase?.sent.length ? def.checkEverySeconds!(ctx) : undefined)
      : undefined,
    probe: async (stepCtx, run) => {
      const ctx = lookingOnce(stepCtx);
      return asProbe(ctx, def, await drivePhases(ctx, run, await def.phases(ctx, run)));
    },
    complete: async (ctx, run, data) => {
      await def.complete(ctx, run, data);
    },
    fail: (ctx, run, reason, errorCode) => fail(ctx, def, run, reason, errorCode),
  };
  return { definition: def, start, wait };
}
