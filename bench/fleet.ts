/**
 * Fleet benchmark (run: `npm run bench:fleet`; FLEET_SIZES=50,200,500, FLEET_TIME_SCALE=0.02,
 * FLEET_TASK=create_snapshot). Starts N restores at once, each on its own production-like instance, on a
 * fresh local cloud per N, and prints how long the fleet took against the least it could take:
 * max(the longest run's RDS work, the RDS calls made / 12 per second), with the calls throttled, the runs
 * failed and the runs lost (every run must end in a terminal event).
 *
 * RDS's API budget is the bottleneck, as it would be in AWS: the account-wide token bucket keeps its
 * production rate (burst 300, 12 calls/s, not compressed), while RDS's operations run at the realistic
 * profile compressed by FLEET_TIME_SCALE. Rewind's wait settings keep their production values: a run held
 * up by the budget lasts about as long here as it would in AWS, so its deadline checks are as many.
 * Figures only, no assertions.
 */
import { setMaxListeners } from 'node:events';
import { createSampleInstance } from '../local/src';
import { startE2E } from '../e2e/harness';
import { productionWait, RunTally, seconds, stealMeter } from './bed';
import { fleetBound, pct, rdsBusy, total, type StatusHistory } from './figures';

setMaxListeners(0);
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const SIZES = (process.env.FLEET_SIZES ?? '50,200,500').split(',').map(Number);
const SCALE = Number(process.env.FLEET_TIME_SCALE ?? 0.02);
const TASK = process.env.FLEET_TASK ?? 'create_snapshot';
/** A fleet that makes no progress for this long (real time) is reported with its lost runs. */
const STALL_MS = Number(process.env.FLEET_STALL_SECONDS ?? 600) * 1000;

interface Calls {
  byAction: Record<string, number>;
  throttled: Record<string, number>;
}

const sum = (o: Record<string, number> = {}) => Object.values(o).reduce((a, b) => a + b, 0);
const diff = (after: Record<string, number> = {}, before: Record<string, number> = {}) =>
  Object.fromEntries(
    Object.entries(after)
      .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
      .filter(([, v]) => v > 0),
  );

