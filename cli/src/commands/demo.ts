import { setMaxListeners } from 'node:events';
import { parseArgs } from 'node:util';
import {
  resourceNames,
  captureInstanceConfig,
  diffClusterConfig,
  diffInstanceConfig,
  findInstance,
  formatDifferences,
  type ClusterConfig,
  type ConfigDifference,
  type InstanceConfig,
} from '@rewind/shared';
import {
  createSampleCluster,
  createSampleInstance,
  DEFAULT_PORT,
  describeCluster,
  startLocalCloud,
} from '@rewind/local';
import type { Command } from '../command';
import { createClients, type Clients } from '../context';
import { UsageError } from '../errors';
import { untilStopped } from '../io';
import { Output, formatDuration } from '../output';
import { requestRun, type RequestOutcome } from '../runRequest';
import { runDocument } from '../runView';
import { startConsole } from '../ui/server';
import { printRun } from './status';

/** The demo's RDS time scale: RDS durations x 0.002. */
const DEMO_TIME_SCALE = 0.002;
const DEMO_RDS = { profile: 'realistic' as const, timeScale: DEMO_TIME_SCALE, seed: 7 };

const USAGE = `Usage: rewind demo [--identifier NAME] [--cluster-identifier NAME] [--skip-cluster] [--keep [--port N]] [--ui] [--json]

  Starts the local cloud in this process, creates an opted-in sample PostgreSQL instance with a
  production-like configuration, restores it in place with create_snapshot while showing the run live,
  then compares before and after (identifier, endpoint, configuration) and prints the timeline. Then does
  the same for a sample Aurora MySQL cluster (a writer and two readers): before and after of the cluster
  and reader endpoints and of every member. Exit 0 when every run completed with the same endpoints and
  configuration. RDS runs at time scale ${DEMO_TIME_SCALE} (RDS durations x ${DEMO_TIME_SCALE}: a ten-minute restore takes ${(600 * DEMO_TIME_SCALE).toFixed(1)} s).

  --identifier NAME           the sample instance (default orders-db)
  --cluster-identifier NAME   the sample cluster (default ledger; members NAME-1, NAME-2, NAME-3)
  --skip-cluster              only the instance (quicker)
  --keep                      keep the local cloud running afterwards, with the samples and their runs, to
                              try the CLI on them (rewind list, status, restore); Ctrl-C stops it
  --ui                        --keep, and the operations console (rewind ui) on the demo's runs: its address
                              is printed; Ctrl-C stops both
  --port N                    with --keep: the edge port (default ${DEFAULT_PORT}, where the CLI looks by
                              default; 0 = any free port). Without --keep the demo takes any free port`;

type Facts = Record<string, string>;

function instanceFacts(config: InstanceConfig): Facts {
  return {
    identifier: config.identifier,
    endpoint: `${config.endpointAddress}:${config.port}`,
    resourceId: config.dbiResourceId ?? '-',
    class: config.dbInstanceClass ?? '-',
    parameterGroup: config.dbParameterGroupName ?? '-',
    multiAZ: String(config.multiAZ),
    storage: `${config.storageType} ${config.allocatedStorage} GiB, ${config.iops} IOPS`,
    deletionProtection: String(config.deletionProtection),
  };
}

/** What clients connect to: must not change across a restore. */
function clusterEndpoints(config: ClusterConfig) {
  return {
    identifier: config.identifier,
    endpoint: config.endpointAddress,
    readerEndpoint: config.readerEndpointAddress,
    members: config.members.map((m) => ({
      identifier: m.identifier,
      endpoint: m.endpointAddress,
      writer: m.writer,
    })),
  };
}

function clusterFacts(config: ClusterConfig): Facts {
  const facts: Facts = {
    identifier: config.identifier,
    endpoint: `${config.endpointAddress}:${config.port}`,
    readerEndpoint: `${config.readerEndpointAddress}:${config.port}`,
    resourceId: config.dbClusterResourceId ?? '-',
    parameterGroup: config.dbClusterParameterGroupName ?? '-',
    encrypted: String(config.storageEncrypted),
    deletionProtection: String(config.deletionProtection),
  };
  for (const m of config.members) {
    facts[`${m.writer ? 'writer' : 'reader'} ${m.identifier}`] =
      `${m.endpointAddress} (${m.dbInstanceClass})`;
  }
  return facts;
}

interface Comparison {
  title: string;
  before: Facts;
  after: Facts | undefined;
  differences: ConfigDifference[];
  /** What the endpoints are called in the verdict. */
  endpoints: string;
  sameEndpoints: boolean;
  newResource: boolean;
}

