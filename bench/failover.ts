/**
 * Failover benchmark (run: `npx tsx bench/failover.ts`; BENCH_RUNS=3, BENCH_TIME_SCALE=0.002). On the local
 * cloud with two regions, a plan of two layers (an Aurora global database and a PostgreSQL cross-region
 * replica in layer 1, an ElastiCache global datastore in layer 2) fails over planned and back, BENCH_RUNS
 * times, and the bench prints per layer: the layer's wall time, the emulated AWS time (from the layer's
 * first call until its last resource reached its target, as an observer polling the APIs every 10 ms saw
 * it), and the orchestration's own time (the rest: noticing the end, deciding, the next calls).
 * Figures only, no assertions.
 *
 * Definitions, per layer (times from the state table, the emulators' APIs and the bus):
 * - start: the first look of the layer's phase claimed it (the run's expectation names the phase);
 * - AWS done: the last of the layer's resources seen at its target (writer, standalone, primary group);
 * - end: the next layer's phase claimed, or the terminal event;
 * overhead = (end - start) - (AWS done - start).
 */
import { setMaxListeners } from 'node:events';
import { findInstance, type RunRecord } from '@rewind/shared';
import {
  clusterArn,
  connectRegions,
  disconnectRegions,
  globalDatabase,
  globalDatastore,
  primaryGroupOf,
  rdsIn,
  replica,
  replicatedInstance,
  request,
  writerOf,
} from '../e2e/drHarness';
import { startE2E } from '../e2e/harness';

setMaxListeners(64);
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TIME_SCALE = Number(process.env.BENCH_TIME_SCALE ?? 0.002);

interface LayerFigures {
  wallMs: number;
  awsMs: number;
  overheadMs: number;
}

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

async function main() {
  const e2e = await startE2E({ rds: { timeScale: TIME_SCALE }, elasticache: { timeScale: TIME_SCALE } });
  connectRegions(e2e.cloud.endpoint);
  const started = Date.now();
  const [, , datastore] = await Promise.all([
    globalDatabase('orders'),
    replicatedInstance('billing'),
    globalDatastore('sessions'),
  ]);
  console.log(`setup (global database, replica, global datastore): ${Date.now() - started} ms`);

  const layerOf = (run: RunRecord | undefined) => {
    const index = run?.expectation?.phase?.index;
    if (index === undefined) return undefined;
    // Failover: one phase per layer. Failback: layer 1 has two (keep snapshots / create replica, then move).
    return run!.dr!.direction === 'failover' ? index : index < 2 ? 0 : 1;
  };
  const figures: Record<string, LayerFigures[][]> = { failover: [], failback: [] };

  for (let i = 0; i < RUNS; i++) {
    for (const direction of ['failover', 'failback'] as const) {
      const west = direction === 'failover';
      const target = west ? 'us-west-2' : 'us-east-1';
      const replicaId = west ? (i === 0 ? 'billing-west' : `billing-w${i}`) : `billing-e${i}`;
      const source = west
        ? i === 0
          ? 'billing'
          : `billing-e${i - 1}`
        : i === 0
          ? 'billing-west'
          : `billing-w${i}`;
      const layers = [
        {
          resources: [
            {
              type: 'aurora-global',
              globalClusterId: 'orders',
              targetClusterId: west ? 'orders-west' : 'orders-east',
              targetRegion: target,
            },
            west
              ? { type: 'rds-replica', replicaId, replicaRegion: target, sourceRegion: 'us-east-1' }
              : {
                  type: 'rds-replica',
                  replicaId,
                  replicaRegion: target,
                  sourceRegion: 'us-west-2',
                  sourceId: source,
                },
          ],
        },
        {
          resources: [
            {
              type: 'elasticache-global',
              globalReplicationGroupId: datastore,
              targetRegion: target,
              targetReplicationGroupId: west ? 'sessions-west' : 'sessions-east',
            },
          ],
        },
      ];
      if (west && i > 0) {
        // A new replica to fail over to: of the primary the last failback promoted.
        await replica(replicaId, 'us-west-2', `billing-e${i - 1}`, 'us-east-1');
      }
      const label = `bench-${direction}-${i + 1}`;
      // Observer: the layer each moment, and when AWS shows each layer's resources at their target.
      const marks: { layer: number; start: number; awsDone?: number; end?: number }[] = [];
      const watch = (async () => {
        for (;;) {
          const now = Date.now();
          const runId = e2e.observer.events.find(
            (ev) => ev['detail-type'] === 'FailoverStarted' && ev.detail.plan === label,
          )?.detail.run?.id;
          const run = runId ? await e2e.store.getRun(runId) : undefined;
          const layer = layerOf(run);
          const last = marks.at(-1);
          if (layer !== undefined && layer !== last?.layer) {
            if (last) last.end = now;
            marks.push({ layer, start: now });
          }
          const current = marks.at(-1);
          if (current && current.awsDone === undefined) {
            const done =
              current.layer === 0
                ? (await writerOf('orders')) === clusterArn(target, west ? 'orders-west' : 'orders-east') &&
                  (await findInstance(rdsIn[target]!, replicaId))?.ReadReplicaSourceDBInstanceIdentifier ===
                    undefined &&
                  (await findInstance(rdsIn[target]!, replicaId))?.DBInstanceStatus === 'available'
                : (await primaryGroupOf(datastore)) === (west ? 'sessions-west' : 'sessions-east');
            if (done) current.awsDone = Date.now();
          }
          if (run && run.status !== 'running') {
            if (current) current.end = now;
            return;
          }
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      const { terminal } = await request(e2e, { plan: label, direction, layers });
      await watch;
      if (terminal['detail-type'] !== 'FailoverCompleted') {
        throw new Error(
          `${direction} ${i + 1}: ${terminal['detail-type']} ${String(terminal.detail.reason)}`,
        );
      }
      figures[direction]!.push(
        marks.map((m) => {
          const wallMs = (m.end ?? m.start) - m.start;
          const awsMs = (m.awsDone ?? m.end ?? m.start) - m.start;
          return { wallMs, awsMs, overheadMs: Math.max(0, wallMs - awsMs) };
        }),
      );
    }
  }

  console.log(
    `\nplanned failover and failback of a 2-layer plan, ${RUNS} time(s) each, time scale ${TIME_SCALE}`,
  );
  console.log('direction  layer  wall p50   AWS p50   orchestration p50 / p99 (ms)');
  for (const direction of ['failover', 'failback'] as const) {
    for (const layer of [0, 1]) {
      const rows = figures[direction]!.map((r) => r[layer]).filter((r): r is LayerFigures => Boolean(r));
      const p = (k: keyof LayerFigures, q: number) =>
        pct(
          rows.map((r) => r[k]),
          q,
        );
      console.log(
        `${direction.padEnd(10)} ${String(layer + 1).padEnd(6)} ${String(p('wallMs', 50)).padStart(8)}  ${String(
          p('awsMs', 50),
        ).padStart(8)}  ${String(p('overheadMs', 50)).padStart(8)} / ${p('overheadMs', 99)}`,
      );
    }
  }
  disconnectRegions();
  await e2e.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
