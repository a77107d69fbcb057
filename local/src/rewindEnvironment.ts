import type { ReplicationPolicy } from '@rewind/shared/src/policies/replication';
import type { ResourceNames } from '@rewind/shared/src/resourceNames';
import { REPLICATION_POLICIES_ENV } from '../../services/replication/src/deps';
import { LOCAL_WAIT, serviceEnvironment } from '@rewind/shared/src/serviceEnv';
import type { ProvisionedResources } from './provision/provision';

export interface RewindEnvironmentInput {
  names: ResourceNames;
  resources: ProvisionedResources | undefined;
  /** An emulated endpoint: waits compressed for emulators. Undefined = a real account (real waits). */
  endpoint?: string;
  /** The endpoint is a Rewind local cloud: notify through its SES sink and its Slack webhook sink. */
  localCloud?: boolean;
  verbose?: boolean;
  /** The account the functions run in (the home of resource addresses). */
  accountId: string;
  /** The policy file's `replication` section (the replication service acts on its side of each). */
  replicationPolicies?: readonly ReplicationPolicy[];
}

/** The sender of the local cloud's notifications (its SES sink accepts it; its IAM allows it). */
export const LOCAL_SENDER = 'rewind@example.com';

/** What Rewind's service handlers read (bus, table, inboxes, waits, notification sinks). */
export function rewindEnvironment(input: RewindEnvironmentInput): Record<string, string> {
  const inboxUrls = Object.fromEntries(
    Object.entries(input.resources?.services ?? {}).map(([service, r]) => [service, r.inbox.url]),
  );
  const sinks =
    input.endpoint !== undefined && input.localCloud
      ? {
          senderEmail: LOCAL_SENDER,
          recipientEmails: ['oncall@example.com'],
          // The account in the URL: the sink records which account's Rewind sent each message.
          slackWebhookUrls: [`${input.endpoint}/_rewind/webhook/slack?account=${input.accountId}`],
        }
      : {};
  const replication: Record<string, string> = input.replicationPolicies?.length
    ? { [REPLICATION_POLICIES_ENV]: JSON.stringify(input.replicationPolicies) }
    : {};
  return {
    ...serviceEnvironment({
      busName: input.names.busName,
      tableName: input.names.tableName,
      inboxUrls,
      ...(input.endpoint === undefined ? {} : { wait: LOCAL_WAIT }),
      ...sinks,
      logLevel: input.verbose ? 'info' : 'warn',
      accountId: input.accountId,
    }),
    ...replication,
  };
}
