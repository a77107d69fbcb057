/**
 * RDS event subscriptions publish to SNS as the service principal `events.rds.amazonaws.com`, with
 * `aws:SourceArn` = the ARN of the resource the event is about (the DB instance, cluster or snapshot) and
 * `aws:SourceAccount` = the account: the topic's resource policy must allow that, or the notification is
 * dropped. This wraps the RDS emulator's SNS publisher with that check.
 */
import type { SnsPublisher } from '../rds';
import type { EmulatedService, LocalIdentity } from '../types';
import type { IamAuthorizer } from './authorizer';
import type { PolicyDocument } from './evaluate';

export const RDS_EVENTS_PRINCIPAL = 'events.rds.amazonaws.com';

/** `Event Source` of an RDS notification -> resource type in the ARN. */
const SOURCE_TYPES: Record<string, string> = {
  'db-instance': 'db',
  'db-cluster': 'cluster',
  'db-snapshot': 'snapshot',
  'db-cluster-snapshot': 'cluster-snapshot',
  'db-parameter-group': 'pg',
  'db-security-group': 'secgrp',
};

function decodeXml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The topic's `Policy` attribute, read from the SNS emulator in process. */
async function topicPolicy(sns: EmulatedService, topicArn: string): Promise<PolicyDocument | undefined> {
  const body = new URLSearchParams({ Action: 'GetTopicAttributes', TopicArn: topicArn }).toString();
  const res = await sns.handle({
    method: 'POST',
    path: '/',
    query: new URLSearchParams(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: Buffer.from(body),
  });
  const xml = String(res.body);
  const m = /<key>Policy<\/key>\s*<value>([\s\S]*?)<\/value>/.exec(xml);
  return m ? (JSON.parse(decodeXml(m[1]!)) as PolicyDocument) : undefined;
}

export function guardRdsPublisher(
  publisher: SnsPublisher,
  sns: EmulatedService,
  authorizer: IamAuthorizer,
  identity: LocalIdentity,
  log: (line: string) => void,
): SnsPublisher {
  return {
    async publish(topicArn, message, subject) {
      const notification = JSON.parse(message) as Record<string, string>;
      const type = SOURCE_TYPES[notification['Event Source'] ?? ''] ?? 'db';
      // The topic's account is the subscription's, hence the resource's (an account's subscriptions).
      const account = topicArn.split(':')[4] || identity.accountId;
      const sourceArn = `arn:aws:rds:${identity.region}:${account}:${type}:${notification['Source ID'] ?? ''}`;
      const allowed = authorizer.allowsServicePublish(
        await topicPolicy(sns, topicArn),
        RDS_EVENTS_PRINCIPAL,
        {
          action: 'sns:Publish',
          resource: topicArn,
          context: { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': account },
        },
      );
      if (!allowed) {
        log(`[iam] RDS notification about ${sourceArn} dropped: the policy of ${topicArn} does not allow it`);
        return;
      }
      await publisher.publish(topicArn, message, subject);
    },
  };
}
