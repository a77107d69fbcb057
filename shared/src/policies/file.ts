import { readFileSync } from 'node:fs';
import { DrPlanError, parseDrPlans, type DrPlansSection } from './drPlans';
import { PolicyFileError, PolicyIssues } from './issues';
import { scheduleConflicts, schedulerSchedules } from './policySchedules';
import { parseSchedules } from './schedules';
import { parseReplicationPolicies } from './replication';
import { parseSnapshotPolicies } from './snapshotPolicies';

/**
 * The policy file (`rewind.config.json`): one validated JSON file that both the deployment and the local
 * cloud read. Each top-level key is a section with its own parser; adding a section is one line here.
 * Every mistake in every section is reported at once, one line each.
 */
const SECTIONS = {
  schedules: parseSchedules,
  snapshotPolicies: parseSnapshotPolicies,
  drPlans: drPlansSection,
  replication: parseReplicationPolicies,
} as const;

/** The DR plans (`drPlans`, docs/dr.md): its problems join the file's, one line each. */
function drPlansSection(raw: unknown, issues: PolicyIssues): DrPlansSection {
  try {
    return parseDrPlans(raw);
  } catch (err) {
    if (!(err instanceof DrPlanError)) throw err;
    for (const problem of err.problems) issues.add('drPlans', problem.replace(/^drPlans: /, ''));
    return { plans: {} };
  }
}

export type PolicySection = keyof typeof SECTIONS;
export type PolicyConfig = { [K in PolicySection]: ReturnType<(typeof SECTIONS)[K]> };

/** Where the file is named: `--config` on the CLI, else this variable (the old name still works). */
export const POLICY_FILE_ENV = 'REWIND_CONFIG_FILE';
export const LEGACY_SCHEDULES_FILE_ENV = 'REWIND_SCHEDULES_FILE';

export const EMPTY_POLICY_CONFIG: PolicyConfig = {
  schedules: [],
  snapshotPolicies: [],
  drPlans: { plans: {} },
  replication: [],
};

/** Validates a parsed file; throws `PolicyFileError` listing every mistake. */
export function parsePolicyConfig(raw: unknown, file = 'the policy file'): PolicyConfig {
  const issues = new PolicyIssues();
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new PolicyFileError(file, [
      '(top level): must be a JSON object, e.g. { "snapshotPolicies": [...] }',
    ]);
  }
  const known = Object.keys(SECTIONS);
  for (const key of Object.keys(raw)) {
    if (!known.includes(key) && key !== '$comment') {
      issues.add(key, `is not a section; the sections are ${known.join(', ')} (and "$comment")`);
    }
  }
  const config = Object.fromEntries(
    known.map((key) => {
      const value = (raw as Record<string, unknown>)[key];
      return [
        key,
        value === undefined
          ? EMPTY_POLICY_CONFIG[key as PolicySection]
          : SECTIONS[key as PolicySection](value, issues),
      ];
    }),
  ) as PolicyConfig;
  if (!issues.count)
    for (const problem of scheduleConflicts(schedulerSchedules(config))) issues.add('schedules', problem);
  if (issues.count) throw new PolicyFileError(file, issues.list);
  return config;
}

/** Reads and validates the file; an absent path means no policies. */
export function readPolicyFile(file: string | undefined): PolicyConfig {
  if (!file) return EMPTY_POLICY_CONFIG;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PolicyFileError(file, [`cannot read the file (${(err as Error).message}); check the path`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new PolicyFileError(file, [`is not JSON (${(err as Error).message}); fix the syntax`]);
  }
  return parsePolicyConfig(raw, file);
}

/** The file named by the environment (`REWIND_CONFIG_FILE`, else the older `REWIND_SCHEDULES_FILE`). */
export function policyFileFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[POLICY_FILE_ENV] || env[LEGACY_SCHEDULES_FILE_ENV] || undefined;
}
