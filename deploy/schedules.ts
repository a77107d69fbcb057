import { readFileSync } from 'node:fs';
import { RestoreRequested } from '@rewind/shared';
import { getAtt, logicalId, TARGET_RETRY_POLICY, type CfnResource } from './cfn';

/**
 * Scheduled runs (what Trapheus did with a CloudWatch Events rule): EventBridge Scheduler schedules that
 * put a `RestoreRequested` on the Rewind bus. Defined in a JSON file:
 *
 * { "schedules": [ { "name": "refresh-staging", "expression": "cron(0 3 ? * MON-FRI *)",
 *     "timezone": "Europe/Paris", "enabled": true, "description": "...",
 *     "request": { "identifier": "staging-db", "task": "db_restore", "isCluster": false } } ] }
 *
 * Each firing gets `requestId` `<name>/<scheduled time>`, so a retried delivery starts no second run.
 */
export interface ScheduleSpec {
  name: string;
  expression: string;
  timezone?: string;
  enabled?: boolean;
  description?: string;
  request: Record<string, unknown>;
}

export const SCHEDULER_SOURCE = 'rewind.scheduler';
const NAME = /^[A-Za-z0-9_.-]{1,40}$/;
const EXPRESSION = /^(cron\(.+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\)|at\(.+\))$/;

export class ScheduleConfigError extends Error {
  constructor(file: string, problem: string) {
    super(`Schedules in ${file}: ${problem}`);
    this.name = 'ScheduleConfigError';
  }
}

/** Validates schedules; each request must be a valid `RestoreRequested` (Rewind's own contract). */
export function parseSchedules(raw: unknown, file = 'schedules'): ScheduleSpec[] {
  const list = (raw as { schedules?: unknown } | null)?.schedules;
  if (!Array.isArray(list)) throw new ScheduleConfigError(file, 'expected { "schedules": [...] }');
  const seen = new Set<string>();
  return list.map((entry: ScheduleSpec, i) => {
    const where = `schedule #${i + 1}${entry?.name ? ` (${entry.name})` : ''}`;
    if (!entry || typeof entry.name !== 'string' || !NAME.test(entry.name)) {
      throw new ScheduleConfigError(file, `${where}: "name" must be 1-40 letters, digits, . _ -`);
    }
    if (seen.has(entry.name)) throw new ScheduleConfigError(file, `${where}: duplicate name`);
    seen.add(entry.name);
    if (typeof entry.expression !== 'string' || !EXPRESSION.test(entry.expression)) {
      throw new ScheduleConfigError(
        file,
        `${where}: "expression" must be cron(...), rate(N unit) or at(...)`,
      );
    }
    if (entry.request && 'requestId' in entry.request) {
      throw new ScheduleConfigError(file, `${where}: "requestId" is set per firing; leave it out`);
    }
    const checked = RestoreRequested.safeParse({
      ...entry.request,
      requestId: `${entry.name}/2024-01-01T00:00:00Z`,
    });
    if (!checked.success) {
      const issues = checked.error.issues.map((x) => `${x.path.join('.') || '(request)'}: ${x.message}`);
      throw new ScheduleConfigError(file, `${where}: invalid request: ${issues.join('; ')}`);
    }
    return entry;
  });
}

export function readSchedules(file: string | undefined): ScheduleSpec[] {
  if (!file) return [];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ScheduleConfigError(file, `cannot read the file: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ScheduleConfigError(file, `not JSON: ${(err as Error).message}`);
  }
  return parseSchedules(raw, file);
}

/**
 * CloudFormation for the schedules: a schedule group, one schedule each, the role Scheduler assumes to
 * put events on the bus, and a dead-letter queue for firings that could not be delivered.
 */
export function scheduleResources(
  schedules: ScheduleSpec[],
  refs: { prefix: string; busLogicalId: string; alarm: (queue: string) => CfnResource },
): Record<string, CfnResource> {
  if (!schedules.length) return {};
  const resources: Record<string, CfnResource> = {
    ScheduleGroup: {
      Type: 'AWS::Scheduler::ScheduleGroup',
      Properties: { Name: `${refs.prefix}-schedules` },
    },
    ScheduleDlq: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: `${refs.prefix}-schedules-dlq`,
        MessageRetentionPeriod: 1_209_600,
        SqsManagedSseEnabled: true,
      },
    },
    ScheduleDlqAlarm: refs.alarm('ScheduleDlq'),
    SchedulerRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        Description: 'EventBridge Scheduler: puts scheduled RestoreRequested events on the Rewind bus',
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'scheduler.amazonaws.com' },
              Action: 'sts:AssumeRole',
              Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
            },
          ],
        },
        Policies: [
          {
            PolicyName: 'put-restore-requests',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Action: ['events:PutEvents'],
                  Resource: getAtt(refs.busLogicalId, 'Arn'),
                  Condition: { StringEquals: { 'events:source': [SCHEDULER_SOURCE] } },
                },
                { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: getAtt('ScheduleDlq', 'Arn') },
              ],
            },
          },
        ],
      },
    },
  };
  for (const s of schedules) {
    const input = { ...s.request, requestId: `${s.name}/<aws.scheduler.scheduled-time>` };
    resources[`${logicalId(s.name)}Schedule`] = {
      Type: 'AWS::Scheduler::Schedule',
      Properties: {
        Name: s.name,
        GroupName: { Ref: 'ScheduleGroup' },
        Description: s.description ?? `Rewind: ${JSON.stringify(s.request)}`.slice(0, 512),
        ScheduleExpression: s.expression,
        ...(s.timezone ? { ScheduleExpressionTimezone: s.timezone } : {}),
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: s.enabled === false ? 'DISABLED' : 'ENABLED',
        Target: {
          Arn: getAtt(refs.busLogicalId, 'Arn'),
          RoleArn: getAtt('SchedulerRole', 'Arn'),
          Input: JSON.stringify(input),
          EventBridgeParameters: { DetailType: 'RestoreRequested', Source: SCHEDULER_SOURCE },
          RetryPolicy: TARGET_RETRY_POLICY,
          DeadLetterConfig: { Arn: getAtt('ScheduleDlq', 'Arn') },
        },
      },
    };
  }
  return resources;
}
