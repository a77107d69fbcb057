/** EventBridge Scheduler resources as the emulator keeps them (JSON-able: saved with `--state-dir`). */

export interface ScheduleTarget {
  Arn: string;
  RoleArn: string;
  Input?: string;
  EventBridgeParameters?: { DetailType: string; Source: string };
  SqsParameters?: { MessageGroupId?: string };
  RetryPolicy?: { MaximumEventAgeInSeconds?: number; MaximumRetryAttempts?: number };
  DeadLetterConfig?: { Arn?: string };
  [other: string]: unknown;
}

export interface Schedule {
  name: string;
  groupName: string;
  arn: string;
  state: 'ENABLED' | 'DISABLED';
  description?: string;
  expression: string;
  timezone?: string;
  startDate?: number;
  endDate?: number;
  flexibleTimeWindow: { Mode: 'OFF' | 'FLEXIBLE'; MaximumWindowInMinutes?: number };
  target: ScheduleTarget;
  actionAfterCompletion: 'NONE' | 'DELETE';
  kmsKeyArn?: string;
  creationDate: number;
  lastModificationDate: number;
  /** Where a rate counts from: the start date, else the creation or last update (epoch ms). */
  anchor: number;
  /** The next firing (epoch ms, cloud clock); undefined when none is left. */
  nextAt?: number;
}

export interface ScheduleGroup {
  name: string;
  arn: string;
  state: 'ACTIVE';
  creationDate: number;
  lastModificationDate: number;
  tags: { Key: string; Value: string }[];
}

/** One firing as delivered (or not), for `GET /_rewind/scheduler/firings`. */
export interface Firing {
  schedule: string;
  group: string;
  scheduledTime: string;
  executionId: string;
  targetArn: string;
  outcome: 'delivered' | 'failed';
  error?: { code: string; message: string };
  /** Where a failed firing went (its dead-letter queue), if anywhere. */
  deadLetter?: string;
}
