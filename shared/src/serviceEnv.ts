import { ENV, type FinalSnapshotPolicy, type LogLevel, type WaitConfig } from './config';
import type { ServiceName } from './topology';

/**
 * The environment every service function gets, built in one place for the deployment and the local
 * cloud. Keys are the `ENV` names `loadConfig` reads.
 */
export interface ServiceEnvironmentInput {
  busName: string;
  tableName: string;
  inboxUrls: Partial<Record<ServiceName, string>>;
  wait?: Partial<Omit<WaitConfig, 'deadlines'>> & { deadlines?: Partial<WaitConfig['deadlines']> };
  optInTagKey?: string;
  finalSnapshot?: FinalSnapshotPolicy;
  notifyOnSuccess?: boolean;
  senderEmail?: string;
  recipientEmails?: string[];
  slackWebhookUrls?: string[];
  slackWebhooksParam?: string;
  logLevel?: LogLevel;
  /** The account the functions run in (the home of resource addresses). */
  accountId?: string;
  /** Roles to assume for other accounts, by account id. */
  accountRoles?: Record<string, string>;
  /** The `drPlans` section of the configuration file (services/failover). */
  drPlans?: unknown;
}

/** Waiting compressed for the local cloud, whose RDS runs on a time scale (SQS delays are whole seconds). */
export const LOCAL_WAIT: WaitConfig = {
  firstCheckSeconds: 1,
  maxCheckSeconds: 2,
  confirmSeconds: 1,
  renameCheckSeconds: 1,
  actTimeoutSeconds: 5,
  deadlines: {
    snapshot: 120,
    rename: 60,
    restore: 180,
    delete: 60,
    rollback: 180,
    failover: 180,
    ack: 60,
    copy: 240,
  },
};

export function serviceEnvironment(input: ServiceEnvironmentInput): Record<string, string> {
  const env: Record<string, string | undefined> = {
    [ENV.busName]: input.busName,
    [ENV.tableName]: input.tableName,
    [ENV.optInTagKey]: input.optInTagKey,
    [ENV.finalSnapshot]: input.finalSnapshot,
    [ENV.notifyOnSuccess]: input.notifyOnSuccess === undefined ? undefined : String(input.notifyOnSuccess),
    [ENV.senderEmail]: input.senderEmail,
    [ENV.recipientEmails]: input.recipientEmails?.join(','),
    [ENV.slackWebhookUrls]: input.slackWebhookUrls?.join(','),
    [ENV.slackWebhooksParam]: input.slackWebhooksParam,
    [ENV.logLevel]: input.logLevel,
    [ENV.accountId]: input.accountId,
    [ENV.accountRoles]: input.accountRoles
      ? Object.entries(input.accountRoles)
          .map(([account, role]) => `${account}=${role}`)
          .join(',')
      : undefined,
    [ENV.firstCheckSeconds]: input.wait?.firstCheckSeconds?.toString(),
    [ENV.maxCheckSeconds]: input.wait?.maxCheckSeconds?.toString(),
    [ENV.confirmSeconds]: input.wait?.confirmSeconds?.toString(),
    [ENV.renameCheckSeconds]: input.wait?.renameCheckSeconds?.toString(),
    [ENV.actTimeoutSeconds]: input.wait?.actTimeoutSeconds?.toString(),
    [ENV.deadlineSnapshotSeconds]: input.wait?.deadlines?.snapshot?.toString(),
    [ENV.deadlineRenameSeconds]: input.wait?.deadlines?.rename?.toString(),
    [ENV.deadlineRestoreSeconds]: input.wait?.deadlines?.restore?.toString(),
    [ENV.deadlineDeleteSeconds]: input.wait?.deadlines?.delete?.toString(),
    [ENV.deadlineRollbackSeconds]: input.wait?.deadlines?.rollback?.toString(),
    [ENV.deadlineFailoverSeconds]: input.wait?.deadlines?.failover?.toString(),
    [ENV.deadlineAckSeconds]: input.wait?.deadlines?.ack?.toString(),
    [ENV.deadlineCopySeconds]: input.wait?.deadlines?.copy?.toString(),
    [ENV.drPlans]: input.drPlans === undefined ? undefined : JSON.stringify(input.drPlans),
  };
  for (const [service, url] of Object.entries(input.inboxUrls))
    env[ENV.inboxUrl(service as ServiceName)] = url;
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}
