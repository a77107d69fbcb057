/**
 * Downtime benchmark (run: `npm run bench:downtime`; DOWNTIME_TIME_SCALE=0.2,
 * DOWNTIME_STRATEGIES=in-place,swap, DOWNTIME_KINDS=instance,cluster). Restores production-like databases
 * with `create_snapshot` at RDS's realistic durations compressed by one factor (default 1/5: every
 * production wait setting stays a whole number of seconds, as SQS delays must; a ten-minute restore takes
 * two minutes), with Rewind's own wait settings (first check, backoff ceiling, rename check, confirmation)
 * compressed by the same factor, and prints for each run how long the database's endpoint did not answer,
 * read from the emulator's endpoint availability timeline (`GET /_rewind/rds/availability`), converted to
 * production seconds. In-place and swap run side by side on one local cloud, instance and cluster.
 *
 * Rewind's own part of the downtime: the time the endpoint did not answer while RDS had nothing in
 * progress for the run (no resource of the run creating, renaming, rebooting, modifying...): from a
 * rename (or a restore) finishing in RDS to Rewind's next call. A rename has no RDS event, so its
 * confirmation lag is in there. Figures only, no assertions.
 */
import { setMaxListeners } from 'node:events';
import { DescribeDBClustersCommand, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { createProductionCluster } from '../e2e/clusterHarness';
import { createProductionInstance, startE2E, type E2E } from '../e2e/harness';
import { RunTally, scaledWait, seconds, stealMeter } from './bed';
import {
  complement,
  intersect,
  outages,
  rdsBusy,
  total,
  type AnsweringInterval,
  type Span,
  type StatusHistory,
} from './figures';

setMaxListeners(64);
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const SCALE = Number(process.env.DOWNTIME_TIME_SCALE ?? 1 / 5);
const STRATEGIES = (process.env.DOWNTIME_STRATEGIES ?? 'in-place,swap').split(',');
const KINDS = (process.env.DOWNTIME_KINDS ?? 'instance,cluster').split(',') as ('instance' | 'cluster')[];
/** RDS Blue/Green: "The switchover typically takes under a minute" (CreateBlueGreenDeployment, API reference). */
const BLUE_GREEN_SECONDS = 60;

/** Real milliseconds of the compressed run -> production seconds. */
const prod = (realMs: number) => realMs / SCALE / 1000;

interface Case {
  kind: 'instance' | 'cluster';
  strategy: string;
  identifier: string;
  addresses: { label: string; address: string }[];
}

interface Result extends Case {
  outcome: string;
  /** Per address: the outage spans within the run. */
  down: Map<string, Span[]>;
  own: Span[];
  renames: number;
  histories: StatusHistory[];
  /** RDS API calls the run made, by action. */
  calls: Record<string, number>;
}

interface Calls {
  byIdentifier: Record<string, Record<string, number>>;
}

/** The calls made on the database's resources (named by identifier or ARN) between two counts. */
function callsOf(identifier: string, before: Calls, after: Calls): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [id, actions] of Object.entries(after.byIdentifier)) {
    if (!(id.split(':').pop() ?? id).startsWith(identifier)) continue;
    for (const [action, n] of Object.entries(actions)) {
      const d = n - (before.byIdentifier[id]?.[action] ?? 0);
      if (d > 0) out[action] = (out[action] ?? 0) + d;
    }
  }
  return out;
}

/** What RDS finished before a span of Rewind's own part, and what came next (the resource, its status). */
function explain(histories: StatusHistory[], span: Span): string {
  const entries = histories
    .filter((h) => h.kind === 'instance' || h.kind === 'cluster')
    .flatMap((h) => h.entries)
    .map((e) => ({ ...e, t: Date.parse(e.time) }))
    .sort((a, b) => a.t - b.t);
  const before = entries.filter((e) => e.t <= span.from).pop();
  const after = entries.find((e) => e.t >= span.to);
  const what = (e?: { identifier: string; status: string }) =>
    e ? `${e.identifier} ${e.status}` : 'nothing';
  return `${seconds(prod(span.to - span.from))}: after ${what(before)}, until ${what(after)}`;
}

async function createCase(e2e: E2E, kind: Case['kind'], strategy: string): Promise<Case> {
  const identifier = `dt-${strategy === 'swap' ? 'sw' : 'ip'}-${kind === 'instance' ? 'inst' : 'clu'}`;
  if (kind === 'instance') {
    await createProductionInstance(e2e.rds, identifier);
    const db = (await e2e.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier })))
      .DBInstances![0]!;
    return { kind, strategy, identifier, addresses: [{ label: 'endpoint', address: db.Endpoint!.Address! }] };
  }
  await createProductionCluster(e2e.rds, identifier);
  const c = (await e2e.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: identifier })))
    .DBClusters![0]!;
  return {
    kind,
    strategy,
    identifier,
    addresses: [
      { label: 'writer endpoint', address: c.Endpoint! },
      { label: 'reader endpoint', address: c.ReaderEndpoint! },
    ],
  };
}

