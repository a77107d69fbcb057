/**
 * `npm run docs:screenshots`: the console's pages as docs/console/*.png, from a scenario run on a local
 * cloud in this process (a completed restore, a failed one rolled back, a run under way, a dead letter),
 * taken by headless chromium. Run it again after changing a page.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setMaxListeners } from 'node:events';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { createSampleCluster, createSampleInstance, startLocalCloud } from '@rewind/local';
import {
  policySnapshotName,
  policySnapshotTags,
  readPolicyFile,
  SNAPSHOT_KINDS,
  type RunRecord,
} from '@rewind/shared';
import { publishReplication, replicationRequestOf, replicationStatus } from '../src/commands/replication';
import { createClients, type Clients } from '../src/context';
import { queueUrl } from '../src/queues';
import { awaitRun, publishRequest } from '../src/requests';
import { startConsole } from '../src/ui/server';
import { chromiumAvailable, CHROMIUM, launchBrowser } from './browser';

const OUT = resolve(__dirname, '../../docs/console');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function start(clients: Clients, detail: Parameters<typeof publishRequest>[1]): Promise<RunRecord> {
  return awaitRun(clients, await publishRequest(clients, detail, 'screenshots'));
}

async function until(clients: Clients, runId: string, done: (r: RunRecord) => boolean): Promise<RunRecord> {
  for (let i = 0; i < 1200; i++) {
    const run = await clients.store.getRun(runId);
    if (run && done(run)) return run;
    await sleep(100);
  }
  throw new Error(`run ${runId} did not get there in 2 minutes`);
}
const ended = (r: RunRecord) => r.status !== 'running' && r.status !== 'rolling-back';

/**
 * A replication policy of orders-db to another account, which has no Rewind here: nothing acknowledges
 * the announcement, so the replication page shows that destination failed at announce (no answer within
 * the ack deadline, 60 s on the local cloud), unshared and cleaned up.
 */
const REPLICATION = {
  replication: [
    {
      name: 'orders-to-staging',
      source: { account: '000000000000', region: 'us-east-1', identifier: 'orders-db' },
      destinations: [
        {
          account: '222222222222',
          kmsKeyId: 'arn:aws:kms:us-east-1:222222222222:key/0b7d5e2a-93c4-4f6b-8e1d-5a2c7f9e4b10',
          mode: 'versioned',
          prefix: 'orders-copy',
          keep: 2,
          secret: { id: 'orders/endpoint' },
        },
      ],
    },
  ],
};

/** The policy file the databases page reads: a snapshot policy of orders-db, a DR plan of ledger not yet set up. */
const POLICY_FILE = {
  ...REPLICATION,
  snapshotPolicies: [
    {
      name: 'orders-daily',
      kind: 'instance',
      databases: { identifiers: ['orders-db'] },
      schedule: 'cron(0 2 * * ? *)',
      retention: { maxAgeDays: 30 },
    },
  ],
  drPlans: {
    failover: 'to-west',
    plans: {
      'to-west': {
        layers: [
          {
            resources: [
              {
                type: 'aurora-global',
                globalClusterId: 'ledger-global',
                targetClusterId: 'ledger',
                targetRegion: 'us-east-1',
              },
            ],
          },
        ],
      },
    },
  },
};

/** Policy snapshots of orders-db as the lifecycle service names and tags them, `daysAgo` each. */
async function policySnapshots(clients: Clients, daysAgo: number[]): Promise<void> {
  const names: string[] = [];
  for (const days of daysAgo) {
    const when = new Date(Date.now() - days * 86_400_000);
    const name = policySnapshotName('orders-daily', 'orders-db', when);
    names.push(name);
    await SNAPSHOT_KINDS.instance.create(
      clients.rds,
      'orders-db',
      name,
      policySnapshotTags('orders-daily', 'orders-db', when.toISOString()),
    );
  }
  for (let i = 0; i < 1200; i++) {
    const listed = await SNAPSHOT_KINDS.instance.list(clients.rds, 'orders-db');
    if (
      listed.filter((s) => names.includes(s.snapshotIdentifier) && s.status === 'available').length ===
      names.length
    )
      return;
    await sleep(100);
  }
  throw new Error('the policy snapshots of orders-db did not become available in 2 minutes');
}

