import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { nextFiring, parseExpression } from '@rewind/local/src/scheduler/expressions';
import {
  POLICY_FILE_ENV,
  policyTime,
  schedulerSchedules,
  type Kind,
  type PolicyConfig,
} from '@rewind/shared';
import type { Command } from '../command';
import { withClients, type Clients } from '../context';
import { CliError, UsageError } from '../errors';
import { parseCommand, TARGET_USAGE } from '../options';
import { formatDuration, Output } from '../output';
import { loadPolicyConfig, policiesOf, regionsOf, snapshotRows } from '../policySnapshots';

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
  const rows = snapshotRows(views, asOf);
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
      policy: r.policy,
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
    const { config } = loadPolicyConfig(values.config, io.env);
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
    const { config, file } = loadPolicyConfig(values.config, io.env);
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