async function main() {
  const { env, rounded, wait } = scaledWait(SCALE);
  const e2e = await startE2E({ rds: { profile: 'instant', timeScale: SCALE, seed: 7 }, env });
  const tally = new RunTally(e2e.observer);
  try {
    console.log(
      `RDS realistic durations x ${SCALE.toFixed(4)} (1/${(1 / SCALE).toFixed(0)}); Rewind waits x the same: first check ${wait.firstCheckSeconds.toFixed(2)} s, confirmation ${wait.confirmSeconds.toFixed(2)} s, backoff up to ${wait.maxCheckSeconds.toFixed(0)} s`,
    );
    for (const r of rounded) console.log(`  SQS delays are whole seconds: ${r}`);
    console.log('creating the databases (instant profile)...');
    const cases: Case[] = [];
    for (const kind of KINDS)
      for (const strategy of STRATEGIES) cases.push(await createCase(e2e, kind, strategy));
    await e2e.cloud.admin.post('/_rewind/rds/config', { profile: 'realistic', timeScale: SCALE });

    const callsBefore = await e2e.cloud.admin.get<Calls>('/_rewind/rds/calls');
    console.log(`running ${cases.length} create_snapshot runs side by side...`);
    const steal = stealMeter();
    const started = Date.now();
    const requests = cases.map((c) => `downtime-${c.identifier}-${started}`);
    await Promise.all(
      cases.map((c, i) =>
        e2e.publish({
          identifier: c.identifier,
          isCluster: c.kind === 'cluster',
          task: 'create_snapshot',
          strategy: c.strategy,
          requestId: requests[i],
        }),
      ),
    );
    // A cluster restore takes 30 min and more in production: allow 4 h of production time without progress.
    await tally.settle(requests, (4 * 3600 * 1000 * SCALE) | 0, (n) =>
      process.stdout.write(`\r${n}/${cases.length} runs ended (${seconds((Date.now() - started) / 1000)})`),
    );
    const ended = Date.now();
    process.stdout.write('\n');
    const stealLine = steal.line();

    const histories = await e2e.cloud.admin.get<StatusHistory[]>('/_rewind/rds/history');
    const callsAfter = await e2e.cloud.admin.get<Calls>('/_rewind/rds/calls');
    const timelines =
      await e2e.cloud.admin.get<{ address: string; intervals: AnsweringInterval[] }[]>(
        '/_rewind/rds/availability',
      );
    const results: Result[] = cases.map((c, i) => {
      const runId = tally.runOf.get(requests[i]!);
      const terminal = runId ? tally.terminal.get(runId) : undefined;
      const outcome = tally.rejected.has(requests[i]!)
        ? `RestoreRejected: ${tally.rejected.get(requests[i]!)}`
        : (terminal?.['detail-type'] ?? 'no terminal event (lost)');
      const window: Span = { from: started, to: ended };
      const down = new Map(
        c.addresses.map((a) => [
          a.label,
          outages(timelines.find((t) => t.address === a.address)?.intervals ?? [], window),
        ]),
      );
      const mine = histories.filter((h) => h.identifiers.some((id) => id.startsWith(c.identifier)));
      const busy = rdsBusy(mine, ended);
      const main = down.get(c.addresses[0]!.label) ?? [];
      const own = intersect(main, complement(busy, window));
      const renames = mine
        .filter((h) => h.kind === c.kind)
        .flatMap((h) =>
          h.entries.filter((e, j) => e.status === 'renaming' && h.entries[j - 1]?.status !== 'renaming'),
        )
        .filter((e) =>
          main.some((s) => Date.parse(e.time) >= s.from - 1 && Date.parse(e.time) <= s.to),
        ).length;
      return {
        ...c,
        outcome,
        down,
        own,
        renames,
        histories: mine,
        calls: callsOf(c.identifier, callsBefore, callsAfter),
      };
    });

    console.log('\nper run (production seconds: real time / time scale):');
    for (const r of results) {
      console.log(`  ${r.kind} ${r.strategy} (${r.identifier}): ${r.outcome}`);
      for (const [label, spans] of r.down) {
        console.log(
          `    ${label} did not answer for ${seconds(prod(total(spans)))} in ${spans.length} outage(s)${spans.map((s) => ` [${seconds(prod(s.to - s.from))}]`).join('')}`,
        );
      }
      console.log(
        `    renames during the outage: ${r.renames}; Rewind's own part (RDS idle, endpoint down): ${seconds(prod(total(r.own)))}${r.own.map((s) => ` [${seconds(prod(s.to - s.from))}]`).join('')}`,
      );
      for (const span of r.own) console.log(`      ${explain(r.histories, span)}`);
      const calls = Object.entries(r.calls).sort((a, b) => b[1] - a[1]);
      console.log(
        `    RDS API calls of the run (production wait settings, realistic durations): ${calls.reduce((n, [, v]) => n + v, 0)} (${calls.map(([k, v]) => `${k} ${v}`).join(', ')})`,
      );
    }

    const downOf = (kind: string, strategy: string) => {
      const r = results.find(
        (x) => x.kind === kind && x.strategy === strategy && x.outcome === 'RunCompleted',
      );
      return r ? prod(total(r.down.get(r.addresses[0]!.label) ?? [])) : undefined;
    };
    console.log('\nsummary (first endpoint of each: the instance endpoint, the cluster writer endpoint):');
    for (const kind of KINDS) {
      const inPlace = downOf(kind, 'in-place');
      const swap = downOf(kind, 'swap');
      const fmt = (v: number | undefined) => (v === undefined ? 'n/a (run did not complete)' : seconds(v));
      console.log(`  ${kind}: in-place ${fmt(inPlace)}, swap ${fmt(swap)}`);
      if (inPlace !== undefined && swap !== undefined) {
        console.log(
          `    swap / in-place: ${((100 * swap) / inPlace).toFixed(1)}% (aim: <= 25%); swap vs RDS Blue/Green switchover (typically under ${BLUE_GREEN_SECONDS} s): ${(swap / BLUE_GREEN_SECONDS).toFixed(2)}x`,
        );
      }
    }
    console.log(`wall time ${seconds((ended - started) / 1000)}; ${stealLine}`);
  } finally {
    await e2e.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
