import {
  SCHEDULER_SOURCE,
  schedulerSchedules,
  type ScheduleSpec,
  type SchedulerSchedule,
} from '@rewind/shared';
import { getAtt, logicalId, TARGET_RETRY_POLICY, type CfnResource } from './cfn';

/**
 * EventBridge Scheduler schedules from the policy file (`shared/src/policies/`): scheduled runs put a
 * `RestoreRequested` on the Rewind bus (what Trapheus did with a CloudWatch Events rule), snapshot
 * policies a `SnapshotPolicyFired`. Each firing's `<aws.scheduler.scheduled-time>` is filled in by
 * Scheduler: a scheduled run's `requestId` is `<name>/<scheduled time>`, so a retried delivery starts no
 * second run; a policy's firing is one job per database and scheduled time.
 */

/**
 * CloudFormation for the schedules: a schedule group, one schedule each, the role Scheduler assumes to
 * put events on the bus, and a dead-letter queue for firings that could not be delivered.
 */
export function scheduleResources(
  given: (SchedulerSchedule | ScheduleSpec)[],
  refs: { prefix: string; busLogicalId: string; alarm: (queue: string) => CfnResource },
): Record<string, CfnResource> {
  // A scheduled run's spec as the policy file holds it is accepted too (the local cloud's role builder).
  const schedules = given.map((s) =>
    'request' in s ? schedulerSchedules({ schedules: [s], snapshotPolicies: [] })[0]! : s,
  );
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
        Description:
          'EventBridge Scheduler: puts scheduled RestoreRequested and SnapshotPolicyFired events on the Rewind bus',
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
    resources[`${logicalId(s.name)}Schedule`] = {
      Type: 'AWS::Scheduler::Schedule',
      Properties: {
        Name: s.name,
        GroupName: { Ref: 'ScheduleGroup' },
        Description: s.description,
        ScheduleExpression: s.expression,
        ...(s.timezone ? { ScheduleExpressionTimezone: s.timezone } : {}),
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: s.enabled ? 'ENABLED' : 'DISABLED',
        Target: {
          Arn: getAtt(refs.busLogicalId, 'Arn'),
          RoleArn: getAtt('SchedulerRole', 'Arn'),
          Input: s.input,
          EventBridgeParameters: { DetailType: s.detailType, Source: SCHEDULER_SOURCE },
          RetryPolicy: TARGET_RETRY_POLICY,
          DeadLetterConfig: { Arn: getAtt('ScheduleDlq', 'Arn') },
        },
      },
    };
  }
  return resources;
}
