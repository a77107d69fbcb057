/**
 * Snapshot export to S3 (aws-facts-copies-dr.md §6): StartExportTask, DescribeExportTasks,
 * CancelExportTask, for DB snapshots and DB cluster snapshots of the caller's account and region.
 * - checks, in order: identifier free (`ExportTaskAlreadyExists`), source found and `available`
 *   (`DBSnapshotNotFound` / `DBClusterSnapshotNotFoundFault` / `InvalidExportSourceState`), no other export
 *   of that snapshot running, at most 5 exports in progress per account (every region), the KMS key
 *   (`KMSKeyNotAccessibleFault`), the bucket in the snapshot's region (`InvalidS3BucketFault`), the IAM role
 *   known (`IamRoleNotFound`) and allowed to write the bucket (`IamRoleMissingPermissions`);
 * - `STARTING` -> `IN_PROGRESS` -> `COMPLETE` (durations `exportStarting` / `exportRunning`), writing
 *   `<prefix>/<task id>/export_info_<task id>.json`, `export_tables_info_<task id>_from_1_to_1.json`
 *   and one table's part file under `<database>/<database>.<table>/1/`; RDS-EVENT-0161 (cluster: 0164);
 * - a fault (`export` operation, outcome `failed`) or a bucket gone by the end: `FAILED` with a
 *   `FailureCause`, RDS-EVENT-0159 (0162); nothing written;
 * - CancelExportTask: `CANCELING` -> `CANCELED`, RDS-EVENT-0160 (0163); what was written stays.
 * Deleting the snapshot meanwhile does not stop the export (the RDS user guide allows it).
 */
import { targetKey } from './encryption';
import { err, RdsError } from './errors';
import type { EventName, SourceType } from './catalog';
import { defineTask } from './lifecycle';
import type { DbClusterSnapshot, DbSnapshot, ExportTask } from './model';
import { paginate } from './paging';
import { xmlList, type Params, type XmlObject } from './protocol';
import { EXPORT_KEY, type RdsState } from './state';

/** "You can have up to five concurrent DB snapshot export tasks in progress per AWS account." */
const EXPORTS_IN_PROGRESS_PER_ACCOUNT = 5;
const RUNNING = new Set<ExportTask['status']>(['STARTING', 'IN_PROGRESS']);
const ID = /^[A-Za-z][A-Za-z0-9-]{0,254}$/;

const EVENTS: Record<ExportTask['sourceType'], Record<'failed' | 'canceled' | 'completed', EventName>> = {
  SNAPSHOT: { failed: 'exportFailed', canceled: 'exportCanceled', completed: 'exportCompleted' },
  CLUSTER: {
    failed: 'clusterExportFailed',
    canceled: 'clusterExportCanceled',
    completed: 'clusterExportCompleted',
  },
};

function emit(s: RdsState, t: ExportTask, what: 'failed' | 'canceled' | 'completed'): void {
  const sourceType: SourceType = t.sourceType === 'SNAPSHOT' ? 'SNAPSHOT' : 'CLUSTER_SNAPSHOT';
  s.events.emit(sourceType, EVENTS[t.sourceType][what], t.sourceId, t.sourceArn);
}

function render(t: ExportTask): XmlObject {
  return {
    ExportTaskIdentifier: t.id,
    SourceArn: t.sourceArn,
    ExportOnly: t.exportOnly.length ? xmlList('member', t.exportOnly) : undefined,
    SnapshotTime: t.snapshotTime,
    TaskStartTime: t.taskStartTime,
    TaskEndTime: t.taskEndTime,
    S3Bucket: t.s3Bucket,
    S3Prefix: t.s3Prefix,
    IamRoleArn: t.iamRoleArn,
    KmsKeyId: t.kmsKeyId,
    Status: t.status,
    PercentProgress: t.percentProgress,
    TotalExtractedDataInGB: t.totalExtractedDataInGB,
    FailureCause: t.failureCause,
    SourceType: t.sourceType,
  };
}

/** The snapshot an export names by ARN, in the caller's account and region. */
function sourceOf(s: RdsState, arn: string): DbSnapshot | DbClusterSnapshot {
  const m = /^arn:aws:rds:([^:]+):(\d{12}):(snapshot|cluster-snapshot|cluster):(.+)$/.exec(arn);
  if (!m) {
    throw err.value(
      `SourceArn ${arn} is not a snapshot ARN: give arn:aws:rds:<region>:<account>:snapshot:<id> or ...:cluster-snapshot:<id>.`,
    );
  }
  const [, region, account, type, id] = m as unknown as [string, string, string, string, string];
  if (type === 'cluster')
    throw err.value('Exporting a DB cluster (not a snapshot) is not emulated: export a cluster snapshot.');
  const here = region === s.identity.region && account === s.identity.accountId;
  if (type === 'snapshot') {
    const snap = here ? s.snapshots.get(id.toLowerCase()) : undefined;
    if (!snap) throw err.snapshotNotFound(id);
    return snap;
  }
  const snap = here ? s.clusterSnapshots.get(id.toLowerCase()) : undefined;
  if (!snap) throw err.clusterSnapshotNotFound(id);
  return snap;
}

