import {
  readPolicyFile,
  resourceNames,
  schedulerSchedules,
  stateTableDefinition,
  topology,
  TTL_ATTRIBUTE,
} from '@rewind/shared';
import {
  arn,
  dlqAlarm,
  equals,
  eventBridgeQueuePolicy,
  eventSourceCondition,
  getAtt,
  ifCondition,
  join,
  lambdaTrustPolicy,
  notEmpty,
  ref,
  serviceTrustPolicy,
  TARGET_RETRY_POLICY,
  type CfnResource,
} from './cfn';
import { drPeerResources, HAS_DR_PEER } from './drPeer';
import { param, SHARED_OUTPUTS, STACK_PREFIX } from './params';
import { busPolicyResources } from './replication';
import { scheduleResources } from './schedules';
import { stackBase, type ServerlessConfig } from './serviceStack';
import { buildSettings, deployingAccount, type BuildSettings } from './settings';

/**
 * RDS event-subscription source types (one subscription each: a subscription has one source type) and
 * the ARN resource type of the resources they report on.
 */
const SUBSCRIPTION_SOURCES = {
  'db-instance': 'db',
  'db-snapshot': 'snapshot',
  'db-cluster': 'cluster',
  'db-cluster-snapshot': 'cluster-snapshot',
} as const;
const SUBSCRIPTION_SOURCE_TYPES = Object.keys(SUBSCRIPTION_SOURCES);
const WITH_SUBSCRIPTION = 'WithRdsSubscription';
const CREATE_TABLE = 'CreateStateTable';

/**
 * The shared stack: the Rewind bus and its archive, the state table, the rule forwarding RDS events from
 * the default bus, the alarm topic, optionally the RDS event subscription with its SNS adapter, and the
 * scheduled runs.
 */
