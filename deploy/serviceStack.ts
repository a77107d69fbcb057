import {
  ENV,
  readPolicyFile,
  resourceNames,
  serviceSpec,
  type ServiceName,
  type ServiceSpec,
} from '@rewind/shared';
import {
  arn,
  dlqAlarm,
  eventBridgeQueuePolicy,
  eventSourceCondition,
  getAtt,
  ifCondition,
  join,
  lambdaTrustPolicy,
  logicalId,
  notEmpty,
  ref,
  split,
  TARGET_RETRY_POLICY,
  type Cfn,
  type CfnResource,
} from './cfn';
import { PARAM_DEFAULTS, param, STACK_PREFIX, type DeployParam } from './params';
import { drStatements } from './drIam';
import {
  accountPolicies,
  forwardingResources,
  replicationEnvironment,
  sectionEnvironment,
  replicationStatements,
} from './replication';
import { replicationRoleName } from './replicationKeys';
import { rdsStatements, type IamStatement } from './rdsIam';
import { buildSettings, deployingAccount, type BuildSettings } from './settings';

/** The subset of an osls service configuration this project generates. */
export interface ServerlessConfig {
  service: string;
  frameworkVersion: string;
  plugins: string[];
  params: { default: Record<string, string> };
  custom: Record<string, unknown>;
  package: Record<string, unknown>;
  provider: Record<string, unknown>;
  functions: Record<string, Record<string, unknown>>;
  resources: {
    Conditions?: Record<string, Cfn>;
    Resources: Record<string, CfnResource>;
    Outputs?: Record<string, Cfn>;
    extensions?: Record<string, Record<string, unknown>>;
  };
}

/** DynamoDB actions of the state store (`shared/src/state`): Get, Put, Update, Delete and Query commands. */
export const STATE_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
];
/** What Lambda's SQS event source mapping needs on the inbox. */
const CONSUMER_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'];
/** What Lambda needs to attach functions to a VPC (these EC2 actions accept no resource ARNs). */
const VPC_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];
/** Source of every event Rewind's services publish (the bus publisher's default). */
export const REWIND_SOURCE = 'rewind';

export const SHARED_BUILD_OPTIONS = {
  bundle: true,
  minify: true,
  keepNames: true,
  sourcemap: false,
  target: 'node24',
  platform: 'node',
  format: 'cjs',
  // Bundle the AWS SDK too: the versions tested are the versions deployed.
  exclude: [] as string[],
};

type EnvName = string;
/** Environment variables (names from `ENV` in @rewind/shared) and the parameter each one comes from. */
function environment(spec: ServiceSpec, inboxUrl: Cfn, settings: BuildSettings): Record<EnvName, Cfn> {
  const optInTagKey = settings.optInTagKey;
  const fromParams = (entries: [EnvName, DeployParam][]) =>
    Object.fromEntries(entries.map(([name, p]) => [name, param(p)]));
  const common = {
    [ENV.busName]: param('busName'),
    [ENV.tableName]: param('tableName'),
    [ENV.inboxUrl(spec.name)]: inboxUrl,
    [ENV.logLevel]: param('logLevel'),
    // With AWS_REGION (set by Lambda), the home of resource addresses.
    [ENV.accountId]: ref('AWS::AccountId'),
  };
  if (spec.name === 'notify') {
    return {
      ...common,
      ...fromParams([
        [ENV.senderEmail, 'senderEmail'],
        [ENV.recipientEmails, 'recipientEmails'],
        [ENV.slackWebhooksParam, 'slackWebhooksParam'],
        [ENV.notifyOnSuccess, 'notifyOnSuccess'],
      ]),
    };
  }
  return {
    ...common,
    [ENV.optInTagKey]: optInTagKey,
    ...fromParams([
      [ENV.optInTagValue, 'optInTagValue'],
      [ENV.finalSnapshot, 'finalSnapshot'],
      [ENV.firstCheckSeconds, 'firstCheckSeconds'],
      [ENV.maxCheckSeconds, 'maxCheckSeconds'],
      [ENV.confirmSeconds, 'confirmSeconds'],
      [ENV.renameCheckSeconds, 'renameCheckSeconds'],
      [ENV.actTimeoutSeconds, 'actTimeoutSeconds'],
      [ENV.deadlineSnapshotSeconds, 'deadlineSnapshotSeconds'],
      [ENV.deadlineRenameSeconds, 'deadlineRenameSeconds'],
      [ENV.deadlineRestoreSeconds, 'deadlineRestoreSeconds'],
      [ENV.deadlineDeleteSeconds, 'deadlineDeleteSeconds'],
      ...(spec.name === 'failover'
        ? [[ENV.deadlineFailoverSeconds, 'deadlineFailoverSeconds'] as [EnvName, DeployParam]]
        : []),
      ...(spec.name === 'replication'
        ? ([
            [ENV.deadlineAckSeconds, 'deadlineAckSeconds'],
            [ENV.deadlineCopySeconds, 'deadlineCopySeconds'],
          ] as [EnvName, DeployParam][])
        : []),
    ]),
  };
}