async function checkBucket(s: RdsState, bucket: string): Promise<string | undefined> {
  const region = await s.world.s3?.bucketRegion(s.identity.accountId, bucket);
  if (region === undefined) return `The S3 bucket [${bucket}] doesn't exist or isn't reachable.`;
  if (region !== s.identity.region)
    return `The S3 bucket [${bucket}] isn't located in the current AWS Region. Please, review your S3 bucket name and retry the export.`;
  return undefined;
}

/** What the export role must be allowed to do on the bucket (StartExportTask's IamRoleArn documentation). */
function roleRequests(bucket: string, prefix: string | undefined) {
  const objects = `arn:aws:s3:::${bucket}/${prefix ? `${prefix}/` : ''}*`;
  return [
    { action: 's3:PutObject', resource: objects, context: {} },
    { action: 's3:GetObject', resource: objects, context: {} },
    { action: 's3:DeleteObject', resource: objects, context: {} },
    { action: 's3:ListBucket', resource: `arn:aws:s3:::${bucket}`, context: {} },
    { action: 's3:GetBucketLocation', resource: `arn:aws:s3:::${bucket}`, context: {} },
  ];
}

export async function startExportTask(s: RdsState, p: Params): Promise<XmlObject> {
  // The only wait (asking S3 where the bucket is) comes first: the checks below and the start are atomic.
  const bucketProblem = await checkBucket(s, p.req('S3BucketName'));
  const id = p.req('ExportTaskIdentifier');
  if (!ID.test(id)) {
    throw err.value(
      `The export task identifier ${id} is invalid: 1 to 255 letters, digits or hyphens, starting with a letter.`,
    );
  }
  if (s.exportTasks.has(id))
    throw new RdsError('ExportTaskAlreadyExists', `The export task with the ID ${id} already exists.`);
  const sourceArn = p.req('SourceArn');
  const source = sourceOf(s, sourceArn);
  if (source.status !== 'available') {
    throw new RdsError(
      'InvalidExportSourceState',
      `The snapshot ${source.id} is ${source.status}: only an available snapshot can be exported.`,
    );
  }
  const running = [...s.exportTasks.values()].find((t) => t.sourceArn === sourceArn && RUNNING.has(t.status));
  if (running) {
    throw new RdsError(
      'InvalidExportSourceState',
      `The export task ${running.id} is already exporting ${source.id}: one export per snapshot at a time.`,
    );
  }
  const inProgress = s.world
    .all()
    .filter((o) => o.identity.accountId === s.identity.accountId)
    .flatMap((o) => [...o.exportTasks.values()])
    .filter((t) => RUNNING.has(t.status)).length;
  if (inProgress >= EXPORTS_IN_PROGRESS_PER_ACCOUNT) {
    throw new RdsError(
      'ExportTaskLimitReached',
      `You can have up to ${EXPORTS_IN_PROGRESS_PER_ACCOUNT} export tasks in progress per account; ${inProgress} are: start this one when one of them has ended.`,
    );
  }
  const kmsKeyId = targetKey(s, p.req('KmsKeyId'), true) as string;
  const bucket = p.req('S3BucketName');
  const prefix = p.str('S3Prefix');
  if (bucketProblem) throw new RdsError('InvalidS3BucketFault', bucketProblem);
  const roleArn = p.req('IamRoleArn');
  const refusal = s.world.checkRole?.(roleArn, roleRequests(bucket, prefix));
  if (refusal?.reason === 'unknown-role') {
    throw new RdsError('IamRoleNotFound', `The IAM role ${roleArn} doesn't exist: ${refusal.message}`, 404);
  }
  if (refusal) {
    throw new RdsError(
      'IamRoleMissingPermissions',
      `The IAM role ${roleArn} doesn't have the permissions the export needs on s3://${bucket}: ${refusal.message}`,
    );
  }
  const now = s.clock.date();
  const task: ExportTask = {
    key: `${EXPORT_KEY}${id}`,
    id,
    sourceArn,
    sourceType: source.kind === 'snapshot' ? 'SNAPSHOT' : 'CLUSTER',
    sourceId: source.id,
    snapshotTime: source.createTime,
    s3Bucket: bucket,
    s3Prefix: prefix,
    iamRoleArn: roleArn,
    kmsKeyId,
    exportOnly: p.list('ExportOnly') ?? [],
    status: 'STARTING',
    percentProgress: 0,
    totalExtractedDataInGB: 0,
    taskStartTime: now,
    plannedFailure:
      s.faults.takeOperation('export', id) === 'failed'
        ? 'The export task failed because of an internal error (an injected fault).'
        : undefined,
    engine: source.source.engine,
    databaseName:
      (source.kind === 'snapshot' ? source.source.dbName : source.source.databaseName) ??
      source.source.engine,
  };
  s.exportTasks.set(id, task);
  s.sched.task(s.durations.exportStarting, task, exportRunning(task));
  return render(task);
}

const exportRunning = defineTask('export.running', (s: RdsState, t: ExportTask) => {
  if (t.status !== 'STARTING') return;
  t.status = 'IN_PROGRESS';
  s.sched.task(s.durations.exportRunning, t, exportFinished(t));
});

