import type { Home } from './contracts/address';
import type { ServiceName } from './topology';

/**
 * Runtime configuration of every service, read from the environment (set by each service's
 * serverless.ts in AWS, and by the local cloud's function runtime). Names are listed once here.
 */
export const ENV = {
  busName: 'REWIND_BUS_NAME',
  tableName: 'REWIND_TABLE_NAME',
  /** Per service: `REWIND_INBOX_URL_SNAPSHOT`, ...; a service sends its deadline checks there. */
  inboxUrl: (service: ServiceName) => `REWIND_INBOX_URL_${service.toUpperCase()}`,
  optInTagKey: 'REWIND_OPT_IN_TAG_KEY',
  optInTagValue: 'REWIND_OPT_IN_TAG_VALUE',
  finalSnapshot: 'REWIND_FINAL_SNAPSHOT',
  notifyOnSuccess: 'REWIND_NOTIFY_ON_SUCCESS',
  senderEmail: 'REWIND_SENDER_EMAIL',
  recipientEmails: 'REWIND_RECIPIENT_EMAILS',
  slackWebhooksParam: 'REWIND_SLACK_WEBHOOKS_PARAM',
  slackWebhookUrls: 'REWIND_SLACK_WEBHOOK_URLS',
  firstCheckSeconds: 'REWIND_WAIT_FIRST_CHECK_SECONDS',
  maxCheckSeconds: 'REWIND_WAIT_MAX_CHECK_SECONDS',
  confirmSeconds: 'REWIND_WAIT_CONFIRM_SECONDS',
  renameCheckSeconds: 'REWIND_WAIT_RENAME_CHECK_SECONDS',
  actTimeoutSeconds: 'REWIND_WAIT_ACT_TIMEOUT_SECONDS',
  deadlineSnapshotSeconds: 'REWIND_DEADLINE_SNAPSHOT_SECONDS',
  deadlineRenameSeconds: 'REWIND_DEADLINE_RENAME_SECONDS',
  deadlineRestoreSeconds: 'REWIND_DEADLINE_RESTORE_SECONDS',
  deadlineDeleteSeconds: 'REWIND_DEADLINE_DELETE_SECONDS',
  deadlineRollbackSeconds: 'REWIND_DEADLINE_ROLLBACK_SECONDS',
  /** A DR run's layers, all together (services/failover). */
  deadlineFailoverSeconds: 'REWIND_DEADLINE_FAILOVER_SECONDS',
  /** How long a replication's source waits for a destination account to acknowledge a shared snapshot. */
  deadlineAckSeconds: 'REWIND_DEADLINE_ACK_SECONDS',
  deadlineCopySeconds: 'REWIND_DEADLINE_COPY_SECONDS',
  /** The `drPlans` section of the configuration file, as JSON (services/failover). */
  drPlans: 'REWIND_DR_PLANS',
  /** The `replication` section of the configuration file, as a JSON list (services/replication). */
  replicationPolicies: 'REWIND_REPLICATION_POLICIES',
  logLevel: 'REWIND_LOG_LEVEL',
  /** The account Rewind runs in (the deployment sets it; with AWS_REGION it is the home of addresses). */
  accountId: 'REWIND_ACCOUNT_ID',
  /** Roles to assume for other accounts: `123456789012=arn:aws:iam::123456789012:role/rewind,...`. */
  accountRoles: 'REWIND_ACCOUNT_ROLES',
} as const;

export type FinalSnapshotPolicy = 'always' | 'never';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface WaitConfig {
  /** Delay of the first deadline check after an RDS call. */
  firstCheckSeconds: number;
  /** Checks back off (x2) up to this delay (SQS allows at most 900 s). */
  maxCheckSeconds: number;
  /** Delay between the two describe calls that confirm a rename. */
  confirmSeconds: number;
  /**
   * While a rename is in flight: a check this often, without backoff. A rename emits no RDS event, lasts
   * minutes, and the name is unavailable meanwhile (downtime, for swap): confirmation lag is downtime.
   */
  renameCheckSeconds: number;
  /** A call not confirmed after this long is made again by the next deadline check. */
  actTimeoutSeconds: number;
  /** Rollback steps get their own, longer deadline: giving up on them leaves a database without its name. */
  deadlines: {
    snapshot: number;
    rename: number;
    restore: number;
    delete: number;
    rollback: number;
    /** A DR run (failback may build a cross-region replica first: hours). */
    failover: number;
    /** A destination account's acknowledgement of a shared snapshot (services/replication). */
    ack: number;
    /**
     * A destination account's copy of a shared snapshot, and the start of its restore run
     * (services/replication): a copy can take hours. The source waits for the outcome this long plus a
     * restore and a rollback.
     */
    copy: number;
  };
}

