import { POLICY_FILE_ENV, policyFileFromEnv, readPolicyFile, type DrPlansSection } from '@rewind/shared';

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
}

export const SETTINGS_ENV = {
  optInTagKey: 'REWIND_OPT_IN_TAG_KEY',
  schedulesFile: POLICY_FILE_ENV,
} as const;

export function buildSettings(env: NodeJS.ProcessEnv = process.env): BuildSettings {
  return {
    optInTagKey: env[SETTINGS_ENV.optInTagKey] || 'rewind:allow',
    schedulesFile: policyFileFromEnv(env),
    drPlans: readPolicyFile(policyFileFromEnv(env)).drPlans,
  };
}
