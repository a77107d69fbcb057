import { RUN_STATUSES, type RunRecord, type RunStatus } from '@rewind/shared';
import type { Clients } from './context';
import { isInvalidRequest, reasonOf, taskOf } from './runView';

export interface RunFilter {
  /** One status, or all of them merged. */
  status?: RunStatus;
  /** At most this many runs (default 20). */
  limit?: number;
  /** Only runs created at or after this ISO time. */
  since?: string;
  /** Only runs of this database (identifier, exact). */
  identifier?: string;
}

/**
 * Recent runs, newest first: what `rewind list` prints and the console's runs page shows. Each status is
 * one query of the by-status index (newest first); the merge keeps the newest `limit` of all. With an
 * identifier, each query reads further (up to 10 pages) until `limit` runs of that database are found.
 */
export async function recentRuns(clients: Clients, filter: RunFilter = {}): Promise<RunRecord[]> {
  const limit = filter.limit ?? 20;
  const statuses = filter.status ? [filter.status] : RUN_STATUSES;
  const matches = (r: RunRecord) => !filter.identifier || r.identifier === filter.identifier;
  const pages = await Promise.all(
    statuses.map(async (status) => {
      const found: RunRecord[] = [];
      let cursor: Record<string, unknown> | undefined;
      for (let page = 0; page < (filter.identifier ? 10 : 1); page++) {
        const out = await clients.store.listRuns(status, { limit, since: filter.since, cursor });
        found.push(...out.runs.filter(matches));
        cursor = out.cursor;
        if (!cursor || found.length >= limit) break;
      }
      return found;
    }),
  );
  return pages
    .flat()
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.runId.localeCompare(a.runId))
    .slice(0, limit);
}

/** Whether the run is still under way. */
export const isActive = (r: RunRecord) => r.status === 'running' || r.status === 'rolling-back';

/** What the NOTE column says: the replay link, why the run did not complete, or its warning. */
export function noteOf(r: RunRecord): string {
  return [r.replayOf && `replay of ${r.replayOf}`, reasonOf(r), ...r.warnings.map((w) => `warning: ${w}`)]
    .filter(Boolean)
    .join('; ');
}

/** A run as `rewind list --json` gives it. */
export function listedRun(r: RunRecord) {
  return {
    runId: r.runId,
    status: r.status,
    task: taskOf(r) ?? null,
    kind: r.kind,
    identifier: r.identifier,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    requestId: r.requestId,
    replayOf: r.replayOf,
    ...(isInvalidRequest(r) ? { invalidRequest: true } : {}),
    reason: reasonOf(r),
    warnings: r.warnings,
  };
}
