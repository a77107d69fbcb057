import { setMaxListeners } from 'node:events';
import { parseArgs } from 'node:util';
import {
  resourceNames,
  captureInstanceConfig,
  diffInstanceConfig,
  findInstance,
  formatDifferences,
  type InstanceConfig,
} from '@rewind/shared';
import { startLocalCloud } from '@rewind/local';
import type { Command } from '../command';
import { createClients } from '../context';
import { UsageError } from '../errors';
import { Output, formatDuration } from '../output';
import { requestRun } from '../runRequest';
import { runDocument } from '../runView';
import { createSampleInstance } from '@rewind/local/src/samples';
import { printRun } from './status';

const USAGE = `Usage: rewind demo [--identifier NAME] [--json]

  Starts the local cloud in this process (a free port), creates an opted-in sample PostgreSQL instance
  with a production-like configuration, restores it in place with create_snapshot while showing the run
  live, then compares before and after (identifier, endpoint, configuration) and prints the timeline.
  Stops everything at the end. Exit 0 when the run completed with the same endpoint and configuration.

  --identifier NAME   the sample instance (default orders-db)`;

/** RDS lifecycle compressed 500x: a 10-minute restore takes about a second. */
const DEMO_RDS = { profile: 'realistic' as const, timeScale: 0.002, seed: 7 };

function facts(config: InstanceConfig) {
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

export const demoCommand: Command = {
  name: 'demo',
  summary: 'Restore a sample database on an in-process local cloud, end to end',
  usage: USAGE,
  async run(args, io) {
    let values;
    try {
      ({ values } = parseArgs({
        args,
        options: { identifier: { type: 'string' }, json: { type: 'boolean' } },
        strict: true,
      }));
    } catch (err) {
      throw new UsageError((err as Error).message, USAGE);
    }
    const identifier = values.identifier ?? 'orders-db';
    const out = new Output(io, values.json === true);
    const started = Date.now();
    const cloudLog: string[] = [];
    out.line(
      out.paint('bold', 'Rewind demo') +
        ': restore a database in place from a fresh snapshot, on a local cloud',
    );
    // The in-process runtime keeps a long poll (one abort listener) per receiver on shared signals.
    setMaxListeners(64);
    const cloud = await startLocalCloud({
      port: 0,
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
        `  local cloud on ${cloud.endpoint} (RDS time compressed ${1 / DEMO_RDS.timeScale}x), ready in ${formatDuration(Date.now() - started)}`,
      );
      await createSampleInstance(clients.rds, identifier);
      const before = captureInstanceConfig((await findInstance(clients.rds, identifier))!);
      out.line(
        `  created ${identifier}: postgres 15, Multi-AZ, gp3, custom groups, port 5433, opted in (rewind:allow=true)`,
      );
      out.line();

      const outcome = await requestRun(
        clients,
        out,
        { identifier, task: 'create_snapshot', isCluster: false, requestId: `demo-${Date.now()}` },
        { wait: true, usage: USAGE, document: false },
      );
      const db = await findInstance(clients.rds, identifier);
      const after = db ? captureInstanceConfig(db) : undefined;
      const differences = after ? diffInstanceConfig(before, after) : [];
      const sameEndpoint = after?.endpointAddress === before.endpointAddress;
      out.line();
      out.line(out.paint('bold', 'Before and after'));
      const b = facts(before);
      const a = after ? facts(after) : undefined;
      out.table(
        Object.keys(b).map((k) => k as keyof typeof b),
        [
          { header: '', value: (k) => k },
          { header: 'BEFORE', value: (k) => b[k] },
          { header: 'AFTER', value: (k) => (a ? a[k] : '(absent)') },
        ],
        '  ',
      );
      out.line(
        `  configuration differences: ${after ? (differences.length ? out.paint('red', formatDifferences(differences)) : out.paint('green', 'none')) : 'n/a'}` +
          `; endpoint ${sameEndpoint ? out.paint('green', 'unchanged') : out.paint('red', 'CHANGED')}` +
          `; resource id ${after && after.dbiResourceId !== before.dbiResourceId ? 'new (the restored copy)' : 'unchanged'}`,
      );
      out.line();
      out.line(out.paint('bold', 'Timeline'));
      printRun(out, outcome.run, outcome.timeline ?? []);
      const ok = outcome.exitCode === 0 && after !== undefined && !differences.length && sameEndpoint;
      out.line();
      out.line(
        `Demo ${ok ? out.paint('green', 'succeeded') : out.paint('red', 'FAILED')} in ${formatDuration(Date.now() - started)}. Stopping the local cloud.`,
      );
      out.document({
        ok,
        durationMs: Date.now() - started,
        before,
        after,
        differences,
        sameEndpoint,
        run: runDocument(outcome.run, outcome.timeline ?? []),
      });
      if (!ok && !values.json) io.stderr.write(cloudLog.slice(-40).join('\n') + '\n');
      return ok ? 0 : 1;
    } finally {
      clients.close();
      await cloud.stop();
    }
  },
};
