import { signingNameOf } from '../http';
import type { LocalRequest } from '../types';

/** X-Amz-Target prefixes (before the first dot) of JSON-protocol services, by signing name. */
const TARGET_PREFIXES: Record<string, string> = {
  AmazonSQS: 'sqs',
  DynamoDB_20120810: 'dynamodb',
  DynamoDB_20111205: 'dynamodb',
  AWSEvents: 'events',
  TrentService: 'kms',
};

/** Query-protocol actions of SNS, SES and STS; any other action naming a DB resource is RDS. */
const QUERY_ACTIONS: Record<string, string> = {
  SendEmail: 'ses',
  SendRawEmail: 'ses',
  GetCallerIdentity: 'sts',
};
const SNS_ACTIONS =
  /^(Publish|PublishBatch|CreateTopic|DeleteTopic|ListTopics|Subscribe|Unsubscribe|ConfirmSubscription|ListSubscriptions|ListSubscriptionsByTopic|GetTopicAttributes|SetTopicAttributes|GetSubscriptionAttributes|SetSubscriptionAttributes|TagResource|UntagResource|ListTagsForResource)$/;
const RDS_ACTIONS =
  /DB|^DescribeEvent|EventSubscription|ExportTask|^DescribeOrderable|^DescribeEngineDefault|^DescribeAccountAttributes$/;

export interface ResolvedService {
  name: string;
  /** Which part of the request named it (for verbose logs and tests). */
  by: 'signature' | 'target' | 'action' | 'path';
}

function formAction(req: LocalRequest): string | undefined {
  const fromQuery = req.query.get('Action');
  if (fromQuery) return fromQuery;
  const contentType = String(req.headers['content-type'] ?? '');
  if (!contentType.includes('x-www-form-urlencoded')) return undefined;
  return new URLSearchParams(req.body.toString('utf8')).get('Action') ?? undefined;
}

function serviceOfAction(action: string): string | undefined {
  if (QUERY_ACTIONS[action]) return QUERY_ACTIONS[action];
  if (SNS_ACTIONS.test(action)) return 'sns';
  if (RDS_ACTIONS.test(action)) return 'rds';
  return undefined;
}

/**
 * The service a request is for: the SigV4 credential scope's service, else the X-Amz-Target prefix,
 * else the query `Action` (form body or query string), else an SES v2 REST path.
 */
export function resolveService(req: LocalRequest): ResolvedService | undefined {
  const signed = signingNameOf(req.headers);
  if (signed) return { name: signed, by: 'signature' };
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    const prefix = target.split('.')[0] ?? '';
    const name = TARGET_PREFIXES[prefix];
    if (name) return { name, by: 'target' };
  }
  const action = formAction(req);
  if (action) {
    const name = serviceOfAction(action);
    if (name) return { name, by: 'action' };
  }
  if (req.path.startsWith('/v2/email/')) return { name: 'ses', by: 'path' };
  return undefined;
}

/** A name for an unroutable request's service in error messages. */
export function describeUnresolved(req: LocalRequest): string {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return `X-Amz-Target ${target}`;
  const action = formAction(req);
  if (action) return `Action ${action}`;
  return `${req.method} ${req.path} (no SigV4 signature, X-Amz-Target or Action)`;
}
