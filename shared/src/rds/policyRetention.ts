import { DescribeExportTasksCommand, type RDSClient } from '@aws-sdk/client-rds';
import type { Kind } from '../contracts/run';
import { planRetention, type RetentionPlan } from '../policies/retention';
import type { Retention } from '../policies/snapshotPolicies';
import type { StateStore } from '../state/store';
import type { RunStatus } from '../state/types';
import {
  COPYING_STATUSES,
  isPolicySnapshot,
  policyTime,
  SNAPSHOT_KINDS,
  type SnapshotView,
} from './policySnapshots';

/**
 * Retention of one policy for one database in one region, with what RDS and the state table say must be
 * kept whatever the age: a snapshot a run in progress needs, one being copied to another region, shared
 * with another account, or exported to S3. Used by the lifecycle service (which then deletes) and by
 * `rewind snapshots prune --dry-run` (which prints).
 */
export interface RegionRetention {
  rds: RDSClient;
  region: string;
  kind: Kind;
  policy: string;
  identifier: string;
  retention: Retention;
  asOf: Date;
  /** Snapshots runs in progress need (home region): name -> why. */
  inUse?: ReadonlyMap<string, string>;
  /**
   * Whether exports of the policy's snapshots are looked for (DescribeExportTasks): the policy exports.
   * Exports Rewind does not start are not looked for: RDS lets a snapshot be deleted during its export,
   * which completes (the snapshot's storage is billed until then).
   */
  checkExports?: boolean;
  /** Where this region's snapshots are copied to: a copy in flight there protects its source here. */
  copyTargets?: { region: string; rds: RDSClient }[];
  /**
   * Which of the database's snapshots the policy owns; default: those a snapshot policy of this name made
   * (its tags). Replication passes its own test (the tags of its shared snapshots).
   */
  belongs?: (s: SnapshotView) => boolean;
}

export interface RegionRetentionResult {
  region: string;
  plan: RetentionPlan;
  /** Every snapshot of the database in the region (the policy's and any other). */
  snapshots: SnapshotView[];
}

const ACTIVE_RUNS: RunStatus[] = ['running', 'rolling-back'];
const EXPORTING = new Set(['STARTING', 'IN_PROGRESS', 'CANCELING']);

/** Snapshots the runs in progress name (the one they restore from, the one they create): name -> why. */
export async function snapshotsInUse(store: StateStore): Promise<Map<string, string>> {
  const inUse = new Map<string, string>();
  for (const status of ACTIVE_RUNS) {
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await store.listRuns(status, { limit: 100, cursor });
      for (const run of page.runs) {
        const names = [
          run.names?.restoreFrom,
          run.names?.snapshot,
          run.resources?.snapshot,
          run.request?.snapshotIdentifier,
        ];
        for (const name of names) {
          if (typeof name === 'string' && name) inUse.set(name, `needed by run ${run.runId} (${status})`);
        }
      }
      cursor = page.cursor;
    } while (cursor);
  }
  return inUse;
}

async function exportInProgress(rds: RDSClient, arn: string): Promise<string | undefined> {
  const out = await rds.send(new DescribeExportTasksCommand({ SourceArn: arn }));
  return out.ExportTasks?.find((t) => EXPORTING.has(t.Status ?? ''))?.ExportTaskIdentifier;
}

export async function retentionInRegion(input: RegionRetention): Promise<RegionRetentionResult> {
  const api = SNAPSHOT_KINDS[input.kind];
  const snapshots = await api.list(input.rds, input.identifier);
  const belongs = input.belongs ?? ((s: SnapshotView) => isPolicySnapshot(s, input.policy, input.identifier));
  const mine = snapshots.filter(belongs);
  const reasons = new Map(input.inUse ?? []);
  for (const target of input.copyTargets ?? []) {
    const there = await api.list(target.rds, input.identifier);
    // Rewind's copies carry the source's name; any other copy names its source by ARN.
    for (const copy of there.filter((s) => COPYING_STATUSES.has(s.status))) {
      const source = mine.find(
        (s) => s.snapshotIdentifier === copy.snapshotIdentifier || s.arn === copy.sourceArn,
      );
      if (source)
        reasons.set(
          source.snapshotIdentifier,
          `being copied to ${target.region} as ${copy.snapshotIdentifier} (${copy.status})`,
        );
    }
  }
  const plan = planRetention(
    mine.map((s) => ({
      snapshotIdentifier: s.snapshotIdentifier,
      status: s.status,
      createdAt: policyTime(s) ?? input.asOf,
    })),
    input.retention,
    input.asOf,
    reasons,
  );
  // Asked only of the snapshots about to go: whether another account or an export still reads them.
  const confirmed: RetentionPlan = { delete: [], keep: [...plan.keep] };
  for (const decision of plan.delete) {
    const snap = mine.find((s) => s.snapshotIdentifier === decision.snapshotIdentifier)!;
    const accounts = await api.sharedWith(input.rds, snap.snapshotIdentifier);
    const task =
      accounts.length || !input.checkExports ? undefined : await exportInProgress(input.rds, snap.arn);
    if (accounts.length) confirmed.keep.push({ ...decision, reason: `shared with ${accounts.join(', ')}` });
    else if (task) confirmed.keep.push({ ...decision, reason: `being exported to S3 (export task ${task})` });
    else confirmed.delete.push(decision);
  }
  return { region: input.region, plan: confirmed, snapshots };
}
