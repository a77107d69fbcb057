import type { ReplicationPolicy } from '@rewind/shared/src/policies/replication';
import type { ResourceNames } from '@rewind/shared/src/resourceNames';
import { encodePoliciesEnv, POLICIES_ENV_NAME } from '@rewind/shared/src/replication/policiesEnv';
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

/**
 * Replication policies above this size go gzipped, as a deployment does when they do not fit Lambda's 4 KB
 * environment beside the other variables: the local cloud reads both forms the same way.
 */
const LOCAL_PLAIN_LIMIT = 2048;

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
    ? { [POLICIES_ENV_NAME]: encodePoliciesEnv(input.replicationPolicies, LOCAL_PLAIN_LIMIT) }
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
