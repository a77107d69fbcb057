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
  /** JSON file of EventBridge Scheduler schedules (see deploy/schedules.ts); none when absent. */
  schedulesFile?: string;
}

export const SETTINGS_ENV = {
  optInTagKey: 'REWIND_OPT_IN_TAG_KEY',
  schedulesFile: 'REWIND_SCHEDULES_FILE',
} as const;

export function buildSettings(env: NodeJS.ProcessEnv = process.env): BuildSettings {
  return {
    optInTagKey: env[SETTINGS_ENV.optInTagKey] || 'rewind:allow',
    schedulesFile: env[SETTINGS_ENV.schedulesFile] || undefined,
  };
}
