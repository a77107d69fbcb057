import {
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { SCHEDULER_SOURCE, type SchedulerSchedule } from '@rewind/shared';

/**
 * Creates (or updates) a test's policy schedules through the EventBridge Scheduler API, as the
 * deployment's CloudFormation does (same names, expressions, inputs, source and role); the local cloud's
 * provisioning creates the policy file's own the same way (`local/src/provision/schedules.ts`).
 */
export interface ScheduleTarget {
  group: string;
  busArn: string;
  roleArn: string;
  /** Overrides each schedule's state (e.g. DISABLED to pause them all). */
  state?: 'ENABLED' | 'DISABLED';
}

const isConflict = (err: unknown) => (err as { name?: string })?.name === 'ConflictException';

export async function applySchedules(
  scheduler: SchedulerClient,
  schedules: SchedulerSchedule[],
  target: ScheduleTarget,
): Promise<void> {
  await scheduler.send(new CreateScheduleGroupCommand({ Name: target.group })).catch((err: unknown) => {
    if (!isConflict(err)) throw err;
  });
  for (const s of schedules) {
    const input: CreateScheduleCommandInput = {
      Name: s.name,
      GroupName: target.group,
      Description: s.description,
      ScheduleExpression: s.expression,
      ScheduleExpressionTimezone: s.timezone,
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: target.state ?? (s.enabled ? 'ENABLED' : 'DISABLED'),
      Target: {
        Arn: target.busArn,
        RoleArn: target.roleArn,
        Input: s.input,
        EventBridgeParameters: { DetailType: s.detailType, Source: SCHEDULER_SOURCE },
      },
    };
    await scheduler.send(new CreateScheduleCommand(input)).catch(async (err: unknown) => {
      if (!isConflict(err)) throw err;
      await scheduler.send(new UpdateScheduleCommand(input));
    });
  }
}
