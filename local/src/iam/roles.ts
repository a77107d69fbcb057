/**
 * The roles of the local cloud's functions, with the policies the deployment generates (one source:
 * `deploy/serviceStack.ts` and `deploy/sharedStack.ts`), their CloudFormation intrinsics and osls
 * `${param:...}` variables resolved with the local cloud's names, account and region.
 */
import { ENV } from '@rewind/shared/src/config';
import { SERVICE_NAMES, serviceSpec, type ServiceName } from '@rewind/shared/src/topology';
import type { ResourceNames } from '@rewind/shared/src/resourceNames';
import { PARAM_DEFAULTS, STACK_PREFIX } from '../../../deploy/params';
import { serviceStack } from '../../../deploy/serviceStack';
import { sharedStack } from '../../../deploy/sharedStack';
import { scheduleResources } from '../../../deploy/schedules';
import { buildSettings } from '../../../deploy/settings';
import type { LocalIdentity } from '../types';
import type { PolicyDocument, Statement } from './evaluate';

export interface RoleCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

export interface LocalRole {
  /** `<prefix>-<service>` */
  name: string;
  /** The account the role is in. */
  accountId: string;
  /** The function running with this role. */
  functionName: string;
  /** The session ARN AccessDenied messages name, as Lambda's assumed role would appear. */
  principalArn: string;
  credentials: RoleCredentials;
  policies: PolicyDocument[];
}

/** Values the local cloud gives the deployment's parameters (the rest keep their defaults). */
export interface LocalDeployValues {
  senderEmail: string;
}

/** The service principal that assumes schedule target roles. */
export const SCHEDULER_PRINCIPAL = 'scheduler.amazonaws.com';
/** The service principal that assumes the role of an RDS export to S3. */
export const EXPORT_PRINCIPAL = 'export.rds.amazonaws.com';

/** The IAM ARN of a local role (`arn:aws:iam::<account>:role/<name>`). */
export const roleArn = (accountId: string, name: string): string => `arn:aws:iam::${accountId}:role/${name}`;

const NO_VALUE = Symbol('AWS::NoValue');

class Resolver {
  constructor(
    private readonly refs: Record<string, string>,
    private readonly attributes: Record<string, string>,
    private readonly params: Record<string, string>,
    private readonly conditions: Record<string, boolean>,
    private readonly prefix: string,
  ) {}

  resolve(value: unknown): unknown {
    if (typeof value === 'string') return this.text(value);
    if (Array.isArray(value)) return value.map((v) => this.resolve(v)).filter((v) => v !== NO_VALUE);
    if (!value || typeof value !== 'object') return value;
    const v = value as Record<string, unknown>;
    if ('Ref' in v) {
      if (v.Ref === 'AWS::NoValue') return NO_VALUE;
      return this.lookup(this.refs, String(v.Ref), 'Ref');
    }
    if ('Fn::GetAtt' in v) {
      const [id, attribute] = v['Fn::GetAtt'] as [string, string];
      return this.lookup(this.attributes, `${id}.${attribute}`, 'Fn::GetAtt');
    }
    if ('Fn::Join' in v) {
      const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map((p) => this.resolve(p)).join(sep);
    }
    if ('Fn::If' in v) {
      const [condition, whenTrue, whenFalse] = v['Fn::If'] as [string, unknown, unknown];
      return this.resolve(this.lookup(this.conditions, condition, 'condition') ? whenTrue : whenFalse);
    }
    if ('Fn::Split' in v) {
      const [sep, text] = v['Fn::Split'] as [string, unknown];
      return String(this.resolve(text)).split(sep);
    }
    return Object.fromEntries(
      Object.entries(v)
        .map(([k, x]) => [k, this.resolve(x)] as const)
        .filter(([, x]) => x !== NO_VALUE),
    );
  }

  private text(value: string): string {
    return value
      .split(STACK_PREFIX)
      .join(this.prefix)
      .replace(/\$\{param:(\w+)\}/g, (_, name: string) => this.lookup(this.params, name, 'param'));
  }

  private lookup<T>(table: Record<string, T>, key: string, what: string): T {
    if (!(key in table)) {
      throw new Error(
        `The local cloud cannot resolve ${what} ${key} in a generated policy: add it to local/src/iam/roles.ts`,
      );
    }
    return table[key]!;
  }
}

/**
 * Deterministic per-role credentials: the edge maps the access key back to the role. A role of another
 * account than the local cloud's default one (`account`) has the account in its key, so that the same role
 * name in two accounts (Rewind installed in both) has two keys, each mapped to its account.
 */
export function roleCredentials(roleName: string, account?: string): RoleCredentials {
  const id = roleName
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, '')
    .slice(-16)
    .padStart(16, 'X');
  return {
    accessKeyId: `ASIA${id}${account ?? ''}`,
    secretAccessKey: 'local-role-secret',
    sessionToken: account === undefined ? `local/${roleName}` : `local/${account}/${roleName}`,
  };
}

