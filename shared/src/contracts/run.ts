import { z } from 'zod';
import { identifierSchema } from './identifier';

export const TASKS = ['create_snapshot', 'db_restore', 'create_snapshot_only'] as const;
export const STRATEGIES = ['in-place', 'swap'] as const;
export const KINDS = ['instance', 'cluster'] as const;
export const FORWARD_STEPS = [
  'snapshot',
  'set-aside',
  'restore',
  'restore-beside',
  'take-name',
  'cleanup',
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

/** The routing slip every choreography event carries. */
export const runBlockSchema = z.object({
  id: z.string().min(1),
  identifier: identifierSchema,
  kind: kindSchema,
  task: taskSchema,
  strategy: strategySchema,
  /** Ordered steps; compensation steps are appended after a failure. */
  plan: z.array(stepSchema).min(1),
  /** The step to perform next, or null when the run has nothing left to do. */
  next: stepSchema.nullable(),
});
export type RunBlock = z.infer<typeof runBlockSchema>;
