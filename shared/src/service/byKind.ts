import type { Kind } from '../contracts/run';
import type { RunRecord } from '../state/types';
import type { ServiceContext } from './context';
import { failStep } from './runs';
import type { StartStep } from './steps';
import type { WaitingStep } from './waiting';

/**
 * One step name, one implementation per kind of database (instance, cluster): the step's start and
 * its waiting step pick the implementation by `run.kind`, so a service keeps one WaitingStep per step.
 */

export function startByKind(starts: Record<Kind, StartStep>): StartStep {
  return (ctx, run, incoming) => starts[run.kind](ctx, run, incoming);
}

export function waitingByKind(steps: Record<Kind, WaitingStep>): WaitingStep {
  const { instance, cluster } = steps;
  if (instance.step !== cluster.step || (instance.confirmations ?? 1) !== (cluster.confirmations ?? 1)) {
    throw new Error(
      `waitingByKind: ${instance.step} and ${cluster.step} must name the same step with the same confirmations`,
    );
  }
  const pick = (run: RunRecord): WaitingStep => steps[run.kind];
  const fail = async (
    ctx: ServiceContext,
    run: RunRecord,
    reason: string,
    errorCode?: string,
  ): Promise<void> => {
    const step = pick(run);
    if (step.fail) return step.fail(ctx, run, reason, errorCode);
    await failStep(ctx, run, step.step, reason, errorCode);
  };
  return {
    step: instance.step,
    confirmations: instance.confirmations,
    probe: (ctx, run, expectation) => pick(run).probe(ctx, run, expectation),
    complete: (ctx, run, data) => pick(run).complete(ctx, run, data),
    fail,
  };
}
