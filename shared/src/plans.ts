import type {
  CompensationStepName,
  ForwardStepName,
  RunBlock,
  StepName,
  Strategy,
  Task,
} from './contracts/run';
import { RewindError } from './errors';

/** The routing slip for a task and strategy (design: "Routing slip"). */
export function planFor(task: Task, strategy: Strategy): ForwardStepName[] {
  if (task === 'create_snapshot_only') return ['snapshot'];
  // A clone restores under a new name: the source is never renamed, modified or deleted.
  if (task === 'clone') return ['restore-new'];
  const snapshot: ForwardStepName[] = task === 'create_snapshot' ? ['snapshot'] : [];
  if (strategy === 'in-place') return [...snapshot, 'set-aside', 'restore', 'cleanup'];
  // Swap: the copy is restored beside the original, then two renames exchange their names.
  return [...snapshot, 'restore-beside', 'set-aside', 'take-name', 'cleanup'];
}

export class StepMismatchError extends RewindError {
  constructor(run: RunBlock, step: StepName) {
    super(
      'StepMismatch',
      `run ${run.id} expects step ${run.next ?? '(none: finished)'} next, not ${step}; the message is stale or duplicated`,
    );
  }
}

/** The run block after `step` completed: `next` moves to the following step of the plan, or null. */
export function advance(run: RunBlock, step: StepName): RunBlock {
  if (run.next !== step) throw new StepMismatchError(run, step);
  const index = run.plan.indexOf(step);
  const next = run.plan[index + 1] ?? null;
  return { ...run, next };
}

/** The first step of a new run. */
export function startRun(run: Omit<RunBlock, 'next'>): RunBlock {
  return { ...run, next: run.plan[0] ?? null };
}

/**
 * Compensation needed when `failed` fails, given the forward steps already completed.
 * In-place: anything after the original was set aside must discard what was half restored and
 * rename the original back. Swap: the original keeps its name until set-aside, so a failed
 * restore-beside only discards the staging copy; a failed set-aside puts the original back first (the
 * name is what clients need) and then discards the copy; a failed take-name first discards the copy
 * (wherever it is: it may hold the name already), then renames the original back. Once take-name is
 * done the copy serving under the name is the outcome: a failed cleanup undoes nothing.
 */
export function compensationFor(plan: readonly StepName[], failed: StepName): CompensationStepName[] {
  const swap = plan.includes('restore-beside');
  switch (failed) {
    case 'snapshot':
    case 'cleanup':
    case 'failover':
    case 'failback':
    case 'discard':
    case 'rename-back':
      return [];
    case 'set-aside':
      // The rename may have half happened: rename-back checks and does nothing if the name is intact.
      return swap ? ['rename-back', 'discard'] : ['rename-back'];
    case 'restore':
    case 'take-name':
      return ['discard', 'rename-back'];
    case 'restore-beside':
    case 'restore-new':
      return ['discard'];
  }
}

/** The run block for compensation: the plan gains the compensation steps, next is the first of them. */
export function beginCompensation(run: RunBlock, failed: StepName): RunBlock {
  const steps = compensationFor(run.plan, failed);
  const forward = run.plan.filter((s) => !(['discard', 'rename-back'] as StepName[]).includes(s));
  return { ...run, plan: [...forward, ...steps], next: steps[0] ?? null };
}

/** Whether the original database has been touched (renamed) by the time `step` runs. */
export function isAfterSetAside(run: RunBlock, step: StepName): boolean {
  const setAside = run.plan.indexOf('set-aside');
  return setAside >= 0 && run.plan.indexOf(step) >= setAside;
}
