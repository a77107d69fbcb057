import type { ScheduleSpec } from './schedules';
import { replicationExpressions, type ReplicationPolicy } from './replication';
import { policyExpressions, type SnapshotPolicy } from './snapshotPolicies';

/**
 * The EventBridge Scheduler schedules a policy file asks for, in one form both the deployment
 * (CloudFormation) and the local cloud (the Scheduler API) create: scheduled runs put a
 * `RestoreRequested`, snapshot policies a `SnapshotPolicyFired` carrying the policy.
 */
export const SCHEDULER_SOURCE = 'rewind.scheduler';
/** EventBridge Scheduler's context attribute, replaced at each firing by its scheduled time. */
export const SCHEDULED_TIME = '<aws.scheduler.scheduled-time>';

export interface SchedulerSchedule {
  name: string;
  expression: string;
  timezone?: string;
  enabled: boolean;
  description: string;
  detailType: 'RestoreRequested' | 'SnapshotPolicyFired' | 'ReplicationRequested';
  /** The event's detail, with `<aws.scheduler.scheduled-time>` where the firing's time goes. */
  input: string;
}

export function policyScheduleNames(policy: SnapshotPolicy): { snapshot: string[]; prune?: string } {
  const expressions = policyExpressions(policy);
  return {
    snapshot: expressions.map((_, i) =>
      expressions.length === 1 ? `snapshot-${policy.name}` : `snapshot-${policy.name}-${i + 1}`,
    ),
    prune: policy.pruneSchedule ? `prune-${policy.name}` : undefined,
  };
}

/** A replication policy's schedule names (`replicate-<policy>[-<n>]`). */
export function replicationScheduleNames(policy: ReplicationPolicy): string[] {
  const expressions = replicationExpressions(policy);
  return expressions.map((_, i) =>
    expressions.length === 1 ? `replicate-${policy.name}` : `replicate-${policy.name}-${i + 1}`,
  );
}

/**
 * The schedules of a policy file. Replication policies fire in their source account only: with
 * `accountId`, those of other source accounts are left out (the same file is deployed in every account);
 * without it, all are listed (validation, `rewind schedules`).
 */
export function schedulerSchedules(
  config: {
    schedules: ScheduleSpec[];
    snapshotPolicies: SnapshotPolicy[];
    replication?: ReplicationPolicy[];
  },
  accountId?: string,
): SchedulerSchedule[] {
  const runs = config.schedules.map((s): SchedulerSchedule => ({
    name: s.name,
    expression: s.expression,
    timezone: s.timezone,
    enabled: s.enabled !== false,
    description: (s.description ?? `Rewind: ${JSON.stringify(s.request)}`).slice(0, 512),
    detailType: 'RestoreRequested',
    input: JSON.stringify({ ...s.request, requestId: `${s.name}/${SCHEDULED_TIME}` }),
  }));
  const policies = config.snapshotPolicies.flatMap((policy) => {
    const names = policyScheduleNames(policy);
    const fired = (action: 'snapshot' | 'prune') =>
      JSON.stringify({ policy, scheduledTime: SCHEDULED_TIME, action });
    const common = {
      timezone: policy.timezone,
      enabled: policy.enabled,
      detailType: 'SnapshotPolicyFired' as const,
    };
    const list: SchedulerSchedule[] = policyExpressions(policy).map((expression, i) => ({
      ...common,
      name: names.snapshot[i]!,
      expression,
      description: (policy.description ?? `Rewind snapshot policy ${policy.name}`).slice(0, 512),
      input: fired('snapshot'),
    }));
    if (names.prune && policy.pruneSchedule) {
      list.push({
        ...common,
        name: names.prune,
        expression: policy.pruneSchedule,
        description: `Rewind snapshot policy ${policy.name}: retention only`,
        input: fired('prune'),
      });
    }
    return list;
  });
  const replication = (config.replication ?? [])
    .filter((policy) => accountId === undefined || policy.source.account === accountId)
    .flatMap((policy) => {
      const names = replicationScheduleNames(policy);
      return replicationExpressions(policy).map((expression, i): SchedulerSchedule => ({
        name: names[i]!,
        expression,
        timezone: policy.timezone,
        enabled: policy.enabled,
        description: (policy.description ?? `Rewind replication ${policy.name}`).slice(0, 512),
        detailType: 'ReplicationRequested',
        input: JSON.stringify({ policy: policy.name, scheduledTime: SCHEDULED_TIME }),
      }));
    });
  return [...runs, ...policies, ...replication];
}

/** Scheduler's Target.Input limit (characters). */
export const SCHEDULER_INPUT_MAX = 8192;

/** Names used twice across sections, and inputs too long for Scheduler: "where: problem" lines. */
export function scheduleConflicts(schedules: SchedulerSchedule[]): string[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const s of schedules) {
    if (seen.has(s.name)) {
      problems.push(
        `${s.name}: two schedules would have this name (scheduled runs, snapshot policies and replication policies share one list of names); rename one`,
      );
    }
    seen.add(s.name);
    if (s.input.length > SCHEDULER_INPUT_MAX) {
      problems.push(
        `${s.name}: the firing's input is ${s.input.length} characters, above Scheduler's ${SCHEDULER_INPUT_MAX}; shorten the policy (fewer identifiers: select by tag)`,
      );
    }
  }
  return problems;
}
