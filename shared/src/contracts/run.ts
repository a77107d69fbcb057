import { z } from 'zod';
import { identifierSchema } from './identifier';

export const TASKS = ['create_snapshot', 'db_restore', 'create_snapshot_only', 'clone'] as const;
export const STRATEGIES = ['in-place', 'swap'] as const;
export const KINDS = ['instance', 'cluster'] as const;
/** Disaster recovery runs (services/failover): their direction is the run's task, their mode its strategy. */
export const DR_DIRECTIONS = ['failover', 'failback'] as const;
export const DR_MODES = ['planned', 'unplanned'] as const;
const RUN_TASKS = [...TASKS, ...DR_DIRECTIONS] as const;
const RUN_STRATEGIES = [...STRATEGIES, ...DR_MODES] as const;
export const FORWARD_STEPS = [
  'snapshot',
  'set-aside',
  'restore',
  'restore-beside',
  'take-name',
  'cleanup',
  'restore-new',
  // A DR run's one step: its layers, in order (services/failover).
  'failover',
  'failback',
] as const;
export const COMPENSATION_STEPS = ['discard', 'rename-back'] as const;
export const STEPS = [...FORWARD_STEPS, ...COMPENSATION_STEPS] as const;

export const taskSchema = z.enum(TASKS, {
  error: `task must be one of ${TASKS.join(', ')}`,
});
export const strategySchema = z.enum(STRATEGIES, {
  error: `strategy must be one of ${STRATEGIES.join(', ')}`,
});
export const kindSchema = z.enum(KINDS);
export const forwardStepSchema = z.enum(FORWARD_STEPS);
export const compensationStepSchema = z.enum(COMPENSATION_STEPS);
export const stepSchema = z.enum(STEPS);

export type Task = z.infer<typeof taskSchema>;
export type Strategy = z.infer<typeof strategySchema>;
export type Kind = z.infer<typeof kindSchema>;
export type ForwardStepName = z.infer<typeof forwardStepSchema>;
export type CompensationStepName = z.infer<typeof compensationStepSchema>;
export type StepName = z.infer<typeof stepSchema>;
export const drDirectionSchema = z.enum(DR_DIRECTIONS, {
  error: `direction must be one of ${DR_DIRECTIONS.join(', ')}`,
});
export const drModeSchema = z.enum(DR_MODES, { error: `mode must be one of ${DR_MODES.join(', ')}` });
export type DrDirection = z.infer<typeof drDirectionSchema>;
export type DrMode = z.infer<typeof drModeSchema>;
/** What a run does: a restore task, or a DR direction. */
export type RunTask = (typeof RUN_TASKS)[number];
/** How: a restore strategy, or a DR mode. */
export type RunStrategy = (typeof RUN_STRATEGIES)[number];

/** The routing slip every choreography event carries. */
export const runBlockSchema = z.object({
  id: z.string().min(1),
  identifier: identifierSchema,
  kind: kindSchema,
  /** A restore task, or a DR run's direction. */
  task: z.enum(RUN_TASKS),
  /** A restore strategy, or a DR run's mode. */
  strategy: z.enum(RUN_STRATEGIES),
  /** Ordered steps; compensation steps are appended after a failure. */
  plan: z.array(stepSchema).min(1),
  /** The step to perform next, or null when the run has nothing left to do. */
  next: stepSchema.nullable(),
});
export type RunBlock = z.infer<typeof runBlockSchema>;
