import type { ResourceNames } from '@rewind/shared/src/resourceNames';
import { LOCAL_WAIT, serviceEnvironment } from '@rewind/shared/src/serviceEnv';
import type { ProvisionedResources } from './provision/provision';

export interface RewindEnvironmentInput {
  names: ResourceNames;
  resources: ProvisionedResources | undefined;
  /**
   * An emulated endpoint (ours or another AWS-compatible one): compressed waits and the notification
   * sinks of a local cloud there. Undefined = a real account: the deployment's defaults (real waits, no
   * notification channel).
   */
  endpoint?: string;
  verbose?: boolean;
}

/** What Rewind's service handlers read (bus, table, inboxes, waits, notification sinks). */
export function rewindEnvironment(input: RewindEnvironmentInput): Record<string, string> {
  const inboxUrls = Object.fromEntries(
    Object.entries(input.resources?.services ?? {}).map(([service, r]) => [service, r.inbox.url]),
  );
  const emulated =
    input.endpoint === undefined
      ? {}
      : {
          wait: LOCAL_WAIT,
          senderEmail: 'rewind@example.com',
          recipientEmails: ['oncall@example.com'],
          slackWebhookUrls: [`${input.endpoint}/_rewind/webhook/slack`],
        };
  return serviceEnvironment({
    busName: input.names.busName,
    tableName: input.names.tableName,
    inboxUrls,
    ...emulated,
    logLevel: input.verbose ? 'info' : 'warn',
  });
}
