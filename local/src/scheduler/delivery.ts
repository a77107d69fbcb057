/**
 * Delivering one firing to its target, as the target's role: a templated EventBridge target (the bus ARN
 * with `EventBridgeParameters`: the input becomes the event's detail), the universal
 * `arn:aws:scheduler:::aws-sdk:eventbridge:putEvents` target (the input is a PutEvents request), or a
 * templated SQS target (the input is the message body). The context attributes
 * `<aws.scheduler.schedule-arn|scheduled-time|execution-id|attempt-number>` in the input are replaced.
 * A firing that cannot be delivered (role refused, bus or queue missing, another kind of target) goes
 * to the schedule's dead-letter queue at once with the error, and is recorded.
 */
import { randomBytes } from 'node:crypto';
import type { AssumedRoleCheck } from '../iam/evaluate';
import type { AuthorizationRequest } from '../iam/evaluate';
import type { SqsSender } from '../eventbridge/router';
import type { BusIngress, LocalIdentity } from '../types';
import type { Firing, Schedule } from './model';

export interface DeliveryDeps {
  bus: BusIngress;
  sqs: SqsSender;
  /** Absent when IAM is off (every role may do anything). */
  checkRole?: AssumedRoleCheck;
}

export const UNIVERSAL_PUT_EVENTS = 'arn:aws:scheduler:::aws-sdk:eventbridge:putEvents';

class DeliveryError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface BusEntry {
  busArn: string;
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
}

function arnParts(
  arn: string,
): { service: string; region: string; accountId: string; resource: string } | undefined {
  const m = /^arn:aws:([a-z0-9-]+):([a-z0-9-]*):(\d{12}):(.+)$/.exec(arn);
  return m ? { service: m[1]!, region: m[2]!, accountId: m[3]!, resource: m[4]! } : undefined;
}

function parseDetail(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DeliveryError('ValidationException', `${what} is not JSON.`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new DeliveryError('ValidationException', `${what} must be a JSON object.`);
  return value as Record<string, unknown>;
}

function busEntries(s: Schedule, input: string, where: LocalIdentity): BusEntry[] {
  const t = s.target;
  if (t.Arn === UNIVERSAL_PUT_EVENTS) {
    const request = parseDetail(input, 'The PutEvents input');
    const entries = request.Entries;
    if (!Array.isArray(entries) || entries.length === 0)
      throw new DeliveryError('ValidationException', 'The PutEvents input needs "Entries".');
    return (entries as Record<string, unknown>[]).map((e) => {
      const bus = typeof e.EventBusName === 'string' ? e.EventBusName : 'default';
      return {
        busArn: bus.startsWith('arn:')
          ? bus
          : `arn:aws:events:${where.region}:${where.accountId}:event-bus/${bus}`,
        source: String(e.Source ?? ''),
        detailType: String(e.DetailType ?? ''),
        detail: parseDetail(String(e.Detail ?? '{}'), 'An entry\'s "Detail"'),
      };
    });
  }
  const p = t.EventBridgeParameters;
  if (!p) throw new DeliveryError('ValidationException', 'EventBridgeParameters are missing.');
  return [
    { busArn: t.Arn, source: p.Source, detailType: p.DetailType, detail: parseDetail(input, 'The input') },
  ];
}

function authorize(deps: DeliveryDeps, s: Schedule, requests: AuthorizationRequest[]): void {
  const refusal = deps.checkRole?.(s.target.RoleArn, requests);
  if (refusal) throw new DeliveryError('AccessDeniedException', refusal.message);
}

async function toTarget(deps: DeliveryDeps, s: Schedule, input: string, where: LocalIdentity): Promise<void> {
  const t = s.target;
  const parts = arnParts(t.Arn);
  if (t.Arn === UNIVERSAL_PUT_EVENTS || parts?.service === 'events') {
    const entries = busEntries(s, input, where);
    for (const e of entries) {
      authorize(deps, s, [
        {
          action: 'events:PutEvents',
          resource: e.busArn,
          context: { 'events:source': [e.source], 'events:detail-type': [e.detailType] },
        },
      ]);
    }
    for (const e of entries) {
      const bus = arnParts(e.busArn);
      if (!bus?.resource.startsWith('event-bus/'))
        throw new DeliveryError('ValidationException', `${e.busArn} is not an event bus ARN.`);
      try {
        await deps.bus.putInternal(
          bus.resource.slice('event-bus/'.length),
          [{ source: e.source, detailType: e.detailType, detail: e.detail }],
          { accountId: bus.accountId, region: bus.region || where.region },
        );
      } catch (err) {
        throw new DeliveryError('ResourceNotFoundException', (err as Error).message);
      }
    }
    return;
  }
  if (parts?.service === 'sqs') {
    authorize(deps, s, [{ action: 'sqs:SendMessage', resource: t.Arn, context: {} }]);
    try {
      await deps.sqs.send(t.Arn, input, { messageGroupId: t.SqsParameters?.MessageGroupId });
    } catch (err) {
      throw new DeliveryError('ResourceNotFoundException', (err as Error).message);
    }
    return;
  }
  throw new DeliveryError(
    'ValidationException',
    `The local cloud delivers schedules to EventBridge buses (templated, or ${UNIVERSAL_PUT_EVENTS}) and SQS queues, not to ${t.Arn}.`,
  );
}

/** Delivers one firing of `s` scheduled at `scheduledMs`; never throws (failures are recorded). */
export async function deliver(
  deps: DeliveryDeps,
  s: Schedule,
  scheduledMs: number,
  where: LocalIdentity,
  log: (line: string) => void,
): Promise<Firing> {
  const scheduledTime = new Date(scheduledMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const executionId = randomBytes(8).toString('hex');
  const input = (s.target.Input ?? '{}')
    .replaceAll('<aws.scheduler.schedule-arn>', s.arn)
    .replaceAll('<aws.scheduler.scheduled-time>', scheduledTime)
    .replaceAll('<aws.scheduler.execution-id>', executionId)
    .replaceAll('<aws.scheduler.attempt-number>', '1');
  const firing: Firing = {
    schedule: s.name,
    group: s.groupName,
    scheduledTime,
    executionId,
    targetArn: s.target.Arn,
    outcome: 'delivered',
  };
  try {
    await toTarget(deps, s, input, where);
    return firing;
  } catch (err) {
    const e = err instanceof DeliveryError ? err : new DeliveryError('InternalServerException', String(err));
    firing.outcome = 'failed';
    firing.error = { code: e.code, message: e.message };
    log(`scheduler: ${s.groupName}/${s.name} at ${scheduledTime} failed: ${e.code}: ${e.message}`);
    const dlq = s.target.DeadLetterConfig?.Arn;
    if (dlq) {
      try {
        authorize(deps, s, [{ action: 'sqs:SendMessage', resource: dlq, context: {} }]);
        await deps.sqs.send(dlq, input, {
          attributes: {
            ERROR_CODE: e.code,
            ERROR_MESSAGE: e.message.slice(0, 1000),
            EXECUTION_ID: executionId,
            RETRY_ATTEMPTS: '0',
            SCHEDULE_ARN: s.arn,
            TARGET_ARN: s.target.Arn,
          },
        });
        firing.deadLetter = dlq;
      } catch (dlqErr) {
        log(
          `scheduler: ${s.groupName}/${s.name}: its dead-letter queue ${dlq} refused the firing: ${String(dlqErr)}`,
        );
      }
    }
    return firing;
  }
}
