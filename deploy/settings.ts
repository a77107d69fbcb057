import { readFileSync } from 'node:fs';
import { drPlansOf, DrPlanError, type DrPlansSection } from '@rewind/shared';

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
  /** The configuration file's DR plans (its `drPlans` section, validated): none when no file is given. */
  drPlans: DrPlansSection;
}

export const SETTINGS_ENV = {
  optInTagKey: 'REWIND_OPT_IN_TAG_KEY',
  schedulesFile: 'REWIND_SCHEDULES_FILE',
  /** The configuration file holding the `drPlans` section (DR plans). */
  configFile: 'REWIND_CONFIG_FILE',
} as const;

export function buildSettings(env: NodeJS.ProcessEnv = process.env): BuildSettings {
  return {
    optInTagKey: env[SETTINGS_ENV.optInTagKey] || 'rewind:allow',
    schedulesFile: env[SETTINGS_ENV.schedulesFile] || undefined,
    drPlans: drPlansFromFile(env[SETTINGS_ENV.configFile]),
  };
}

/** The `drPlans` section of the configuration file; a mistake fails the generation with every problem. */
function drPlansFromFile(file: string | undefined): DrPlansSection {
  if (!file) return { plans: {} };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(
      `${SETTINGS_ENV.configFile}=${file}: cannot read it as JSON (${(err as Error).message})`,
      {
        cause: err,
      },
    );
  }
  try {
    return drPlansOf(json);
  } catch (err) {
    if (err instanceof DrPlanError) throw new Error(`${file}: ${err.message}`, { cause: err });
    throw err;
  }
}
