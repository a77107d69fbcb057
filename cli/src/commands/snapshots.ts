import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { RDSClient } from '@aws-sdk/client-rds';
import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { nextFiring, parseExpression } from '@rewind/local/src/scheduler/expressions';
import {
  POLICY_FILE_ENV,
  policyFileFromEnv,
  policyTime,
  readPolicyFile,
  REWIND_TAGS,
  retentionInRegion,
  schedulerSchedules,
  snapshotsInUse,
  SNAPSHOT_KINDS,
  type Kind,
  type PolicyConfig,
  type RetentionDecision,
  type SnapshotPolicy,
  type SnapshotView,
} from '@rewind/shared';
import type { Command } from '../command';
import { withClients, type Clients } from '../context';
import { CliError, UsageError } from '../errors';
import type { Io } from '../io';
import { parseCommand, TARGET_USAGE } from '../options';
import { formatDuration, Output } from '../output';

/**
 * `rewind snapshots list|prune <db>` and `rewind schedules`: what snapshot policies keep, what they would
 * delete and why, and what runs when. The policies come from the policy file (--config, else
 * $REWIND_CONFIG_FILE); the snapshots from RDS in the home region and each region the policies copy to.
 */
const CONFIG_USAGE = `  --config FILE    the policy file (default: $${POLICY_FILE_ENV})`;
const AS_OF_USAGE = `  --as-of TIME     ages as of this time (ISO 8601; default now): what retention will do then`;

const SNAPSHOTS_USAGE = `Usage: rewind snapshots list <db> [--cluster] [--config FILE]
       rewind snapshots prune <db> --dry-run [--cluster] [--config FILE]
       rewind snapshots prune <db> [--cluster] [--config FILE]

  list     every snapshot of the database in its region and in each region its policies copy to: age,
           size, status, and which policy keeps it (or why it goes at the next retention)
  prune    --dry-run: what retention would delete now, and why; without it: asks the lifecycle service to
           apply retention now (a SnapshotPolicyFired with action prune for each policy of the database)

  --cluster        the database is an Aurora cluster (default: a DB instance)
${AS_OF_USAGE}
${CONFIG_USAGE}

${TARGET_USAGE}`;

const SCHEDULES_USAGE = `Usage: rewind schedules [--config FILE] [--count N]

  What the policy file schedules (scheduled runs and snapshot policies), when each runs next, and
  whether it is deployed (EventBridge Scheduler, group <prefix>-schedules).

  --count N        next run times to show (default 3)
${CONFIG_USAGE}

${TARGET_USAGE}`;

function loadConfig(file: string | undefined, io: Io): { config: PolicyConfig; file: string } {
  const path = file ?? policyFileFromEnv(io.env);
  if (!path) {
    throw new CliError(
      'no policy file given',
      `pass --config rewind.config.json or set ${POLICY_FILE_ENV} (example: rewind.config.example.json)`,
    );
  }
  try {
    return { config: readPolicyFile(path), file: path };
  } catch (err) {
    throw new CliError((err as Error).message, 'fix the file; every mistake is listed above');
  }
}

/** The policies of a database: by identifier, or by a tag the database carries. */
async function policiesOf(clients: Clients, config: PolicyConfig, identifier: string, kind: Kind) {
  const mine = config.snapshotPolicies.filter((p) => p.kind === kind);
  const byTag = mine.filter((p) => p.databases.tag);
  let tags: Record<string, string> = {};
  if (byTag.length) {
    const { DescribeDBInstancesCommand, DescribeDBClustersCommand } = await import('@aws-sdk/client-rds');
    const list =
      kind === 'cluster'
        ? (await clients.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: identifier })))
            .DBClusters?.[0]?.TagList
        : (await clients.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier })))
            .DBInstances?.[0]?.TagList;
    tags = Object.fromEntries((list ?? []).map((t) => [t.Key, t.Value]));
  }
  return mine.filter((p) =>
    p.databases.identifiers
      ? p.databases.identifiers.includes(identifier)
      : tags[p.databases.tag!.key] === p.databases.tag!.value,
  );
}