/** Before and after, the verdict and the run's timeline; ok when the run completed with nothing changed. */
function report(out: Output, c: Comparison, outcome: RequestOutcome) {
  out.line();
  out.line(out.paint('bold', `Before and after: ${c.title}`));
  const keys = [...new Set([...Object.keys(c.before), ...Object.keys(c.after ?? {})])];
  out.table(
    keys,
    [
      { header: '', value: (k) => k },
      { header: 'BEFORE', value: (k) => c.before[k] ?? '(absent)' },
      { header: 'AFTER', value: (k) => c.after?.[k] ?? '(absent)' },
    ],
    '  ',
  );
  const present = c.after !== undefined;
  out.line(
    `  configuration differences: ${present ? (c.differences.length ? out.paint('red', formatDifferences(c.differences)) : out.paint('green', 'none')) : 'n/a'}` +
      `; ${c.endpoints} ${c.sameEndpoints ? out.paint('green', 'unchanged') : out.paint('red', 'CHANGED')}` +
      `; resource id ${c.newResource ? 'new (the restored copy)' : 'unchanged'}`,
  );
  out.line();
  out.line(out.paint('bold', 'Timeline'));
  printRun(out, outcome.run, outcome.timeline ?? []);
  return {
    ok: outcome.exitCode === 0 && present && !c.differences.length && c.sameEndpoints,
    run: runDocument(outcome.run, outcome.timeline ?? []),
  };
}

/** Commands with what each does, aligned. */
function commandLines(out: Output, lines: [command: string, comment: string][]): void {
  const width = Math.max(...lines.map(([c]) => c.length));
  for (const [command, comment] of lines) out.line(`  ${command.padEnd(width)}   # ${comment}`);
}

/** create_snapshot of the sample, followed live to the end. */
const restoreInPlace = (clients: Clients, out: Output, identifier: string, isCluster: boolean) =>
  requestRun(
    clients,
    out,
    { identifier, task: 'create_snapshot', isCluster, requestId: `demo-${identifier}-${Date.now()}` },
    { wait: true, usage: USAGE, document: false },
  );

async function demoInstance(clients: Clients, out: Output, identifier: string) {
  await createSampleInstance(clients.rds, identifier);
  const before = captureInstanceConfig((await findInstance(clients.rds, identifier))!);
  out.line(
    `  created ${identifier}: postgres 15, Multi-AZ, gp3, custom groups, port 5433, opted in (rewind:allow=true)`,
  );
  out.line();
  const outcome = await restoreInPlace(clients, out, identifier, false);
  const db = await findInstance(clients.rds, identifier);
  const after = db ? captureInstanceConfig(db) : undefined;
  const differences = after ? diffInstanceConfig(before, after) : [];
  const sameEndpoint = after?.endpointAddress === before.endpointAddress;
  const { ok, run } = report(
    out,
    {
      title: `instance ${identifier}`,
      before: instanceFacts(before),
      after: after && instanceFacts(after),
      differences,
      endpoints: 'endpoint',
      sameEndpoints: sameEndpoint,
      newResource: after !== undefined && after.dbiResourceId !== before.dbiResourceId,
    },
    outcome,
  );
  return { ok, before, after, differences, sameEndpoint, run };
}