async function main() {
  if (!chromiumAvailable())
    throw new Error(`no chromium at ${CHROMIUM}: apt-get install chromium (or set REWIND_CHROMIUM)`);
  mkdirSync(OUT, { recursive: true });
  setMaxListeners(64);
  // The deployment's replication policies (what its functions get): the replication section alone.
  const dir = mkdtempSync(join(tmpdir(), 'rewind-screenshots-'));
  writeFileSync(join(dir, 'deployed.json'), JSON.stringify(REPLICATION));
  process.env.REWIND_CONFIG_FILE = join(dir, 'deployed.json');
  const cloud = await startLocalCloud({
    port: 0,
    quiet: true,
    rds: { profile: 'realistic', timeScale: 0.002, seed: 7 },
    log: () => undefined,
    // The services' own log lines are not what this script shows.
    env: { REWIND_LOG_LEVEL: 'error' },
  });
  const clients = createClients({
    endpoint: cloud.endpoint,
    local: true,
    region: cloud.identity.region,
    names: cloud.names,
    description: `the local cloud at ${cloud.endpoint}`,
  });
  const policyFile = join(dir, 'rewind.config.json');
  writeFileSync(policyFile, JSON.stringify(POLICY_FILE));
  const web = await startConsole(clients, { liveMs: 500, policyFile });
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    await page.goto(web.url); // the session's cookie
    const shot = async (name: string, path: string) => {
      await page.goto(`${web.origin}/${path}`);
      await page.screenshot({ path: `${OUT}/${name}.png`, fullPage: true });
      process.stdout.write(`  docs/console/${name}.png\n`);
    };
    for (const id of ['orders-db', 'billing-db', 'reports-db']) await createSampleInstance(clients.rds, id);
    await createSampleCluster(clients.rds, 'ledger');
    await createSampleInstance(clients.rds, 'scratch-db', { Tags: [] });
    await policySnapshots(clients, [40, 1, 0]);

    await cloud.admin.post('/_rewind/rds/faults', {
      operations: [{ operation: 'restore', identifier: 'billing-db', outcome: 'failed', times: 1 }],
    });
    const [completed, failed, cluster] = await Promise.all([
      start(clients, { identifier: 'orders-db', task: 'create_snapshot', requestId: 'docs-orders' }),
      start(clients, { identifier: 'billing-db', task: 'create_snapshot', requestId: 'docs-billing' }),
      start(clients, {
        identifier: 'ledger',
        isCluster: true,
        task: 'create_snapshot_only',
        requestId: 'docs-ledger',
      }),
    ]);
    await Promise.all([completed, failed, cluster].map((r) => until(clients, r.runId, ended)));

    await clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: await queueUrl(clients.sqs, cloud.names.inboxDlq('restore')),
        MessageBody: JSON.stringify({
          version: '0',
          id: 'evt-docs-reports',
          'detail-type': 'RestoreRequested',
          source: 'my.team',
          account: cloud.identity.accountId,
          time: new Date().toISOString(),
          region: cloud.identity.region,
          resources: [],
          detail: { identifier: 'reports-db', task: 'create_snapshot_only', requestId: 'docs-reports' },
        }),
      }),
    );

    // A run under way: the runs page and the choreography show where it is.
    const live = await start(clients, {
      identifier: 'orders-db',
      task: 'db_restore',
      requestId: 'docs-orders-again',
    });
    await until(clients, live.runId, (r) => r.run.next === 'restore' || ended(r));
    await shot('choreography', `choreography?run=${encodeURIComponent(live.runId)}`);
    await shot('runs', 'runs');
    await shot('databases', 'databases');
    await until(clients, live.runId, ended);

    await shot('run', `runs/${encodeURIComponent(completed.runId)}`);
    await shot('run-failed', `runs/${encodeURIComponent(failed.runId)}`);
    // A replication asked for now, as the console's Replicate now does; shown once the destination's part ended.
    const request = replicationRequestOf(
      readPolicyFile(policyFile).replication[0]!,
      ['222222222222'],
      'docs-replication',
      'screenshots',
    );
    await shot('replicate-confirm', 'replication/replicate?policy=orders-to-staging');
    await publishReplication(clients, request);
    for (let i = 0; i < 1200; i++) {
      const [view] = await replicationStatus(clients, { policy: 'orders-to-staging' }, 1);
      if (view && (view.failure || view.destinations.some((d) => d.action))) break;
      await sleep(100);
    }
    await shot('replication', 'replication');
    await shot('dead-letters', 'dead-letters');
    await shot('redrive', 'dead-letters/redrive?service=restore');
  } finally {
    await browser.close();
    await web.close();
    clients.close();
    await cloud.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