interface RegionView {
  region: string;
  snapshots: SnapshotView[];
  /** Per policy: what its retention keeps and deletes in this region, as of now. */
  decisions: Map<string, { policy: string; decision: RetentionDecision; deleted: boolean }>;
}

async function regionsOf(
  clients: Clients,
  policies: SnapshotPolicy[],
  identifier: string,
  kind: Kind,
  now: Date,
) {
  const home = clients.target.region;
  const endpoint = clients.target.endpoint;
  const rdsIn = (region: string) =>
    region === home
      ? clients.rds
      : new RDSClient({
          ...(endpoint ? { endpoint } : {}),
          region,
          maxAttempts: 8,
          credentials: clients.rds.config.credentials,
        });
  const inUse = await snapshotsInUse(clients.store);
  const regions = [home, ...new Set(policies.flatMap((p) => p.copies.map((c) => c.region)))];
  const views: RegionView[] = [];
  for (const region of regions) {
    const rds = rdsIn(region);
    const view: RegionView = {
      region,
      snapshots: await SNAPSHOT_KINDS[kind].list(rds, identifier),
      decisions: new Map(),
    };
    for (const p of policies) {
      const retention = region === home ? p.retention : p.copies.find((c) => c.region === region)?.retention;
      if (!retention) continue;
      const { plan } = await retentionInRegion({
        rds,
        region,
        kind,
        policy: p.name,
        identifier,
        retention,
        asOf: now,
        inUse: region === home ? inUse : undefined,
        checkExports: region === home && p.export !== undefined,
        copyTargets: region === home ? p.copies.map((c) => ({ region: c.region, rds: rdsIn(c.region) })) : [],
      });
      for (const d of plan.keep)
        view.decisions.set(d.snapshotIdentifier, { policy: p.name, decision: d, deleted: false });
      for (const d of plan.delete)
        view.decisions.set(d.snapshotIdentifier, { policy: p.name, decision: d, deleted: true });
    }
    views.push(view);
    if (rds !== clients.rds) rds.destroy();
  }
  return views;
}

function verdict(s: SnapshotView, view: RegionView): string {
  const d = view.decisions.get(s.snapshotIdentifier);
  if (d)
    return d.deleted
      ? `expires (${d.policy}): ${d.decision.reason}`
      : `kept by ${d.policy}: ${d.decision.reason}`;
  if (s.type !== 'manual') return `${s.type}: RDS manages it; Rewind never deletes it`;
  if (s.tags[REWIND_TAGS.createdBy] === 'rewind')
    return s.tags['rewind:policy']
      ? `policy ${s.tags['rewind:policy']} (not in this file): never deleted from here`
      : "a run's snapshot: retention never deletes it";
  return 'not made by Rewind: never deleted by Rewind';
}

const GB = (n: number | undefined) => (n === undefined ? '-' : `${n} GiB`);

async function list(
  clients: Clients,
  out: Output,
  identifier: string,
  kind: Kind,
  config: PolicyConfig,
  asOf: Date,
) {
  const policies = await policiesOf(clients, config, identifier, kind);
  const views = await regionsOf(clients, policies, identifier, kind, asOf);
  const now = asOf.getTime();
  const rows = views.flatMap((v) =>
    v.snapshots
      .sort((a, b) => (policyTime(b)?.getTime() ?? 0) - (policyTime(a)?.getTime() ?? 0))
      .map((s) => ({
        region: v.region,
        s,
        age: now - (policyTime(s)?.getTime() ?? now),
        verdict: verdict(s, v),
      })),
  );
  out.line(
    `${identifier} (${kind}): policies ${policies.map((p) => p.name).join(', ') || '(none in this file)'}; regions ${views.map((v) => v.region).join(', ')}`,
  );
  out.table(rows, [
    { header: 'REGION', value: (r) => r.region },
    { header: 'SNAPSHOT', value: (r) => r.s.snapshotIdentifier },
    { header: 'TYPE', value: (r) => r.s.type },
    { header: 'STATUS', value: (r) => r.s.status },
    { header: 'AGE', value: (r) => formatDuration(r.age), align: 'right' },
    { header: 'SIZE', value: (r) => GB(r.s.sizeGb), align: 'right' },
    { header: 'RETENTION', value: (r) => r.verdict },
  ]);
  out.document({
    identifier,
    kind,
    policies: policies.map((p) => p.name),
    snapshots: rows.map((r) => ({
      region: r.region,
      snapshotIdentifier: r.s.snapshotIdentifier,
      type: r.s.type,
      status: r.s.status,
      createdAt: policyTime(r.s)?.toISOString(),
      ageSeconds: Math.round(r.age / 1000),
      sizeGb: r.s.sizeGb,
      policy: views.find((v) => v.region === r.region)?.decisions.get(r.s.snapshotIdentifier)?.policy ?? null,
      retention: r.verdict,
    })),
  });
  return 0;
}

