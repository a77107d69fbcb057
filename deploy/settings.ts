import {
  POLICY_FILE_ENV,
  policyFileFromEnv,
  readPolicyFile,
  type DrPlansSection,
  type ReplicationPolicy,
} from '@rewind/shared';

/**
 * Settings that must be known when a stack's configuration is generated (not osls `${param:...}`
 * variables, which are resolved later): read from the environment of `serverless deploy/package`.
 */
export interface BuildSettings {
  /**
   * The opt-in tag key. It names an IAM condition key (`aws:ResourceTag/<key>`), and neither osls nor
   * CloudFormation can put a variable in a JSON key, so it is fixed at generation time.
   */
  optInTagKey: string;
  /**
   * The policy file (`REWIND_CONFIG_FILE`, or the older `REWIND_SCHEDULES_FILE`): scheduled runs and
   * snapshot policies, deployed as EventBridge Scheduler schedules (shared/src/policies); none when absent.
   */
  schedulesFile?: string;
  /** The configuration file's DR plans (its `drPlans` section, validated): none when no file is given. */
  drPlans: DrPlansSection;
  /** The configuration file's replication policies (its `replication` section, validated). */
  replication: ReplicationPolicy[];
  /**
   * The account deployed to (`REWIND_ACCOUNT_ID`): the same file is deployed in every account, and which
   * forwarding rules, bus policy statements, schedules and keys a stack gets depends on the side of each
   * replication policy this account is on. Needed only when the file has replication policies.
   */
  accountId?: string;
}

export const SETTINGS_ENV = {
  optInTagKey: 'REWIND_OPT_IN_TAG_KEY',
  schedulesFile: POLICY_FILE_ENV,
  accountId: 'REWIND_ACCOUNT_ID',
} as const;

export function buildSettings(env: NodeJS.ProcessEnv = process.env): BuildSettings {
  const config = readPolicyFile(policyFileFromEnv(env));
  return {
    optInTagKey: env[SETTINGS_ENV.optInTagKey] || 'rewind:allow',
    schedulesFile: policyFileFromEnv(env),
    drPlans: config.drPlans,
    replication: config.replication,
    accountId: env[SETTINGS_ENV.accountId] || undefined,
  };
}

/**
 * The account a stack is generated for, when the policy file has replication policies: refused with the
 * fix when it is not given (a stack generated for the wrong side would forward nothing, or the wrong
 * events). Without replication policies, none is needed (undefined).
 */
export function deployingAccount(settings: BuildSettings): string | undefined {
  if (!settings.replication.length) return settings.accountId;
  const id = settings.accountId;
  if (!id || !/^\d{12}$/.test(id)) {
    throw new Error(
      `${SETTINGS_ENV.accountId} ${id ? `is "${id}", not a 12-digit account id` : 'is not set'}: the policy file ` +
        `${settings.schedulesFile ?? ''} has replication policies, and each account deploys its own side of them. ` +
        `Deploy with ${SETTINGS_ENV.accountId}=$(aws sts get-caller-identity --query Account --output text)`,
    );
  }
  return id;
}
