/**
 * The deployment's schedules on the local cloud: the `AWS::Scheduler::ScheduleGroup` and
 * `AWS::Scheduler::Schedule` resources the shared stack generates (`deploy/schedules.ts`, from the
 * policy file `REWIND_CONFIG_FILE`, in an account: replication policies of other source accounts left
 * out), created through the Scheduler API with their dead-letter queues, so the local cloud fires what a
 * deployment would. References are resolved for the local names:
 * `Ref` to a group -> its name; `Fn::GetAtt [X, Arn]` of the bus, a queue or a role -> its local ARN.
 */
import {
  ConflictException,
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  SchedulerClient,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import { STACK_PREFIX } from '../../../deploy/params';
import { scheduleResources } from '../../../deploy/schedules';
import { buildSettings } from '../../../deploy/settings';
import { readPolicyFile, schedulerSchedules } from '@rewind/shared/src/policies';
import type { ResourceNames } from '@rewind/shared/src/resourceNames';
import { ProvisionError } from '../errors';
import { LOCAL_CREDENTIALS } from '../runtime/functionRuntime';
import { awsClients } from './clients';
import { ensureQueue } from './queues';

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

export interface ProvisionedSchedule {
  name: string;
  group: string;
  arn: string;
}

function resolver(
  resources: Record<string, CfnResource>,
  names: ResourceNames,
  region: string,
  account: string,
) {
  const local = (text: string) => text.split(STACK_PREFIX).join(names.prefix);
  const arnOf = (id: string): string => {
    const r = resources[id];
    const props = r?.Properties ?? {};
    switch (r?.Type) {
      case 'AWS::Events::EventBus':
        return `arn:aws:events:${region}:${account}:event-bus/${local(String(props.Name))}`;
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${region}:${account}:${local(String(props.QueueName))}`;
      case 'AWS::IAM::Role':
        // The local IAM names the deployment's scheduler role `<prefix>-scheduler` (src/iam/roles.ts).
        return `arn:aws:iam::${account}:role/${names.prefix}-${id === 'SchedulerRole' ? 'scheduler' : id}`;
      default:
        throw new Error(
          `the local cloud cannot resolve Fn::GetAtt ${id}.Arn (${r?.Type ?? 'no such resource'})`,
        );
    }
  };
  const resolve = (value: unknown): unknown => {
    if (typeof value === 'string') return local(value);
    if (Array.isArray(value)) return value.map(resolve);
    if (!value || typeof value !== 'object') return value;
    const v = value as Record<string, unknown>;
    if ('Ref' in v) return local(String(resources[String(v.Ref)]?.Properties?.Name ?? v.Ref));
    if ('Fn::GetAtt' in v) return arnOf((v['Fn::GetAtt'] as [string, string])[0]);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
  };
  return { resolve, local };
}

/** Creates (or updates) the schedules of the shared stack for these settings; none without a schedules file. */
export async function provisionSchedules(opts: {
  endpoint: string;
  region: string;
  accountId: string;
  names: ResourceNames;
  env?: NodeJS.ProcessEnv;
  /** The account's credentials (default: the test key, the default account). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}): Promise<ProvisionedSchedule[]> {
  const settings = buildSettings(opts.env ?? process.env);
  if (!settings.schedulesFile) return [];
  const schedules = schedulerSchedules(readPolicyFile(settings.schedulesFile), opts.accountId);
  const resources: Record<string, CfnResource> = {
    EventBus: { Type: 'AWS::Events::EventBus', Properties: { Name: STACK_PREFIX } },
    ...(scheduleResources(schedules, {
      prefix: STACK_PREFIX,
      busLogicalId: 'EventBus',
      alarm: () => ({ Type: 'AWS::CloudWatch::Alarm', Properties: {} }),
    }) as Record<string, CfnResource>),
  };
  const { resolve, local } = resolver(resources, opts.names, opts.region, opts.accountId);
  const credentials = opts.credentials ?? LOCAL_CREDENTIALS;
  const scheduler = new SchedulerClient({ endpoint: opts.endpoint, region: opts.region, credentials });
  const clients = awsClients({ endpoint: opts.endpoint, region: opts.region, credentials });
  const out: ProvisionedSchedule[] = [];
  try {
    for (const r of Object.values(resources)) {
      if (r.Type !== 'AWS::Scheduler::ScheduleGroup') continue;
      const name = local(String(r.Properties?.Name));
      try {
        await scheduler.send(new CreateScheduleGroupCommand({ Name: name }));
      } catch (e) {
        if (!(e instanceof ConflictException)) throw new ProvisionError(`schedule group ${name}`, e);
      }
    }
    for (const r of Object.values(resources)) {
      if (r.Type !== 'AWS::Scheduler::Schedule') continue;
      const input = resolve(r.Properties) as CreateScheduleCommandInput;
      try {
        const dlq = input.Target?.DeadLetterConfig?.Arn;
        if (dlq)
          await ensureQueue(clients.sqs, dlq.slice(dlq.lastIndexOf(':') + 1), {
            MessageRetentionPeriod: '1209600',
          });
        const created = await scheduler.send(new CreateScheduleCommand(input)).catch(async (e: unknown) => {
          if (!(e instanceof ConflictException)) throw e;
          return scheduler.send(new UpdateScheduleCommand(input));
        });
        out.push({ name: input.Name!, group: input.GroupName ?? 'default', arn: created.ScheduleArn! });
      } catch (e) {
        throw new ProvisionError(`schedule ${input.Name}`, e);
      }
    }
    return out;
  } finally {
    scheduler.destroy();
    clients.destroy();
  }
}