function policiesOf(roleResource: unknown): PolicyDocument[] {
  const props = (roleResource as { Properties: { Policies: { PolicyDocument: PolicyDocument }[] } })
    .Properties;
  return props.Policies.map((p) => ({
    ...p.PolicyDocument,
    Statement: ([] as Statement[]).concat(p.PolicyDocument.Statement),
  }));
}

/**
 * The function roles (one per service, plus the RDS SNS adapter) and the RDS events topic policy,
 * generated by the deployment and resolved for this local cloud.
 */
export function localRoles(
  names: ResourceNames,
  identity: LocalIdentity,
  values: LocalDeployValues,
  /** Roles of an install in another account than the default one: credentials naming their account. */
  otherAccount = false,
): { roles: LocalRole[]; rdsEventsTopicPolicy: PolicyDocument } {
  const { region, accountId } = identity;
  const credentialsOf = (role: string) => roleCredentials(role, otherAccount ? accountId : undefined);
  const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${accountId}:${resource}`;
  const params: Record<string, string> = {
    ...PARAM_DEFAULTS,
    region,
    senderEmail: values.senderEmail,
    busName: names.busName,
    busArn: arn('events', `event-bus/${names.busName}`),
    tableName: names.tableName,
    tableArn: arn('dynamodb', `table/${names.tableName}`),
    alarmTopicArn: arn('sns', names.alarmTopicName),
  };
  const refs = { 'AWS::Partition': 'aws', 'AWS::Region': region, 'AWS::AccountId': accountId };
  const conditions = { HasVpc: false, WithRdsSubscription: true, HasAlarmEmail: false };
  // Generated for this account, as each account deploys its own side of the replication policies.
  const settings = buildSettings({ ...process.env, [ENV.accountId]: accountId });
  const roles: LocalRole[] = SERVICE_NAMES.map((service: ServiceName) => {
    const stack = serviceStack(service, { settings });
    const inboxArn = arn('sqs', names.inboxQueue(service));
    const inboxDlqArn = arn('sqs', names.inboxDlq(service));
    const resolver = new Resolver(
      { ...refs, Inbox: inboxArn },
      { 'Inbox.Arn': inboxArn, 'InboxDlq.Arn': inboxDlqArn },
      params,
      conditions,
      names.prefix,
    );
    const name = `${names.prefix}-${service}`;
    const functionName = names.functionName(service, serviceSpec(service).function.name);
    return {
      name,
      accountId,
      functionName,
      principalArn: `arn:aws:sts::${accountId}:assumed-role/${name}/${functionName}`,
      credentials: credentialsOf(name),
      policies: resolver.resolve(policiesOf(stack.resources.Resources.WorkerRole)) as PolicyDocument[],
    };
  });
  const shared = sharedStack({ settings: { ...settings, schedulesFile: undefined } });
  const topicArn = arn('sns', `${names.prefix}-rds-events`);
  const adapterDlqArn = arn('sqs', `${names.prefix}-rds-sns-adapter-dlq`);
  const sharedResolver = new Resolver(
    { ...refs, RdsEventsTopic: topicArn },
    { 'EventBus.Arn': params.busArn!, 'AdapterDlq.Arn': adapterDlqArn },
    params,
    conditions,
    names.prefix,
  );
  const adapterName = `${names.prefix}-rds-sns-adapter`;
  roles.push({
    name: adapterName,
    accountId,
    functionName: adapterName,
    principalArn: `arn:aws:sts::${accountId}:assumed-role/${adapterName}/${adapterName}`,
    credentials: credentialsOf(adapterName),
    policies: sharedResolver.resolve(policiesOf(shared.resources.Resources.AdapterRole)) as PolicyDocument[],
  });
  // The role EventBridge Scheduler assumes to deliver the schedules' firings (deploy/schedules.ts).
  const scheduling = scheduleResources([{ name: 'local', expression: 'rate(1 day)', request: {} }], {
    prefix: names.prefix,
    busLogicalId: 'EventBus',
    alarm: () => ({ Type: 'AWS::CloudWatch::Alarm', Properties: {} }),
  });
  const schedulerRoleName = `${names.prefix}-scheduler`;
  const scheduleResolver = new Resolver(
    refs,
    { 'EventBus.Arn': params.busArn!, 'ScheduleDlq.Arn': arn('sqs', `${names.prefix}-schedules-dlq`) },
    params,
    conditions,
    names.prefix,
  );
  roles.push({
    name: schedulerRoleName,
    accountId,
    functionName: SCHEDULER_PRINCIPAL,
    principalArn: `arn:aws:sts::${accountId}:assumed-role/${schedulerRoleName}/${SCHEDULER_PRINCIPAL}`,
    credentials: credentialsOf(schedulerRoleName),
    policies: scheduleResolver.resolve(policiesOf(scheduling.SchedulerRole)) as PolicyDocument[],
  });
  const topicPolicy = sharedResolver.resolve(
    (shared.resources.Resources.RdsEventsTopicPolicy!.Properties as { PolicyDocument: unknown })
      .PolicyDocument,
  ) as PolicyDocument;
  return { roles, rdsEventsTopicPolicy: topicPolicy };
}