/** The function's environment: the DR plans or replication policies too, within Lambda's limit. */
function functionEnvironment(
  spec: ServiceSpec,
  inboxUrl: Cfn,
  settings: BuildSettings,
): Record<EnvName, Cfn> {
  const vars = environment(spec, inboxUrl, settings);
  if (spec.name === 'failover') {
    // The DR plans of the configuration file, validated when the stack is generated.
    const plans = Object.keys(settings.drPlans.plans).length;
    return {
      ...vars,
      ...sectionEnvironment(ENV.drPlans, settings.drPlans, vars, {
        subject: 'The DR plans',
        fix: `The file has ${plans} DR plans: remove the ones not used, or split the deployment by region.`,
      }),
    };
  }
  if (spec.name !== 'replication') return vars;
  return { ...vars, ...replicationEnvironment(accountPolicies(settings), vars) };
}

/** The regions the policy file's snapshot policies copy to: the lifecycle service's IAM reaches them only. */
function copyRegions(settings: BuildSettings): string[] {
  const { snapshotPolicies } = readPolicyFile(settings.schedulesFile);
  return [...new Set(snapshotPolicies.flatMap((p) => p.copies.map((c) => c.region)))].sort();
}

/** Statements for the non-RDS actions in a service's topology permissions (SES, SSM, IAM). */
function otherStatements(actions: readonly string[], service: string): IamStatement[] {
  const statements: IamStatement[] = [];
  for (const action of actions) {
    if (action.startsWith('rds:')) continue;
    switch (action) {
      case 'ses:SendEmail':
        statements.push({
          Sid: 'SendAlertEmail',
          Effect: 'Allow',
          Action: [action],
          Resource: [arn('ses', 'identity/*'), arn('ses', 'configuration-set/*')],
          Condition: { StringEquals: { 'ses:FromAddress': param('senderEmail') } },
        });
        break;
      case 'ssm:GetParameter':
        statements.push({
          Sid: 'ReadSlackWebhooks',
          Effect: 'Allow',
          Action: [action],
          // Parameter names may or may not start with "/": the ARN is `parameter/name` either way.
          Resource: [
            arn('ssm', join('parameter', param('slackWebhooksParam'))),
            arn('ssm', join('parameter/', param('slackWebhooksParam'))),
          ],
        });
        break;
      case 'iam:PassRole':
        statements.push({
          Sid: 'PassRolesToRds',
          Effect: 'Allow',
          Action: [action],
          Resource: arn('iam', 'role/*', { region: false }),
          Condition: {
            StringEquals: {
              // The lifecycle service passes only an export's role, to RDS (UNVERIFIED which of the two
              // names IAM sees for StartExportTask: the role trusts export.rds.amazonaws.com).
              'iam:PassedToService':
                service === 'lifecycle'
                  ? ['export.rds.amazonaws.com', 'rds.amazonaws.com']
                  : ['rds.amazonaws.com', 'monitoring.rds.amazonaws.com'],
            },
          },
        });
        break;
      default:
        throw new Error(
          `No IAM scope is defined for ${action}: add it to otherStatements in deploy/serviceStack.ts`,
        );
    }
  }
  return statements;
}

