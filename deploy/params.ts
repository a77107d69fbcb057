/**
 * Deployment parameters: the settings an operator chooses per stage. Each stack reads them as osls
 * `${param:<name>}` variables, so they can come from `serverless-compose.yml` (`params:`), from
 * `--param name=value` when deploying one stack, or from the defaults below.
 */

export const DEPLOY_PARAMS = {
  region: 'AWS region of every stack',
  optInTagKey: 'Tag key a database must carry to be touched (also scopes the IAM policies)',
  optInTagValue: 'Value of the opt-in tag',
  finalSnapshot: 'Keep a final snapshot when deleting the set-aside original: always | never',
  notifyOnSuccess: 'Also notify when a run completes: true | false',
  senderEmail: 'SES identity alerts are sent from (empty: no email)',
  recipientEmails: 'Comma-separated alert recipients',
  slackWebhooksParam: 'Name of the SSM parameter holding comma-separated Slack webhook URLs (empty: none)',
  archiveRetentionDays: 'Days the bus archive keeps events (0 = forever)',
  existingStateTable:
    'Name of the state table an earlier deployment kept (serverless remove retains it): reuse it instead of creating one',
  rdsEventSubscription: 'Also receive RDS events through an RDS event subscription and SNS: true | false',
  alarmEmail: 'Email address subscribed to the alarm topic (empty: none)',
  subnetIds: 'Comma-separated subnets to run the functions in (empty: no VPC)',
  securityGroupIds: 'Comma-separated security groups of the functions (with subnetIds)',
  logLevel: 'debug | info | warn | error',
  firstCheckSeconds: 'Delay of the first deadline check after an RDS call',
  maxCheckSeconds: 'Longest delay between deadline checks (<= 900)',
  confirmSeconds: 'Delay between the two describe calls confirming a rename',
  renameCheckSeconds: 'Interval of the checks while a rename is in flight (no backoff: a rename is downtime)',
  actTimeoutSeconds: 'How long an RDS call may take before the step is retried',
  deadlineSnapshotSeconds: 'Deadline of a snapshot',
  deadlineRenameSeconds: 'Deadline of a rename',
  deadlineRestoreSeconds: 'Deadline of a restore',
  deadlineDeleteSeconds: 'Deadline of a deletion',
  deadlineFailoverSeconds: 'Deadline of a DR run (failover or failback, all layers)',
  deadlineAckSeconds:
    'Replication: how long a source waits for a destination account to acknowledge a shared snapshot',
  deadlineCopySeconds:
    'Replication: how long a destination may copy a shared snapshot and start its restore (the source waits this plus a restore and a rollback deadline)',
  drPeerRegion:
    'The other region of a DR pair: the bus forwards DR requests and events there (empty: one region only)',
} as const;

export type DeployParam = keyof typeof DEPLOY_PARAMS;

/** Defaults (osls `params.default`); the waits match `DEFAULT_WAIT` in `@rewind/shared`. */
export const PARAM_DEFAULTS: Record<DeployParam, string> = {
  region: 'us-east-1',
  optInTagKey: 'rewind:allow',
  optInTagValue: 'true',
  finalSnapshot: 'always',
  notifyOnSuccess: 'false',
  senderEmail: '',
  recipientEmails: '',
  slackWebhooksParam: '',
  archiveRetentionDays: '30',
  existingStateTable: '',
  rdsEventSubscription: 'false',
  alarmEmail: '',
  subnetIds: '',
  securityGroupIds: '',
  logLevel: 'info',
  firstCheckSeconds: '30',
  maxCheckSeconds: '900',
  confirmSeconds: '10',
  renameCheckSeconds: '5',
  actTimeoutSeconds: '120',
  deadlineSnapshotSeconds: String(6 * 3600),
  deadlineRenameSeconds: String(45 * 60),
  deadlineRestoreSeconds: String(8 * 3600),
  deadlineDeleteSeconds: String(2 * 3600),
  deadlineFailoverSeconds: String(8 * 3600),
  deadlineAckSeconds: String(15 * 60),
  deadlineCopySeconds: String(48 * 3600),
  drPeerRegion: '',
};

/** Outputs of the shared stack that every service stack receives (compose passes them as params). */
export const SHARED_OUTPUTS = {
  busName: 'EventBusName',
  busArn: 'EventBusArn',
  tableName: 'StateTableName',
  tableArn: 'StateTableArn',
  alarmTopicArn: 'AlarmTopicArn',
} as const;
export type SharedOutputParam = keyof typeof SHARED_OUTPUTS;

/** The osls variable reading a parameter. */
export function param(name: DeployParam | SharedOutputParam): string {
  return '${param:' + name + '}';
}

/** Every resource name is built by `resourceNames()` from this prefix, resolved by osls per stage. */
export const STACK_PREFIX = 'rewind-${sls:stage}';
