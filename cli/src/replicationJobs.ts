import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';

/**
 * The replication jobs of one account's state table, as `rewind replication status` and
 * `rewind replicate --wait` show them. The replication service keeps one item per replication and side
 * (services/replication): `REPLSRC#<policy>#<scheduled time | request id>` in the source account,
 * `REPLDST#<replication id>` in a destination account; marks (claimed by conditional writes) record each
 * stage, and a few carry JSON: `failed` (why the source side failed), `ack:<account>` and
 * `outcome:<account>` (what each destination answered).
 */

type Marks = Record<string, string>;
export type JobItem = Record<string, unknown> & { pk: string; marks?: Marks };

function parsed<T>(value: string | undefined): T | undefined {
  if (!value) return undefined;
  try {
    return JSON.parse(value) as T;
  } catch {
    return undefined;
  }
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

export interface DestinationState {
  account: string;
  /** pending | announced | received | completed | failed | bounced | no-answer */
  state: string;
  at?: string;
  reason?: string;
  stage?: string;
  runId?: string;
  identifier?: string;
  unshared: boolean;
  /** in-place | versioned: what the destination does with the snapshot (its answer, else the policy). */
  mode?: string;
  /** A failure's restore run rolled back. */
  rolledBack?: boolean;
  /** A failure's: what was removed, and what to do (from the ReplicationFailed that ended it). */
  cleanedUp?: string[];
  action?: string;
}

/** Why a replication failed (one side's), as its ReplicationFailed said. */
export interface ReplicationFailure {
  stage: string;
  reason: string;
  action?: string;
  cleanedUp?: string[];
  errorCode?: string;
  rolledBack?: boolean;
  at?: string;
}

/** One replication as one account knows it. */
export interface ReplicationJobView {
  side: 'source' | 'destination';
  replicationId: string;
  policy: string;
  /** running | finished | failed (source); received | copying | restoring | completed | failed (destination) */
  state: string;
  startedAt?: string;
  sourceAccount?: string;
  sourceIdentifier?: string;
  snapshot?: string;
  /** Source: what each destination answered. */
  destinations: DestinationState[];
  /** Why this side failed (source: before anything was shared; destination: where it stopped). */
  failure?: ReplicationFailure;
  /** Destination: the mode, the copy, the restore run, the database restored, the secret and the versions. */
  mode?: string;
  copy?: string;
  runId?: string;
  /** Versioned: the version number asked for (`<prefix>-<n>`). */
  version?: number;
  result?: { identifier: string; address?: string; port?: number };
  secret?: { id: string; field: string; value: string };
  /** Versioned: the secret was written with the new endpoint. */
  secretUpdated?: boolean;
  versions?: { kept: string[]; deleted: string[] };
  warnings: string[];
  /** The last stage reached (its mark) and when. */
  lastMark?: { name: string; at: string };
}

/** The latest mark holding a time (marks with JSON values carry their own `at`). */
function lastMark(marks: Marks): { name: string; at: string } | undefined {
  const timed = Object.entries(marks)
    .map(([name, value]) => ({
      name,
      at: /^\d{4}-\d\d-\d\dT/.test(value) ? value : parsed<{ at?: string }>(value)?.at,
    }))
    .filter((m): m is { name: string; at: string } => typeof m.at === 'string')
    .sort((a, b) => a.at.localeCompare(b.at));
  return timed.at(-1);
}

/** What an alert said (`alerted`, `alerted:<account>` marks carry it as JSON). */
type Alerted = { cleanedUp?: string[]; action?: string };

/** A source job (`REPLSRC#...`): the replication's state and each destination's. */
export function sourceView(item: JobItem): ReplicationJobView {
  const marks = item.marks ?? {};
  const failed = parsed<ReplicationFailure>(marks.failed);
  // The alert of a source failure says what its cleanup removed, and the action with what is left.
  const alerted = parsed<Alerted>(marks.alerted);
  const failure = failed && {
    ...failed,
    ...(alerted?.cleanedUp ? { cleanedUp: alerted.cleanedUp } : {}),
    ...(alerted?.action ? { action: alerted.action } : {}),
  };
  const policy = item.policy as { destinations?: { account: string; mode?: string }[] } | undefined;
  const destinations = (Array.isArray(item.destinations) ? (item.destinations as string[]) : []).map(
    (account): DestinationState => {
      const outcome = parsed<Omit<DestinationState, 'account' | 'unshared'> & Alerted>(
        marks[`outcome:${account}`],
      );
      const ack = parsed<{ at?: string; mode?: string }>(marks[`ack:${account}`]);
      const announced = marks[`announced:${account}`];
      // A destination that failed here (refused the announcement, never answered): what the alert said.
      const local = parsed<Alerted>(marks[`alerted:${account}`]);
      return {
        account,
        state: outcome?.state ?? (ack ? 'received' : announced ? 'announced' : 'pending'),
        at: outcome?.at ?? ack?.at ?? announced,
        reason: outcome?.reason,
        stage: outcome?.stage ?? (local ? 'announce' : undefined),
        runId: outcome?.runId,
        identifier: outcome?.identifier,
        unshared: Boolean(marks[`unshared:${account}`]),
        mode: ack?.mode ?? policy?.destinations?.find((d) => d.account === account)?.mode,
        rolledBack: outcome?.rolledBack,
        cleanedUp: outcome?.cleanedUp ?? local?.cleanedUp,
        action: outcome?.action ?? local?.action,
      };
    },
  );
  const plan = item.plan as { sharedName?: string } | undefined;
  return {
    side: 'source',
    replicationId: str(item.replicationId) ?? item.pk,
    policy: str(item.policyName) ?? item.pk.split('#')[1] ?? '?',
    state: failure ? 'failed' : marks.done ? 'finished' : 'running',
    startedAt: str(item.createdAt),
    sourceAccount: str(item.sourceAccount),
    sourceIdentifier: str(item.sourceIdentifier),
    snapshot: plan?.sharedName ?? str(item.snapshotName),
    destinations,
    failure,
    warnings: [],
    lastMark: lastMark(marks),
  };
}

/** A destination job (`REPLDST#<replicationId>`): copy, restore run, secret, versions. */
export function destinationView(item: JobItem): ReplicationJobView {
  const marks = item.marks ?? {};
  const destination = item.destination as { mode?: string; secret?: unknown } | undefined;
  const state = marks.done
    ? 'completed'
    : marks.ended
      ? 'failed'
      : marks['restore:requested']
        ? 'restoring'
        : marks['copy:requested']
          ? 'copying'
          : 'received';
  return {
    side: 'destination',
    replicationId: str(item.replicationId) ?? item.pk.slice('REPLDST#'.length),
    policy: str(item.policy) ?? '?',
    state,
    startedAt: str(item.createdAt),
    sourceAccount: str(item.sourceAccount),
    sourceIdentifier: str(item.sourceIdentifier),
    snapshot: str(item.sharedSnapshotArn),
    destinations: [],
    failure: item.failure as ReplicationFailure | undefined,
    mode: destination?.mode,
    copy: str(item.copyIdentifier),
    runId: str(item.runId),
    version: (item.restore as { versionNumber?: number } | undefined)?.versionNumber,
    result: item.result as ReplicationJobView['result'],
    secret: item.secret as ReplicationJobView['secret'],
    // The job records the secret once it is written; the policy says whether there is one to write.
    secretUpdated: item.secret ? true : destination?.secret ? false : undefined,
    versions: item.versions as ReplicationJobView['versions'],
    warnings: Array.isArray(item.warnings) ? (item.warnings as string[]) : [],
    lastMark: lastMark(marks),
  };
}

export const SOURCE_PREFIX = 'REPLSRC#';
export const DESTINATION_PREFIX = 'REPLDST#';
/** A refused announcement (`REPLDST#refused#<event id>`) has no replication of its own to show. */
const REFUSED_PREFIX = 'REPLDST#refused#';

export function viewOf(item: JobItem): ReplicationJobView | undefined {
  if (item.pk.startsWith(SOURCE_PREFIX)) return sourceView(item);
  if (item.pk.startsWith(DESTINATION_PREFIX) && !item.pk.startsWith(REFUSED_PREFIX))
    return destinationView(item);
  return undefined;
}

/**
 * Every replication job of a table, newest first (a scan: the jobs have no index of their own, and the
 * table's items expire after 30 days).
 */
export async function replicationJobs(
  dynamo: DynamoDBClient,
  tableName: string,
  policy?: string,
): Promise<ReplicationJobView[]> {
  const doc = DynamoDBDocumentClient.from(dynamo);
  const views: ReplicationJobView[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'sk = :job AND (begins_with(pk, :src) OR begins_with(pk, :dst))',
        ExpressionAttributeValues: { ':job': 'JOB', ':src': SOURCE_PREFIX, ':dst': DESTINATION_PREFIX },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const view = viewOf(item as JobItem);
      if (view && (!policy || view.policy === policy)) views.push(view);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return views.sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''));
}

/** What an operator filters replications by (`rewind replication status --state`, the console). */
export const REPLICATION_OUTCOMES = ['under-way', 'completed', 'failed'] as const;
export type ReplicationOutcome = (typeof REPLICATION_OUTCOMES)[number];

const FAILED_STATES = ['failed', 'bounced', 'no-answer'];

/**
 * `failed` when this side failed or a destination failed (refused the announcement, never answered),
 * `completed` when it ended with every destination completed, else `under-way`.
 */
export function outcomeOfView(view: ReplicationJobView): ReplicationOutcome {
  if (view.failure || FAILED_STATES.includes(view.state)) return 'failed';
  if (view.destinations.some((d) => FAILED_STATES.includes(d.state))) return 'failed';
  return view.state === 'finished' || view.state === 'completed' ? 'completed' : 'under-way';
}

/** The views of a policy and an outcome (either left out: all). */
export function filterReplications(
  views: readonly ReplicationJobView[],
  filter: { policy?: string; state?: ReplicationOutcome },
): ReplicationJobView[] {
  return views.filter(
    (v) =>
      (!filter.policy || v.policy === filter.policy) && (!filter.state || outcomeOfView(v) === filter.state),
  );
}