/** What every Rewind stack shares: plugins, parameters, bundling, provider (runtime, stage, region). */
export function stackBase(name: string): Omit<ServerlessConfig, 'functions' | 'resources'> {
  return {
    service: `rewind-${name}`,
    frameworkVersion: '4',
    plugins: ['serverless-esbuild'],
    params: { default: PARAM_DEFAULTS },
    custom: { esbuild: SHARED_BUILD_OPTIONS },
    package: { individually: true },
    provider: {
      name: 'aws',
      runtime: 'nodejs24.x',
      architecture: 'arm64',
      stage: '${opt:stage, "dev"}',
      region: '${opt:region, param:region}',
      versionFunctions: false,
      logRetentionInDays: 30,
      stackTags: { application: 'rewind', 'rewind:service': name },
    },
  };
}

export interface ServiceStackOptions {
  /** Generation-time settings; default: from the environment (`buildSettings()`). */
  settings?: BuildSettings;
}

/**
 * The osls configuration of one service: its function, inbox queue with redrive DLQ, the rules of the
 * topology with their target DLQ, alarms, and a role granting only what the service calls.
 */
export function serviceStack(name: ServiceName, options: ServiceStackOptions = {}): ServerlessConfig {
  const settings = options.settings ?? buildSettings();
  const spec = serviceSpec(name);
  const names = resourceNames(STACK_PREFIX);
  const fn = spec.function;
  const handlerPrefix = `services/${name}/`;
  if (!fn.handler.startsWith(handlerPrefix)) {
    throw new Error(`Handler ${fn.handler} of ${name} is not under ${handlerPrefix}`);
  }
  if (spec.inbox.visibilityTimeoutSeconds < 6 * fn.timeoutSeconds) {
    throw new Error(
      `${name}: inbox visibility timeout must be >= 6x the function timeout (${fn.timeoutSeconds}s)`,
    );
  }
  const functionKey = fn.name;
  const functionName = names.functionName(name, fn.name);
  const fnLogical = `${logicalId(functionKey)}LambdaFunction`;

  const resources: Record<string, CfnResource> = {
    InboxDlq: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: names.inboxDlq(name),
        MessageRetentionPeriod: 1_209_600,
        SqsManagedSseEnabled: true,
      },
    },
    TargetDlq: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: names.targetDlq(name),
        MessageRetentionPeriod: 1_209_600,
        SqsManagedSseEnabled: true,
      },
    },
    Inbox: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: names.inboxQueue(name),
        VisibilityTimeout: spec.inbox.visibilityTimeoutSeconds,
        MessageRetentionPeriod: spec.inbox.messageRetentionSeconds,
        SqsManagedSseEnabled: true,
        RedrivePolicy: {
          deadLetterTargetArn: getAtt('InboxDlq', 'Arn'),
          maxReceiveCount: spec.inbox.maxReceiveCount,
        },
      },
    },
    InboxDlqAlarm: dlqAlarm(
      'InboxDlq',
      `Rewind ${name}: messages its function could not process (rewind redrive ${name})`,
      param('alarmTopicArn'),
    ),
    TargetDlqAlarm: dlqAlarm(
      'TargetDlq',
      `Rewind ${name}: events EventBridge could not deliver to the ${name} inbox`,
      param('alarmTopicArn'),
    ),
  };

  const ruleIds: string[] = [];
  // Replication: the bus-to-bus rules to the peer accounts, dead-lettering into the inbox.
  const account = name === 'replication' ? deployingAccount(settings) : undefined;
  const forwarding = account
    ? forwardingResources(settings.replication, account, (rule) => names.rule(name, rule))
    : { resources: {}, ruleIds: [] };
  Object.assign(resources, forwarding.resources);
  for (const rule of spec.rules) {
    const id = `${logicalId(rule.name)}Rule`;
    ruleIds.push(id);
    resources[id] = {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: names.rule(name, rule.name),
        Description: rule.description,
        EventBusName: param('busName'),
        EventPattern: rule.pattern,
        State: 'ENABLED',
        Targets: [
          {
            Id: 'inbox',
            Arn: getAtt('Inbox', 'Arn'),
            RetryPolicy: TARGET_RETRY_POLICY,
            DeadLetterConfig: { Arn: getAtt('TargetDlq', 'Arn') },
          },
        ],
      },
    };
  }
  resources.InboxPolicy = eventBridgeQueuePolicy(
    ['Inbox', 'TargetDlq'],
    [...ruleIds, ...forwarding.ruleIds].map((id) => getAtt(id, 'Arn')),
  );

  const statements: (IamStatement | Cfn)[] = [
    {
      Sid: 'Logs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: arn('logs', `log-group:/aws/lambda/${functionName}:*`),
    },
    { Sid: 'ConsumeInbox', Effect: 'Allow', Action: CONSUMER_ACTIONS, Resource: getAtt('Inbox', 'Arn') },
    // Deadline checks: delayed messages to its own inbox.
    { Sid: 'DeadlineChecks', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: getAtt('Inbox', 'Arn') },
    // Poison messages: moved by the handler to its own inbox DLQ at once, tagged with the reason.
    { Sid: 'PoisonToDlq', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: getAtt('InboxDlq', 'Arn') },
    {
      Sid: 'StateTable',
      Effect: 'Allow',
      Action: STATE_TABLE_ACTIONS,
      Resource: [param('tableArn'), join(param('tableArn'), `/index/${names.statusIndexName}`)],
    },
    {
      Sid: 'PublishEvents',
      Effect: 'Allow',
      Action: ['events:PutEvents'],
      Resource: param('busArn'),
      Condition: eventSourceCondition([REWIND_SOURCE]),
    },
    // A DR plan moves primaries between regions: the failover service's grants name every region.
    ...(spec.name === 'failover'
      ? drStatements(spec.permissions, { key: settings.optInTagKey, value: param('optInTagValue') })
      : spec.name === 'replication'
        ? replicationStatements(
            spec.permissions,
            { key: settings.optInTagKey, value: param('optInTagValue') },
            settings.replication,
            account,
          )
        : [
            ...rdsStatements(
              spec.permissions,
              { key: settings.optInTagKey, value: param('optInTagValue') },
              spec.name,
              name === 'lifecycle' ? copyRegions(settings) : [],
            ),
            ...otherStatements(spec.permissions, spec.name),
          ]),
    ifCondition('HasVpc', {
      Sid: 'VpcNetworkInterfaces',
      Effect: 'Allow',
      Action: VPC_ACTIONS,
      Resource: '*',
    }),
  ];
  resources.WorkerRole = {
    Type: 'AWS::IAM::Role',
    Properties: {
      // Named for replication: the KMS key policies of the peer accounts name it (deploy/replicationKeys.ts).
      ...(name === 'replication' ? { RoleName: replicationRoleName(names.prefix) } : {}),
      Description: `Rewind ${name} function: only the calls it makes`,
      AssumeRolePolicyDocument: lambdaTrustPolicy,
      Policies: [
        { PolicyName: `rewind-${name}`, PolicyDocument: { Version: '2012-10-17', Statement: statements } },
      ],
    },
  };

  return {
    ...stackBase(name),
    functions: {
      [functionKey]: {
        name: functionName,
        description: spec.description,
        handler: fn.handler.slice(handlerPrefix.length),
        timeout: fn.timeoutSeconds,
        memorySize: fn.memoryMb,
        role: 'WorkerRole',
        environment: functionEnvironment(spec, ref('Inbox'), settings),
        events: [
          {
            sqs: {
              arn: getAtt('Inbox', 'Arn'),
              batchSize: fn.batchSize,
              maximumBatchingWindow: fn.maximumBatchingWindowSeconds,
              maximumConcurrency: fn.maxConcurrency,
              functionResponseType: 'ReportBatchItemFailures',
            },
          },
        ],
      },
    },
    resources: {
      Conditions: { HasVpc: notEmpty(param('subnetIds')) },
      Resources: resources,
      Outputs: {
        InboxUrl: { Value: ref('Inbox') },
        InboxArn: { Value: getAtt('Inbox', 'Arn') },
        InboxDlqUrl: { Value: ref('InboxDlq') },
        TargetDlqUrl: { Value: ref('TargetDlq') },
        FunctionName: { Value: ref(fnLogical) },
      },
      extensions: {
        [fnLogical]: {
          Properties: {
            VpcConfig: ifCondition('HasVpc', {
              SubnetIds: split(param('subnetIds')),
              SecurityGroupIds: split(param('securityGroupIds')),
            }),
          },
        },
      },
    },
  };
}