async function fleet(n: number) {
  console.log(`\n== N = ${n} concurrent ${TASK} runs ==`);
  const e2e = await startE2E({
    rds: { profile: 'instant', timeScale: SCALE, seed: 11 },
    env: productionWait(),
  });
  try {
    await e2e.cloud.admin.post('/_rewind/rds/config', { throttle: { enabled: false } });
    const ids = Array.from({ length: n }, (_, i) => `fleet-${String(i).padStart(3, '0')}-db`);
    process.stdout.write(`creating ${n} production-like instances (instant profile, no throttle)...`);
    for (let i = 0; i < ids.length; i += 25) {
      await Promise.all(ids.slice(i, i + 25).map((id) => createSampleInstance(e2e.rds, id)));
    }
    process.stdout.write(' done\n');
    await e2e.cloud.admin.post('/_rewind/rds/config', {
      profile: 'realistic',
      timeScale: SCALE,
      throttle: { enabled: true, burst: 300, refillPerSecond: 12, timeScaled: false },
    });
    const before = await e2e.cloud.admin.get<Calls>('/_rewind/rds/calls');
    const tally = new RunTally(e2e.observer);
    const steal = stealMeter();
    const started = Date.now();
    const requests = ids.map((id) => `fleet-${id}-${started}`);
    for (let i = 0; i < ids.length; i += 20) {
      await Promise.all(
        ids
          .slice(i, i + 20)
          .map((id, j) => e2e.publish({ identifier: id, task: TASK, requestId: requests[i + j] })),
      );
    }
    const endedAt = new Map<string, number>();
    let shown = 0;
    await tally.settle(requests, STALL_MS, (done) => {
      for (const r of requests) {
        const run = tally.runOf.get(r);
        if (!endedAt.has(r) && (tally.rejected.has(r) || (run && tally.terminal.has(run))))
          endedAt.set(r, Date.now());
      }
      if (Date.now() - shown < 10_000 && done < n) return;
      shown = Date.now();
      console.log(`${done}/${n} runs ended (${seconds((Date.now() - started) / 1000)})`);
    });
    const stealLine = steal.line();
    const after = await e2e.cloud.admin.get<Calls>('/_rewind/rds/calls');
    const calls = diff(after.byAction, before.byAction);
    const throttled = diff(after.throttled, before.throttled);
    const histories = await e2e.cloud.admin.get<StatusHistory[]>('/_rewind/rds/history');

    const completed: string[] = [];
    const failed: string[] = [];
    const lost: string[] = [];
    for (const r of requests) {
      const run = tally.runOf.get(r);
      const t = run ? tally.terminal.get(run)?.['detail-type'] : undefined;
      if (t === 'RunCompleted') completed.push(r);
      else if (t === 'RunFailed' || tally.rejected.has(r)) failed.push(r);
      else lost.push(r);
    }
    const last = Math.max(...endedAt.values(), started);
    const wallMs = (lost.length ? Date.now() : last) - started;
    // Each run's RDS work: the time any of its resources was in an RDS operation (a lower bound of the run).
    const byDb = new Map<string, StatusHistory[]>();
    for (const h of histories) {
      const db = h.identifiers.map((x) => /^fleet-\d{3}-db/.exec(x)?.[0]).find(Boolean);
      if (db) byDb.set(db, [...(byDb.get(db) ?? []), h]);
    }
    const rdsWork = [...byDb.values()].map((hs) => total(rdsBusy(hs, last).filter((s) => s.from >= started)));
    const longestOp = Math.max(
      0,
      ...histories.flatMap((h) =>
        rdsBusy([h], last)
          .filter((s) => s.from >= started)
          .map((s) => s.to - s.from),
      ),
    );
    const totalCalls = sum(calls);
    const bound = fleetBound(Math.max(0, ...rdsWork), totalCalls);

    console.log(`completion: ${seconds(wallMs / 1000)} for ${n} runs`);
    console.log(
      `runs: ${completed.length} completed, ${failed.length} failed or rejected, ${lost.length} lost (no terminal event after ${seconds(STALL_MS / 1000)} without progress)`,
    );
    console.log(
      `RDS calls: ${totalCalls} executed (${(totalCalls / n).toFixed(1)} per run), ${sum(throttled)} refused by the throttle`,
    );
    console.log(
      `  per run by action: ${Object.entries(calls)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${(v / n).toFixed(1)}`)
        .join(', ')}`,
    );
    if (sum(throttled))
      console.log(
        `  throttled by action: ${Object.entries(throttled)
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
    console.log(
      `lower bound: ${seconds(bound.boundMs / 1000)} = max(longest run's RDS work ${seconds(Math.max(0, ...rdsWork) / 1000)} (longest single operation ${seconds(longestOp / 1000)}; RDS x ${SCALE}), calls / 12 per s ${seconds(bound.callsMs / 1000)}); after the burst of 300: ${seconds(bound.burstAwareMs / 1000)}`,
    );
    console.log(
      `completion / bound: ${(wallMs / bound.boundMs).toFixed(2)}x (aim: <= 1.2x at N = 500); RDS work per run p50 ${seconds(pct(rdsWork, 0.5) / 1000)}, p99 ${seconds(pct(rdsWork, 0.99) / 1000)}`,
    );
    const ends = [...endedAt.values()].map((t) => t - started);
    console.log(
      `run end times: p50 ${seconds(pct(ends, 0.5) / 1000)}, p99 ${seconds(pct(ends, 0.99) / 1000)}`,
    );
    for (const r of [...lost, ...failed].slice(0, 10)) {
      const runId = tally.runOf.get(r);
      const run = runId ? await e2e.store.getRun(runId) : undefined;
      console.log(
        `  ${r}: ${tally.rejected.get(r) ?? (run ? `${run.status} at ${run.run.next ?? '-'}, waiting on ${run.expectation?.resourceName ?? '-'} (${run.failure?.reason ?? 'no failure recorded'})` : 'no run started')}`,
      );
    }
    console.log(stealLine);
  } finally {
    await e2e.stop();
  }
}

async function main() {
  console.log(
    `RDS realistic durations x ${SCALE}; RDS API throttle at its production rate (burst 300, 12/s); Rewind's production wait settings`,
  );
  for (const n of SIZES) await fleet(n);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
