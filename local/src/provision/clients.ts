import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS } from '../runtime/functionRuntime';

/** Where to provision: an AWS-compatible endpoint (test credentials), or real AWS when `endpoint` is undefined. */
export interface AwsTarget {
  endpoint?: string;
  region: string;
  /** Against `endpoint`: the account's credentials (default: the test key, the local cloud's default account). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export function awsClients(target: AwsTarget) {
  const config = {
    region: target.region,
    ...(target.endpoint
      ? { endpoint: target.endpoint, credentials: target.credentials ?? LOCAL_CREDENTIALS }
      : {}),
  };
  return {
    events: new EventBridgeClient(config),
    sqs: new SQSClient(config),
    sns: new SNSClient(config),
    dynamodb: new DynamoDBClient(config),
    destroy() {
      for (const c of [this.events, this.sqs, this.sns, this.dynamodb]) c.destroy();
    },
  };
}