const exportFinished = defineTask('export.finished', async (s: RdsState, t: ExportTask) => {
  if (t.status !== 'IN_PROGRESS') return;
  const bucketProblem = t.plannedFailure ?? (await checkBucket(s, t.s3Bucket));
  if (t.status !== 'IN_PROGRESS') return;
  if (bucketProblem === undefined) {
    try {
      await writeExport(s, t);
    } catch (e) {
      return fail(s, t, `Writing to S3 failed: ${(e as Error).message}`);
    }
  }
  if (t.status !== 'IN_PROGRESS') return;
  if (bucketProblem !== undefined) return fail(s, t, bucketProblem);
  t.status = 'COMPLETE';
  t.percentProgress = 100;
  t.totalExtractedDataInGB = 0;
  t.taskEndTime = s.clock.date();
  emit(s, t, 'completed');
});

function fail(s: RdsState, t: ExportTask, cause: string): void {
  t.status = 'FAILED';
  t.failureCause = cause;
  t.taskEndTime = s.clock.date();
  emit(s, t, 'failed');
}

async function writeExport(s: RdsState, t: ExportTask): Promise<void> {
  const s3 = s.world.s3;
  if (!s3) throw new Error('the local cloud has no S3');
  const base = `${t.s3Prefix ? `${t.s3Prefix.replace(/\/+$/, '')}/` : ''}${t.id}`;
  const table = `${t.databaseName}.${t.engine.includes('postgres') ? 'public.' : ''}sample`;
  const info = {
    exportTaskIdentifier: t.id,
    sourceArn: t.sourceArn,
    exportOnly: t.exportOnly,
    snapshotTime: t.snapshotTime.toISOString(),
    taskStartTime: t.taskStartTime.toISOString(),
    taskEndTime: s.clock.date().toISOString(),
    s3Bucket: t.s3Bucket,
    s3Prefix: t.s3Prefix ?? '',
    exportedFilesPath: `${base}/${t.databaseName}`,
    iamRoleArn: t.iamRoleArn,
    kmsKeyId: t.kmsKeyId,
    status: 'COMPLETE',
    percentProgress: 100,
    totalExportedDataInGB: 0,
  };
  await s3.putObject(
    s.identity.accountId,
    t.s3Bucket,
    `${base}/export_info_${t.id}.json`,
    JSON.stringify(info),
  );
  await s3.putObject(
    s.identity.accountId,
    t.s3Bucket,
    `${base}/export_tables_info_${t.id}_from_1_to_1.json`,
    JSON.stringify({ perTableStatus: [{ target: table, status: 'COMPLETE', sizeGB: 0 }] }),
  );
  await s3.putObject(
    s.identity.accountId,
    t.s3Bucket,
    `${base}/${t.databaseName}/${table}/1/part-00000-${t.id}.gz.parquet`,
    'local cloud: exported rows are not emulated',
  );
}

export function describeExportTasks(s: RdsState, p: Params): XmlObject {
  let list = [...s.exportTasks.values()];
  const id = p.str('ExportTaskIdentifier');
  if (id !== undefined) list = list.filter((t) => t.id === id);
  const source = p.str('SourceArn');
  if (source !== undefined) list = list.filter((t) => t.sourceArn === source);
  const type = p.str('SourceType');
  if (type !== undefined) list = list.filter((t) => t.sourceType === type);
  for (const f of p.filters()) {
    const get: Record<string, (t: ExportTask) => string> = {
      'export-task-identifier': (t) => t.id,
      's3-bucket': (t) => t.s3Bucket,
      'source-arn': (t) => t.sourceArn,
      // The status filter takes lowercase values (the API reference).
      status: (t) => t.status.toLowerCase(),
    };
    const read = get[f.name];
    if (!read) throw err.value(`Unrecognized filter name: ${f.name}`);
    list = list.filter((t) => f.values.includes(read(t)));
  }
  const page = paginate(p, list);
  return { Marker: page.marker, ExportTasks: xmlList('ExportTask', page.items.map(render)) };
}

export function cancelExportTask(s: RdsState, p: Params): XmlObject {
  const id = p.req('ExportTaskIdentifier');
  const t = s.exportTasks.get(id);
  if (!t) throw new RdsError('ExportTaskNotFound', `The export task with the ID ${id} doesn't exist.`, 404);
  if (!RUNNING.has(t.status)) {
    throw new RdsError(
      'InvalidExportTaskStateFault',
      `The export task ${id} is ${t.status}: only a STARTING or IN_PROGRESS task can be canceled.`,
    );
  }
  s.sched.cancel(t);
  t.status = 'CANCELING';
  s.sched.task(s.durations.exportCanceling, t, exportCanceled(t));
  return render(t);
}

const exportCanceled = defineTask('export.canceled', (s: RdsState, t: ExportTask) => {
  if (t.status !== 'CANCELING') return;
  t.status = 'CANCELED';
  t.taskEndTime = s.clock.date();
  emit(s, t, 'canceled');
});
