/** Small CloudFormation helpers (intrinsics written without `${...}`, which osls would try to resolve). */

export type Cfn = unknown;
export type CfnResource = { Type: string; Properties?: Record<string, unknown>; Condition?: string } & Record<
  string,
  unknown
>;

export const ref = (logicalId: string): Cfn => ({ Ref: logicalId });
export const getAtt = (logicalId: string, attribute: string): Cfn => ({
  'Fn::GetAtt': [logicalId, attribute],
});
export const join = (...parts: Cfn[]): Cfn => ({ 'Fn::Join': ['', parts] });
export const NO_VALUE: Cfn = { Ref: 'AWS::NoValue' };
export const ifCondition = (condition: string, whenTrue: Cfn, whenFalse: Cfn = NO_VALUE): Cfn => ({
  'Fn::If': [condition, whenTrue, whenFalse],
});
export const notEmpty = (value: string): Cfn => ({ 'Fn::Not': [{ 'Fn::Equals': [value, ''] }] });
export const equals = (value: string, expected: string): Cfn => ({ 'Fn::Equals': [value, expected] });
export const split = (value: string): Cfn => ({ 'Fn::Split': [',', value] });

/** `arn:<partition>:<service>:<region>:<account>:<resource>` of this stack's account and region. */
export function arn(service: string, resource: Cfn, options: { region?: boolean } = {}): Cfn {
  return join(
    'arn:',
    ref('AWS::Partition'),
    `:${service}:`,
    options.region === false ? '' : ref('AWS::Region'),
    ':',
    ref('AWS::AccountId'),
    ':',
    resource,
  );
}

/** A CloudFormation logical id from a resource name: `snapshot-steps` -> `SnapshotSteps`. */
export function logicalId(...parts: string[]): string {
  return parts
    .join('-')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join('');
}

/** A CloudWatch alarm that fires as soon as a dead-letter queue holds a message. */
export function dlqAlarm(
  queueLogicalId: string,
  description: string,
  topicArn: Cfn,
  condition?: string,
): CfnResource {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    ...(condition ? { Condition: condition } : {}),
    Properties: {
      AlarmDescription: description,
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: getAtt(queueLogicalId, 'QueueName') }],
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [topicArn],
      OKActions: [topicArn],
    },
  };
}

/** A queue policy letting EventBridge (`aws:SourceArn` = each rule or schedule) send to the queues. */
export function eventBridgeQueuePolicy(
  queueLogicalIds: string[],
  sourceArns: Cfn[],
  condition?: string,
): CfnResource {
  return {
    Type: 'AWS::SQS::QueuePolicy',
    ...(condition ? { Condition: condition } : {}),
    Properties: {
      Queues: queueLogicalIds.map(ref),
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: queueLogicalIds.map((id) => ({
          Sid: `EventBridgeTo${id}`,
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: getAtt(id, 'Arn'),
          Condition: { ArnEquals: { 'aws:SourceArn': sourceArns } },
        })),
      },
    },
  };
}

export const lambdaTrustPolicy = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

/** Trust policy for a service principal, limited to this account (confused-deputy protection). */
export function serviceTrustPolicy(service: string): Cfn {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: service },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': ref('AWS::AccountId') } },
      },
    ],
  };
}

/** EventBridge retries a target for up to a day before the event goes to the target's DLQ. */
export const TARGET_RETRY_POLICY = { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 };

/**
 * The condition limiting `events:PutEvents` to events of the given sources. `events:source` is
 * multivalued (one value per entry of the request): `ForAllValues:` makes every entry's source count,
 * and the `Null` check refuses a request without one (`ForAllValues:` alone matches an empty set).
 */
export function eventSourceCondition(sources: string[]): Record<string, unknown> {
  return {
    'ForAllValues:StringEquals': { 'events:source': sources },
    Null: { 'events:source': 'false' },
  };
}