export interface RewindConfig {
  busName: string;
  tableName: string;
  inboxUrl: (service: ServiceName) => string;
  optIn: { key: string; value: string };
  finalSnapshot: FinalSnapshotPolicy;
  notifyOnSuccess: boolean;
  senderEmail?: string;
  recipientEmails: string[];
  slackWebhooksParam?: string;
  slackWebhookUrls: string[];
  wait: WaitConfig;
  logLevel: LogLevel;
  /** Where Rewind runs; undefined when the deployment does not say (then every address is home). */
  home?: Home;
  /** Role to assume per other account. */
  accountRoles: Record<string, string>;
}

/** Production defaults: RDS operations take minutes to hours (see docs/operations.md). */
export const DEFAULT_WAIT: WaitConfig = {
  firstCheckSeconds: 30,
  maxCheckSeconds: 900,
  confirmSeconds: 10,
  renameCheckSeconds: 5,
  actTimeoutSeconds: 120,
  deadlines: {
    snapshot: 6 * 3600,
    rename: 45 * 60,
    restore: 8 * 3600,
    delete: 2 * 3600,
    rollback: 3 * 3600,
    failover: 8 * 3600,
    ack: 15 * 60,
    copy: 48 * 3600,
  },
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(`${name}=${raw} is not a number of seconds`);
  return n;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigError(`${name} is not set; the deployment (or the local cloud) must set it`);
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): RewindConfig {
  const finalSnapshot = (env[ENV.finalSnapshot] ?? 'always') as FinalSnapshotPolicy;
  if (!['always', 'never'].includes(finalSnapshot)) {
    throw new ConfigError(`${ENV.finalSnapshot}=${finalSnapshot}: use "always" or "never"`);
  }
  const logLevel = (env[ENV.logLevel] ?? 'info') as LogLevel;
  return {
    busName: required(env, ENV.busName),
    tableName: required(env, ENV.tableName),
    inboxUrl: (service) => required(env, ENV.inboxUrl(service)),
    optIn: { key: env[ENV.optInTagKey] || 'rewind:allow', value: env[ENV.optInTagValue] || 'true' },
    finalSnapshot,
    notifyOnSuccess: env[ENV.notifyOnSuccess] === 'true',
    senderEmail: env[ENV.senderEmail] || undefined,
    recipientEmails: list(env[ENV.recipientEmails]),
    slackWebhooksParam: env[ENV.slackWebhooksParam] || undefined,
    slackWebhookUrls: list(env[ENV.slackWebhookUrls]),
    wait: {
      firstCheckSeconds: seconds(env, ENV.firstCheckSeconds, DEFAULT_WAIT.firstCheckSeconds),
      maxCheckSeconds: Math.min(900, seconds(env, ENV.maxCheckSeconds, DEFAULT_WAIT.maxCheckSeconds)),
      confirmSeconds: seconds(env, ENV.confirmSeconds, DEFAULT_WAIT.confirmSeconds),
      renameCheckSeconds: seconds(env, ENV.renameCheckSeconds, DEFAULT_WAIT.renameCheckSeconds),
      actTimeoutSeconds: seconds(env, ENV.actTimeoutSeconds, DEFAULT_WAIT.actTimeoutSeconds),
      deadlines: {
        snapshot: seconds(env, ENV.deadlineSnapshotSeconds, DEFAULT_WAIT.deadlines.snapshot),
        rename: seconds(env, ENV.deadlineRenameSeconds, DEFAULT_WAIT.deadlines.rename),
        restore: seconds(env, ENV.deadlineRestoreSeconds, DEFAULT_WAIT.deadlines.restore),
        delete: seconds(env, ENV.deadlineDeleteSeconds, DEFAULT_WAIT.deadlines.delete),
        rollback: seconds(env, ENV.deadlineRollbackSeconds, DEFAULT_WAIT.deadlines.rollback),
        failover: seconds(env, ENV.deadlineFailoverSeconds, DEFAULT_WAIT.deadlines.failover),
        ack: seconds(env, ENV.deadlineAckSeconds, DEFAULT_WAIT.deadlines.ack),
        copy: seconds(env, ENV.deadlineCopySeconds, DEFAULT_WAIT.deadlines.copy),
      },
    },
    logLevel,
    home:
      env[ENV.accountId] && env.AWS_REGION
        ? { account: env[ENV.accountId]!, region: env.AWS_REGION }
        : undefined,
    accountRoles: accountRoles(env[ENV.accountRoles]),
  };
}

function accountRoles(value: string | undefined): Record<string, string> {
  const roles: Record<string, string> = {};
  for (const entry of list(value)) {
    const [account, role] = entry.split('=');
    if (!/^\d{12}$/.test(account ?? '') || !role?.startsWith('arn:')) {
      throw new ConfigError(
        `${ENV.accountRoles}: "${entry}" is not <12-digit account>=<role ARN>, e.g. 123456789012=arn:aws:iam::123456789012:role/rewind`,
      );
    }
    roles[account!] = role;
  }
  return roles;
}
