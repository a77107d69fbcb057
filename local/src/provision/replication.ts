/**
 * Replication between accounts on the local cloud, wired as the deployment wires it, from the same shared
 * module (`shared/src/replication/forwarding.ts`): this account's rules forwarding `SnapshotShared` to the
 * destination accounts' buses and the answers back to the source's, each target's dead-letter queue the
 * replication inbox (an event a peer bus refuses comes back there with EventBridge's error attributes),
 * and this bus's resource policy letting the peer accounts put events on it.
 */
import { PutPermissionCommand } from '@aws-sdk/client-eventbridge';
import { SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import {
  peerBusArn,
  replicationBusPrincipals,
  replicationForwardingRules,
} from '@rewind/shared/src/replication/forwarding';
import type { ReplicationPolicy } from '@rewind/shared/src/policies/replication';
import type { ResourceNames } from '@rewind/shared/src/resourceNames';
import { ProvisionError } from '../errors';
import { ensureRule } from './bus';
import { awsClients, type AwsTarget } from './clients';
import { TARGET_RETRY_POLICY, type ProvisionedResources } from './provision';
import { eventBridgeSendPolicy } from './queues';

export interface ProvisionedReplication {
  /** Forwarding rules on this account's bus, each to one peer account's bus. */
  rules: { name: string; arn: string; peerAccount: string; targetArn: string }[];
  /** Accounts this bus accepts events from (its policy statements `replication-from-<account>`). */
  busPrincipals: string[];
}

/** The statement id of a peer account in the bus policy. */
export const peerStatementId = (account: string) => `replication-from-${account}`;

export async function provisionReplication(
  target: AwsTarget & {
    accountId: string;
    names: ResourceNames;
    resources: ProvisionedResources;
    policies: readonly ReplicationPolicy[];
  },
): Promise<ProvisionedReplication> {
  const { names, resources, accountId, region } = target;
  const rules = replicationForwardingRules(target.policies, accountId);
  const busPrincipals = replicationBusPrincipals(target.policies, accountId);
  if (rules.length === 0 && busPrincipals.length === 0) return { rules: [], busPrincipals: [] };
  const replication = resources.services.replication;
  const clients = awsClients(target);
  const step = async <T>(what: string, run: () => Promise<T>) => {
    try {
      return await run();
    } catch (err) {
      throw new ProvisionError(`${what} (account ${accountId})`, err);
    }
  };
  try {
    const made: ProvisionedReplication['rules'] = [];
    for (const rule of rules) {
      const name = names.rule('replication', rule.name);
      const targetArn = peerBusArn(region, rule.peerAccount, names.busName);
      const created = await step(`rule ${name}`, () =>
        ensureRule(clients.events, {
          name,
          busName: names.busName,
          description: rule.description,
          pattern: rule.pattern,
          target: {
            Id: 'peer-bus',
            Arn: targetArn,
            RetryPolicy: TARGET_RETRY_POLICY,
            DeadLetterConfig: { Arn: replication.inbox.arn },
          },
        }),
      );
      made.push({ ...created, peerAccount: rule.peerAccount, targetArn });
    }
    // The inbox is also the forwarding rules' dead-letter queue: EventBridge may send to it for them too.
    await step(`policy of ${replication.inbox.name}`, () =>
      clients.sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: replication.inbox.url,
          Attributes: {
            Policy: eventBridgeSendPolicy(replication.inbox.arn, [
              ...replication.rules.map((r) => r.arn),
              ...made.map((r) => r.arn),
            ]),
          },
        }),
      ),
    );
    for (const account of busPrincipals) {
      await step(`bus policy of ${names.busName}`, () =>
        clients.events.send(
          new PutPermissionCommand({
            EventBusName: names.busName,
            StatementId: peerStatementId(account),
            Principal: account,
            Action: 'events:PutEvents',
          }),
        ),
      );
    }
    return { rules: made, busPrincipals };
  } finally {
    clients.destroy();
  }
}