async function prune(
  clients: Clients,
  out: Output,
  identifier: string,
  kind: Kind,
  config: PolicyConfig,
  dryRun: boolean,
  asOf: Date,
) {
  const policies = await policiesOf(clients, config, identifier, kind);
  if (!policies.length)
    throw new CliError(
      `no snapshot policy of the policy file covers ${kind} ${identifier}`,
      'check the identifier, --cluster, and the policy file',
    );
  if (dryRun) {
    const views = await regionsOf(clients, policies, identifier, kind, asOf);
    const doomed = views.flatMap((v) =>
      [...v.decisions.entries()]
        .filter(([, d]) => d.deleted)
        .map(([id, d]) => ({ region: v.region, id, ...d })),
    );
    if (!doomed.length) out.line(`Retention would delete nothing of ${identifier} now.`);
    else {
      out.line(
        `Retention would delete ${doomed.length} snapshot${doomed.length > 1 ? 's' : ''} of ${identifier} now (dry run: nothing deleted):`,
      );
      out.table(doomed, [
        { header: 'REGION', value: (d) => d.region },
        { header: 'SNAPSHOT', value: (d) => d.id },
        { header: 'POLICY', value: (d) => d.policy },
        { header: 'AGE (DAYS)', value: (d) => String(d.decision.ageDays), align: 'right' },
        { header: 'WHY', value: (d) => d.decision.reason },
      ]);
    }
    out.document({
      identifier,
      kind,
      dryRun: true,
      wouldDelete: doomed.map((d) => ({
        region: d.region,
        policy: d.policy,
        ...d.decision,
      })),
      kept: views.flatMap((v) =>
        [...v.decisions.entries()]
          .filter(([, d]) => !d.deleted)
          .map(([, d]) => ({ region: v.region, policy: d.policy, ...d.decision })),
      ),
    });
    return 0;
  }
  const scheduledTime = asOf.toISOString();
  const out1 = await clients.events.send(
    new PutEventsCommand({
      Entries: policies.map((policy) => ({
        EventBusName: clients.target.names.busName,
        Source: 'rewind.cli',
        DetailType: 'SnapshotPolicyFired',
        Detail: JSON.stringify({ policy, scheduledTime, action: 'prune' }),
      })),
    }),
  );
  if (out1.FailedEntryCount)
    throw new CliError(
      `the bus refused the request: ${JSON.stringify(out1.Entries)}`,
      'check the target (--stage, --endpoint)',
    );
  out.line(
    `Retention requested for policies ${policies.map((p) => p.name).join(', ')} (every database of each, as of ${scheduledTime}); its SnapshotExpired events say what was deleted.`,
  );
  out.document({ identifier, kind, dryRun: false, requested: policies.map((p) => p.name), scheduledTime });
  return 0;
}

export const snapshotsCommand: Command = {
  name: 'snapshots',
  summary: 'Snapshots of a database and what its policies keep; prune (--dry-run)',
  usage: SNAPSHOTS_USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommand(
      args,
      {
        cluster: { type: 'boolean' },
        config: { type: 'string' },
        'dry-run': { type: 'boolean' },
        'as-of': { type: 'string' },
      },
      SNAPSHOTS_USAGE,
      { min: 2, max: 2 },
    );
    const [action, identifier] = positionals as [string, string];
    if (action !== 'list' && action !== 'prune')
      throw new UsageError(`unknown action "${action}": list or prune`, SNAPSHOTS_USAGE);
    if (action === 'list' && values['dry-run'])
      throw new UsageError('--dry-run goes with prune', SNAPSHOTS_USAGE);
    const { config } = loadConfig(values.config, io);
    const kind: Kind = values.cluster ? 'cluster' : 'instance';
    const asOf = values['as-of'] ? new Date(values['as-of']) : new Date();
    if (Number.isNaN(asOf.getTime()))
      throw new UsageError(
        `--as-of must be a time such as 2026-12-01T00:00:00Z, not "${values['as-of']}"`,
        SNAPSHOTS_USAGE,
      );
    const out = new Output(io, values.json === true);
    return withClients(values, (clients) =>
      action === 'list'
        ? list(clients, out, identifier.toLowerCase(), kind, config, asOf)
        : prune(clients, out, identifier.toLowerCase(), kind, config, values['dry-run'] === true, asOf),
    );
  },
};