async function demoCluster(clients: Clients, out: Output, identifier: string) {
  const started = Date.now();
  const before = await createSampleCluster(clients.rds, identifier);
  const [writer, ...readers] = before.members;
  out.line(
    `  created Aurora MySQL cluster ${identifier} in ${formatDuration(Date.now() - started)}: writer ${writer?.identifier}` +
      ` and readers ${readers.map((m) => m.identifier).join(', ')}, custom groups, encrypted, port ${before.port}, opted in`,
  );
  out.line();
  const outcome = await restoreInPlace(clients, out, identifier, true);
  const after = await describeCluster(clients.rds, identifier);
  const differences = after ? diffClusterConfig(before, after) : [];
  const endpoints = { before: clusterEndpoints(before), after: after && clusterEndpoints(after) };
  const sameEndpoints = JSON.stringify(endpoints.after) === JSON.stringify(endpoints.before);
  const { ok, run } = report(
    out,
    {
      title: `cluster ${identifier}`,
      before: clusterFacts(before),
      after: after && clusterFacts(after),
      differences,
      endpoints: 'cluster, reader and member endpoints',
      sameEndpoints,
      newResource: after !== undefined && after.dbClusterResourceId !== before.dbClusterResourceId,
    },
    outcome,
  );
  return { ok, before, after, differences, sameEndpoints, endpoints, run };
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'Restore a sample database and Aurora cluster on an in-process local cloud, end to end',
  usage: USAGE,
  async run(args, io) {
    let values;
    try {
      ({ values } = parseArgs({
        args,
        options: {
          identifier: { type: 'string' },
          'cluster-identifier': { type: 'string' },
          'skip-cluster': { type: 'boolean' },
          keep: { type: 'boolean' },
          ui: { type: 'boolean' },
          port: { type: 'string' },
          json: { type: 'boolean' },
        },
        strict: true,
      }));
    } catch (err) {
      throw new UsageError((err as Error).message, USAGE);
    }
    const identifier = values.identifier ?? 'orders-db';
    const clusterIdentifier = values['cluster-identifier'] ?? 'ledger';
    const withCluster = values['skip-cluster'] !== true;
    const ui = values.ui === true;
    const keep = values.keep === true || ui;
    if (values.port !== undefined && !keep) throw new UsageError('--port goes with --keep (or --ui)', USAGE);
    const port = values.port === undefined ? (keep ? DEFAULT_PORT : 0) : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port must be 0-65535, not "${values.port}"`, USAGE);
    const out = new Output(io, values.json === true);
    const started = Date.now();
    const cloudLog: string[] = [];
    out.line(
      out.paint('bold', 'Rewind demo') +
        `: restore ${withCluster ? 'a database and an Aurora cluster' : 'a database'} in place from a fresh snapshot, on a local cloud`,
    );
    // The in-process runtime keeps a long poll (one abort listener) per receiver on shared signals.
    setMaxListeners(64);
    const cloud = await startLocalCloud({
      port,
      quiet: true,
      rds: DEMO_RDS,
      log: (l) => cloudLog.push(l),
    });
    const clients = createClients({
      endpoint: cloud.endpoint,
      local: true,
      region: cloud.identity.region,
      names: resourceNames(cloud.names.prefix),
      description: `the local cloud at ${cloud.endpoint}`,
    });
    try {
      out.line(
        `  local cloud on ${cloud.endpoint} (time scale ${DEMO_TIME_SCALE}: RDS durations x ${DEMO_TIME_SCALE}), ready in ${formatDuration(Date.now() - started)}`,
      );
      const instance = await demoInstance(clients, out, identifier);
      let cluster: Awaited<ReturnType<typeof demoCluster>> | undefined;
      if (withCluster) {
        out.line();
        out.line(out.paint('bold', 'Aurora cluster') + ': the same for a writer and two readers');
        cluster = await demoCluster(clients, out, clusterIdentifier);
      }
      const ok = instance.ok && (cluster?.ok ?? true);
      out.line();
      out.line(
        `Demo ${ok ? out.paint('green', 'succeeded') : out.paint('red', 'FAILED')} in ${formatDuration(Date.now() - started)}` +
          ` (instance ${instance.ok ? 'ok' : 'FAILED'}${cluster ? `, cluster ${cluster.ok ? 'ok' : 'FAILED'}` : ', cluster skipped'}).`,
      );
      const { ok: _instanceOk, ...instanceDocument } = instance;
      out.document({
        ok,
        durationMs: Date.now() - started,
        ...instanceDocument,
        cluster: cluster ?? null,
        ...(keep ? { endpoint: cloud.endpoint } : {}),
      });
      if (!ok && !values.json) io.stderr.write(cloudLog.slice(-40).join('\n') + '\n');
      const target = port === DEFAULT_PORT ? '' : ` --endpoint ${cloud.endpoint}`;
      const names = [identifier, ...(cluster ? [clusterIdentifier] : [])];
      if (keep) {
        out.line();
        out.line(
          `The local cloud stays up on ${cloud.endpoint} with ${names.join(' and ')} and the demo's runs. In another terminal:`,
        );
        commandLines(out, [
          [`npx rewind list${target}`, 'the runs'],
          [`npx rewind status ${instance.run.runId}${target}`, 'a run and its timeline'],
          [`npx rewind restore ${identifier} --wait${target}`, 'restore it again, from its newest snapshot'],
          [`npx rewind ui${target}`, 'the operations console, in a browser'],
          [`export AWS_ENDPOINT_URL=${cloud.endpoint}`, 'then the CLI needs no --endpoint'],
        ]);
        const web = ui ? await startConsole(clients) : undefined;
        if (web) {
          out.line();
          out.line(
            `${out.paint('bold', 'The operations console')} is on ${web.url}: the runs above, their timelines, the databases, the dead letters.`,
          );
        }
        out.line('Ctrl-C to stop.');
        const signal = await untilStopped();
        await web?.close();
        out.line(`${signal}: stopping ${web ? 'the console and ' : ''}the local cloud.`);
      } else {
        out.line('Stopping the local cloud. Next:');
        commandLines(out, [
          [
            'npm run demo -- --keep',
            'the same, then the local cloud stays up to try rewind list / status / restore',
          ],
          [
            'npx rewind local up',
            'a local cloud of your own; README, "The rewind CLI", shows how to add a database',
          ],
          ['docs/deploy.md', 'deploy Rewind to an AWS account, then restore a real database'],
        ]);
      }
      return ok ? 0 : 1;
    } finally {
      clients.close();
      await cloud.stop();
    }
  },
};