export function sharedStack(options: { settings?: BuildSettings } = {}): ServerlessConfig {
  const settings = options.settings ?? buildSettings();
  // Replication policies: this account's side only (its schedules, the peers its bus admits).
  const account = deployingAccount(settings);
  const names = resourceNames(STACK_PREFIX);
  const table = stateTableDefinition(names.tableName);
  const adapterName = `${names.prefix}-rds-sns-adapter`;
  const existingTable = param('existingStateTable');
  const tableArn = ifCondition(
    CREATE_TABLE,
    getAtt('StateTable', 'Arn'),
    arn('dynamodb', join('table/', existingTable)),
  );
  const alarm = (queue: string, description: string, condition?: string) =>
    dlqAlarm(queue, description, ref('AlarmTopic'), condition);

  const resources: Record<string, CfnResource> = {
    EventBus: { Type: 'AWS::Events::EventBus', Properties: { Name: names.busName } },
    EventArchive: {
      Type: 'AWS::Events::Archive',
      Properties: {
        ArchiveName: names.archiveName,
        Description: 'Every event on the Rewind bus, for replay',
        SourceArn: getAtt('EventBus', 'Arn'),
        RetentionDays: param('archiveRetentionDays'),
      },
    },
    // Kept on `serverless remove`; a later deploy reuses it through `existingStateTable` (its name is fixed).
    StateTable: {
      Type: 'AWS::DynamoDB::Table',
      Condition: CREATE_TABLE,
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        TableName: table.TableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: table.AttributeDefinitions,
        KeySchema: table.KeySchema,
        GlobalSecondaryIndexes: table.GlobalSecondaryIndexes,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
        SSESpecification: { SSEEnabled: true },
      },
    },
    AlarmTopic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: names.alarmTopicName } },
    AlarmEmail: {
      Type: 'AWS::SNS::Subscription',
      Condition: 'HasAlarmEmail',
      Properties: { TopicArn: ref('AlarmTopic'), Protocol: 'email', Endpoint: param('alarmEmail') },
    },
    // RDS events reach the default bus; this rule forwards the ones Rewind uses to the Rewind bus.
    ForwardingRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        Description: 'EventBridge: forwards RDS events from the default bus to the Rewind bus',
        AssumeRolePolicyDocument: serviceTrustPolicy('events.amazonaws.com'),
        Policies: [
          {
            PolicyName: 'put-on-rewind-bus',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                { Effect: 'Allow', Action: ['events:PutEvents'], Resource: getAtt('EventBus', 'Arn') },
              ],
            },
          },
        ],
      },
    },
    ForwardingDlq: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: `${names.forwardingRule}-dlq`,
        MessageRetentionPeriod: 1_209_600,
        SqsManagedSseEnabled: true,
      },
    },
    ForwardingDlqAlarm: alarm(
      'ForwardingDlq',
      'Rewind: RDS events that could not be forwarded to the Rewind bus',
    ),
    RdsForwardingRule: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: names.forwardingRule,
        Description: topology.rdsForwarding.description,
        EventPattern: topology.rdsForwarding.pattern,
        State: 'ENABLED',
        Targets: [
          {
            Id: 'rewind-bus',
            Arn: getAtt('EventBus', 'Arn'),
            RoleArn: getAtt('ForwardingRole', 'Arn'),
            RetryPolicy: TARGET_RETRY_POLICY,
            DeadLetterConfig: { Arn: getAtt('ForwardingDlq', 'Arn') },
          },
        ],
      },
    },
    ForwardingDlqPolicy: eventBridgeQueuePolicy(['ForwardingDlq'], [getAtt('RdsForwardingRule', 'Arn')]),

    // Optional second channel: RDS event subscriptions -> SNS -> adapter Lambda -> Rewind bus.
    RdsEventsTopic: {
      Type: 'AWS::SNS::Topic',
      Condition: WITH_SUBSCRIPTION,
      Properties: { TopicName: `${names.prefix}-rds-events` },
    },
    RdsEventsTopicPolicy: {
      Type: 'AWS::SNS::TopicPolicy',
      Condition: WITH_SUBSCRIPTION,
      Properties: {
        Topics: [ref('RdsEventsTopic')],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'events.rds.amazonaws.com' },
              Action: 'sns:Publish',
              Resource: ref('RdsEventsTopic'),
              // RDS publishes with aws:SourceArn = the resource the event is about (not the subscription).
              Condition: {
                ArnLike: {
                  'aws:SourceArn': Object.values(SUBSCRIPTION_SOURCES).map((type) => arn('rds', `${type}:*`)),
                },
                StringEquals: { 'aws:SourceAccount': ref('AWS::AccountId') },
              },
            },
          ],
        },
      },
    },
    AdapterRole: {
      Type: 'AWS::IAM::Role',
      Condition: WITH_SUBSCRIPTION,
      Properties: {
        Description: 'Rewind RDS SNS adapter: logs, PutEvents on the Rewind bus, its DLQ',
        AssumeRolePolicyDocument: lambdaTrustPolicy,
        Policies: [
          {
            PolicyName: 'rds-sns-adapter',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
                  Resource: arn('logs', `log-group:/aws/lambda/${adapterName}:*`),
                },
                {
                  Effect: 'Allow',
                  Action: ['events:PutEvents'],
                  Resource: getAtt('EventBus', 'Arn'),
                  Condition: eventSourceCondition(['rewind.rds-subscription']),
                },
                { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: getAtt('AdapterDlq', 'Arn') },
              ],
            },
          },
        ],
      },
    },
    AdapterDlq: {
      Type: 'AWS::SQS::Queue',
      Condition: WITH_SUBSCRIPTION,
      Properties: {
        QueueName: `${names.prefix}-rds-sns-adapter-dlq`,
        MessageRetentionPeriod: 1_209_600,
        SqsManagedSseEnabled: true,
      },
    },
    AdapterDlqAlarm: alarm(
      'AdapterDlq',
      'Rewind: RDS notifications the SNS adapter could not put on the bus',
      WITH_SUBSCRIPTION,
    ),
    AdapterSubscription: {
      Type: 'AWS::SNS::Subscription',
      Condition: WITH_SUBSCRIPTION,
      Properties: {
        TopicArn: ref('RdsEventsTopic'),
        Protocol: 'lambda',
        Endpoint: getAtt('RdsSnsAdapterLambdaFunction', 'Arn'),
      },
    },
    AdapterInvokePermission: {
      Type: 'AWS::Lambda::Permission',
      Condition: WITH_SUBSCRIPTION,
      Properties: {
        Action: 'lambda:InvokeFunction',
        FunctionName: ref('RdsSnsAdapterLambdaFunction'),
        Principal: 'sns.amazonaws.com',
        SourceArn: ref('RdsEventsTopic'),
      },
    },
    ...Object.fromEntries(
      SUBSCRIPTION_SOURCE_TYPES.map((sourceType) => [
        `RdsSubscription${sourceType
          .split('-')
          .map((p) => p[0]!.toUpperCase() + p.slice(1))
          .join('')}`,
        {
          Type: 'AWS::RDS::EventSubscription',
          Condition: WITH_SUBSCRIPTION,
          DependsOn: ['RdsEventsTopicPolicy'],
          Properties: {
            SubscriptionName: `${names.prefix}-${sourceType}`,
            SnsTopicArn: ref('RdsEventsTopic'),
            SourceType: sourceType,
            Enabled: true,
          },
        },
      ]),
    ),
    ...scheduleResources(schedulerSchedules(readPolicyFile(settings.schedulesFile), account), {
      prefix: names.prefix,
      busLogicalId: 'EventBus',
      alarm: (queue) => alarm(queue, 'Rewind: scheduled restore requests that could not be delivered'),
    }),
    ...busPolicyResources(settings.replication, account),
    ...drPeerResources(names, (queue) =>
      alarm(queue, 'Rewind: RDS events that could not be forwarded to the DR peer region', HAS_DR_PEER),
    ),
  };

  return {
    ...stackBase('shared'),
    functions: {
      rdsSnsAdapter: {
        name: adapterName,
        description: 'Normalises RDS event-subscription notifications onto the Rewind bus',
        handler: 'src/rds/snsAdapterHandler.handler',
        timeout: 30,
        memorySize: 256,
        role: 'AdapterRole',
        onError: getAtt('AdapterDlq', 'Arn'),
        environment: { REWIND_BUS_NAME: ref('EventBus') },
      },
    },
    resources: {
      Conditions: {
        [WITH_SUBSCRIPTION]: equals(param('rdsEventSubscription'), 'true'),
        [CREATE_TABLE]: equals(param('existingStateTable'), ''),
        HasAlarmEmail: notEmpty(param('alarmEmail')),
        [HAS_DR_PEER]: notEmpty(param('drPeerRegion')),
      },
      Resources: resources,
      Outputs: {
        [SHARED_OUTPUTS.busName]: { Value: ref('EventBus') },
        [SHARED_OUTPUTS.busArn]: { Value: getAtt('EventBus', 'Arn') },
        [SHARED_OUTPUTS.tableName]: { Value: ifCondition(CREATE_TABLE, ref('StateTable'), existingTable) },
        [SHARED_OUTPUTS.tableArn]: { Value: tableArn },
        [SHARED_OUTPUTS.alarmTopicArn]: { Value: ref('AlarmTopic') },
        ArchiveArn: { Value: getAtt('EventArchive', 'Arn') },
        StatusIndexArn: { Value: join(tableArn, `/index/${names.statusIndexName}`) },
      },
      extensions: {
        RdsSnsAdapterLambdaFunction: { Condition: WITH_SUBSCRIPTION },
        RdsSnsAdapterLogGroup: { Condition: WITH_SUBSCRIPTION },
      },
    },
  };
}