export const schedulesCommand: Command = {
  name: 'schedules',
  summary: 'What the policy file schedules, next run times, whether each is deployed',
  usage: SCHEDULES_USAGE,
  async run(args, io) {
    const { values } = parseCommand(
      args,
      { config: { type: 'string' }, count: { type: 'string' } },
      SCHEDULES_USAGE,
      { min: 0, max: 0 },
    );
    const count = values.count === undefined ? 3 : Number(values.count);
    if (!Number.isInteger(count) || count < 1 || count > 50)
      throw new UsageError(`--count must be 1-50, not "${values.count}"`, SCHEDULES_USAGE);
    const { config, file } = loadConfig(values.config, io);
    const out = new Output(io, values.json === true);
    return withClients(values, async (clients) => {
      const scheduler = new SchedulerClient({
        region: clients.target.region,
        ...(clients.target.endpoint ? { endpoint: clients.target.endpoint } : {}),
        credentials: clients.rds.config.credentials,
      });
      const group = `${clients.target.names.prefix}-schedules`;
      const now = Date.now();
      const rows = [];
      for (const s of schedulerSchedules(config)) {
        const deployed = await scheduler
          .send(new GetScheduleCommand({ Name: s.name, GroupName: group }))
          .catch((err: Error) =>
            err.name === 'ResourceNotFoundException' ? undefined : Promise.reject(err),
          );
        const expression = parseExpression(s.expression);
        const anchor = deployed?.CreationDate?.getTime();
        const next: string[] = [];
        let after = now;
        for (let i = 0; i < count && (expression.kind !== 'rate' || anchor !== undefined); i++) {
          const at = nextFiring(expression, s.timezone ?? 'UTC', after, anchor ?? now);
          if (at === undefined) break;
          next.push(new Date(at).toISOString().replace('.000Z', 'Z'));
          after = at;
        }
        const what =
          s.detailType === 'RestoreRequested'
            ? `run ${String(JSON.parse(s.input).task)} of ${String(JSON.parse(s.input).identifier)}`
            : `${JSON.parse(s.input).action === 'prune' ? 'retention of' : 'snapshot policy'} ${String(JSON.parse(s.input).policy.name)}`;
        rows.push({
          ...s,
          what,
          next,
          state: deployed ? String(deployed.State) : 'not deployed',
          note:
            expression.kind === 'rate' && anchor === undefined
              ? 'rate: counted from when it is deployed'
              : '',
        });
      }
      out.line(
        `${file}: ${rows.length} schedule${rows.length === 1 ? '' : 's'} (group ${group} on ${clients.target.description})`,
      );
      out.table(rows, [
        { header: 'SCHEDULE', value: (r) => r.name },
        { header: 'WHAT', value: (r) => r.what },
        { header: 'EXPRESSION', value: (r) => `${r.expression}${r.timezone ? ` ${r.timezone}` : ''}` },
        { header: 'STATE', value: (r) => (r.enabled ? r.state : `${r.state} (disabled in the file)`) },
        { header: 'NEXT RUNS (UTC)', value: (r) => r.next.join(', ') || r.note },
      ]);
      out.document({
        file,
        group,
        schedules: rows.map((r) => ({
          name: r.name,
          what: r.what,
          expression: r.expression,
          timezone: r.timezone ?? null,
          enabledInFile: r.enabled,
          deployed: r.state,
          nextRuns: r.next,
        })),
      });
      scheduler.destroy();
      return 0;
    });
  },
};
