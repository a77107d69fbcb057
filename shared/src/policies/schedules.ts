import { RestoreRequested } from '../contracts/events';
import { EXPRESSION_FIX, SCHEDULE_EXPRESSION, SCHEDULE_NAME } from './expressions';
import type { PolicyIssues } from './issues';

/**
 * The `schedules` section: scheduled runs (what Trapheus did with a CloudWatch Events rule), each an
 * EventBridge Scheduler schedule that puts a `RestoreRequested` on the Rewind bus:
 *
 * { "schedules": [ { "name": "refresh-staging", "expression": "cron(0 3 ? * MON-FRI *)",
 *     "timezone": "Europe/Paris", "enabled": true, "description": "...",
 *     "request": { "identifier": "staging-db", "task": "db_restore", "isCluster": false } } ] }
 *
 * Each firing gets `requestId` `<name>/<scheduled time>`, so a retried delivery starts no second run.
 */
export interface ScheduleSpec {
  name: string;
  expression: string;
  timezone?: string;
  enabled?: boolean;
  description?: string;
  request: Record<string, unknown>;
}

/** Validates the section; each request must be a valid `RestoreRequested` (Rewind's own contract). */
export function parseSchedules(raw: unknown, issues: PolicyIssues): ScheduleSpec[] {
  if (!Array.isArray(raw)) {
    issues.add(
      'schedules',
      'must be a list: "schedules": [ { "name": ..., "expression": ..., "request": {...} } ]',
    );
    return [];
  }
  const seen = new Set<string>();
  return raw.flatMap((entry: ScheduleSpec, i) => {
    const where = `schedules[${i}]${typeof entry?.name === 'string' ? ` (${entry.name})` : ''}`;
    const before = issues.count;
    if (!entry || typeof entry !== 'object') {
      issues.add(where, 'must be an object with "name", "expression" and "request"');
      return [];
    }
    if (typeof entry.name !== 'string' || !SCHEDULE_NAME.test(entry.name)) {
      issues.add(`${where}.name`, 'must be 1-40 letters, digits, . _ -; name the schedule');
    } else if (seen.has(entry.name)) {
      issues.add(`${where}.name`, 'is used twice; give each schedule its own name');
    }
    seen.add(entry.name);
    if (typeof entry.expression !== 'string' || !SCHEDULE_EXPRESSION.test(entry.expression)) {
      issues.add(`${where}.expression`, `"${String(entry.expression)}" is not a schedule: ${EXPRESSION_FIX}`);
    }
    if (entry.request && typeof entry.request === 'object' && 'requestId' in entry.request) {
      issues.add(`${where}.request.requestId`, 'is set per firing (<name>/<scheduled time>); leave it out');
    } else {
      const checked = RestoreRequested.safeParse({
        ...entry.request,
        requestId: `${entry.name}/2024-01-01T00:00:00Z`,
      });
      if (!checked.success) {
        for (const x of checked.error.issues) {
          issues.add(`${where}.request${x.path.length ? `.${x.path.join('.')}` : ''}`, x.message);
        }
      }
    }
    return issues.count === before ? [entry] : [];
  });
}
