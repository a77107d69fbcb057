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
  const snapshot: ForwardStepName[] = task === 'create_snapshot' ? ['snapshot'] : [];
  if (strategy === 'in-place') return [...snapshot, 'set-aside', 'restore', 'cleanup'];
  return [...snapshot, 'restore-beside', 'set-aside', 'promote', 'cleanup'];
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
 * rename the original back. Swap: the original keeps its name until set-aside.
 */
export function compensationFor(plan: readonly StepName[], failed: StepName): CompensationStepName[] {
  const has = (s: StepName) => plan.includes(s);
  const swap = has('restore-beside');
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
      return ['discard', 'rename-back'];
    case 'restore-beside':
      return ['discard'];
    case 'promote':
      return ['discard', 'rename-back'];
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
