import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { captureInstanceConfig, diffInstanceConfig, findInstance } from '@rewind/shared';
import {
  CreateTopicCommand,
  ListSubscriptionsByTopicCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { spawnLocalCloud, type LocalCloud } from '@rewind/local';
import { createProductionInstance, startE2E, TERMINAL, waitForStatus, type E2E } from '../harness';

/**
 * The local cloud as an operator meets it: restarted with --state-dir in the middle of a run, started
 * by `npx rewind local up` and killed, and `local up --endpoint` against another AWS-compatible endpoint.
 */

const REPO = resolve(__dirname, '../..');

const local = (endpoint: string) => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const snsClient = (endpoint: string) => new SNSClient(local(endpoint));
const sqsClient = (endpoint: string) => new SQSClient(local(endpoint));
const BIN = join(REPO, 'cli/bin/rewind.js');

function listenOn(port: number): Promise<number | undefined> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(undefined));
    server.listen(port, '127.0.0.1', () => {
      const bound = (server.address() as { port: number }).port;
      server.close(() => done(bound));
    });
  });
}

async function freePort(): Promise<number> {
  const port = await listenOn(0);
  if (port === undefined) throw new Error('no free port on 127.0.0.1');
  return port;
}

/** Resolves once nothing listens on the port any more; rejects (naming the port) after `ms`. */
async function portFreed(port: number, ms = 30_000): Promise<void> {
  const start = Date.now();
  while ((await listenOn(port)) === undefined) {
    if (Date.now() - start > ms) throw new Error(`port ${port} is still in use after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Running {
  child: ChildProcess;
  output: () => string;
  /** The endpoint from the banner, once the process printed "Ctrl-C to stop.". */
  ready: Promise<string>;
  exited: Promise<number | null>;
}

/** Starts `command args` and watches its output for the local cloud's banner. */
function run(command: string, args: string[], env: Record<string, string> = {}, detached = false): Running {
  const child = spawn(command, args, {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
    detached, // its own process group, as a terminal's foreground job
  });
  let out = '';
  const ready = new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`not ready within 60 s:\n${out}`)), 60_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = /(?:local cloud on|Provisioned \S+ on) (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m?.[1] && out.includes('Ctrl-C to stop.')) {
        clearTimeout(timer);
        done(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', () => fail(new Error(`exited before it was ready:\n${out}`)));
  });
  ready.catch(() => undefined);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, output: () => out, ready, exited };
}

describe('--state-dir: a restart in the middle of a run', () => {
  let e2e: E2E | undefined;
  let second: LocalCloud | undefined;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'rewind-state-'));
  });
  afterAll(async () => {
    await e2e?.stop();
    await second?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  test('create_snapshot: the cloud stops while the restore is creating, starts again from its state, and the run completes', async () => {
    const port = await freePort();
    // slow enough RDS that the restore is still creating when the cloud stops
    const rds = { profile: 'realistic' as const, timeScale: 0.01, seed: 7 };
    e2e = await startE2E({ port, stateDir, rds });
    const before = await createProductionInstance(e2e.rds, 'ledger-db');
    const requestId = `restart-${process.pid}`;
    await e2e.publish({ identifier: 'ledger-db', task: 'create_snapshot', requestId });
    const started = await e2e.observer.waitFor(
      (e) => e.detail.requestId === requestId && e['detail-type'] === 'RunStarted',
    );
    const runId = started.detail.run!.id;
    await e2e.observer.waitFor((e) => e.detail.run?.id === runId && e['detail-type'] === 'RenameCompleted');
    const creating = await waitForStatus(e2e.rds, 'ledger-db', 'creating');

    await e2e.cloud.stop();
    // what the stop saved: the run, its lock, the restore's pending RDS step
    const savedRds = JSON.parse(await readFile(join(stateDir, 'rds.json'), 'utf8')) as {
      places: { accountId: string; region: string; state: { tasks: { task: string }[] } }[];
    };
    const { accountId, region } = e2e.cloud.identity;
    const home = savedRds.places.find((p) => p.accountId === accountId && p.region === region);
    // the restore's next step (its creation, or the baseline backup after it on a slow machine)
    expect(home?.state.tasks.map((t) => t.task)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^instance\.(created|backed-up)$/)]),
    );
    expect(await readFile(join(stateDir, 'dynamodb.json'), 'utf8')).toContain(`RUN#${runId}`);

    second = await spawnLocalCloud({ quiet: true, port, stateDir, rds });
    expect(second.endpoint).toBe(e2e.cloud.endpoint);
    // the same database is still being restored (same resource id), not created again
    expect((await findInstance(e2e.rds, 'ledger-db'))?.DbiResourceId).toBe(creating.DbiResourceId);

    const terminal = await e2e.observer.waitFor(
      (e) => e.detail.run?.id === runId && TERMINAL.includes(e['detail-type']),
      180_000,
    );
    expect([terminal['detail-type'], terminal.detail.reason]).toEqual(['RunCompleted', undefined]);
    const after = captureInstanceConfig((await findInstance(e2e.rds, 'ledger-db'))!);
    expect(diffInstanceConfig(before, after)).toEqual([]);
    expect(after.endpointAddress).toBe(before.endpointAddress);
    expect(after.dbiResourceId).toBe(creating.DbiResourceId);
    // every step once, across the restart
    const run = await e2e.store.getRun(runId);
    expect(run?.status).toBe('completed');
    const timeline = await e2e.store.getTimeline(runId);
    expect(timeline.filter((t) => t.direction === 'out').map((t) => t.type)).toEqual([
      'RunStarted',
      'SnapshotReady',
      'RenameCompleted',
      'RestoreCompleted',
      'CleanupCompleted',
      'RunCompleted',
    ]);
    expect(await findInstance(e2e.rds, run!.names.temporary!)).toBeUndefined();
    expect(await e2e.store.getLock('instance', 'ledger-db')).toBeUndefined();
    // the table came back with its index: `rewind list` finds the run by status
    const { runs } = await e2e.store.listRuns('completed');
    expect(runs.map((r) => r.runId)).toContain(runId);
  }, 300_000);
});

describe('rewind local up --state-dir', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rewind-cli-state-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  const up = () =>
    run(process.execPath, [BIN, 'local', 'up', '--port', '0', '--no-functions', '--state-dir', dir]);

  test('a message and an SNS subscription made before Ctrl-C are there after the next start; the banner says where the state is', async () => {
    const first = up();
    const endpoint = await first.ready;
    expect(first.output()).toContain(`State kept in ${dir}`);
    const sqs = sqsClient(endpoint);
    const QueueUrl = `${endpoint}/000000000000/rewind-local-notify-inbox`;
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'kept across restarts' }));
    sqs.destroy();
    const sns = snsClient(endpoint);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'kept-topic' }));
    await sns.send(
      new SubscribeCommand({
        TopicArn,
        Protocol: 'sqs',
        Endpoint: 'arn:aws:sqs:us-east-1:000000000000:rewind-local-notify-inbox',
      }),
    );
    sns.destroy();
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);

    const second = up();
    try {
      const again = sqsClient(await second.ready);
      const url = `${await second.ready}/000000000000/rewind-local-notify-inbox`;
      const { Messages } = await again.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5 }));
      again.destroy();
      expect(Messages?.map((m) => m.Body)).toEqual(['kept across restarts']);
      expect(second.output()).toMatch(
        /State: loaded clock, sqs, dynamodb, events, kms, rds, scheduler from /,
      );
      const sns = snsClient(await second.ready);
      const topic = 'arn:aws:sns:us-east-1:000000000000:kept-topic';
      const { Subscriptions } = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topic }));
      sns.destroy();
      expect(Subscriptions?.map((x) => [x.Protocol, x.Endpoint])).toEqual([
        ['sqs', 'arn:aws:sqs:us-east-1:000000000000:rewind-local-notify-inbox'],
      ]);
    } finally {
      second.child.kill('SIGINT');
      await second.exited;
    }
  }, 120_000);

  test('after a crash (the server killed with SIGKILL) the next start has what was saved, and takes over the stale claim', async () => {
    const first = up();
    const endpoint = await first.ready;
    const sqs = sqsClient(endpoint);
    const QueueUrl = `${endpoint}/000000000000/rewind-local-restore-inbox`;
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'saved before the crash' }));
    sqs.destroy();
    // the periodic save has written it (no stop will)
    while (!(await readFile(join(dir, 'sqs.json'), 'utf8')).includes('saved before the crash')) {
      await new Promise((r) => setTimeout(r, 100));
    }
    // the server is the wrapper's only child
    const wrapper = first.child.pid!;
    const server = Number((await readFile(`/proc/${wrapper}/task/${wrapper}/children`, 'utf8')).trim());
    expect(await readFile(join(dir, 'local-cloud.pid'), 'utf8')).toBe(`${server}\n`);
    process.kill(server, 'SIGKILL');
    await first.exited;

    const second = up();
    try {
      const url = `${await second.ready}/000000000000/rewind-local-restore-inbox`;
      const again = sqsClient(await second.ready);
      const { Messages } = await again.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5 }));
      again.destroy();
      expect(Messages?.map((m) => m.Body)).toEqual(['saved before the crash']);
    } finally {
      second.child.kill('SIGINT');
      await second.exited;
    }
  }, 120_000);

  test('Ctrl-C in a terminal (SIGINT to the whole process group, so twice to the server) stops cleanly and saves', async () => {
    const fresh = await mkdtemp(join(tmpdir(), 'rewind-ctrl-c-'));
    try {
      const cloud = run(
        process.execPath,
        [BIN, 'local', 'up', '--port', '0', '--no-functions', '--state-dir', fresh],
        {},
        true,
      );
      await cloud.ready;
      process.kill(-cloud.child.pid!, 'SIGINT');
      expect(await cloud.exited).toBe(0);
      expect(cloud.output()).toContain('SIGINT: stopping');
      // the save at stop wrote every service's state, and the claim on the directory is gone
      expect((await readdir(fresh)).sort()).toEqual([
        'clock.json',
        'dynamodb.json',
        'events.json',
        'kms.json',
        'local-cloud.json',
        'rds.json',
        'scheduler.json',
        'sqs.json',
      ]);
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  }, 120_000);

  test('with --endpoint it is a usage error that says why', async () => {
    const out = run(process.execPath, [
      BIN,
      'local',
      'up',
      '--endpoint',
      'http://127.0.0.1:9',
      '--state-dir',
      dir,
    ]);
    expect(await out.exited).toBe(2);
    expect(out.output()).toContain('--state-dir keeps the state of the local emulators');
  });
});

describe('rewind local up dies with whoever started it', () => {
  test('npx killed with SIGKILL: the server exits and its port is free', async () => {
    const cloud = run('npx', ['rewind', 'local', 'up', '--port', '0', '--quiet', '--no-functions']);
    const port = Number(new URL(await cloud.ready).port);
    expect(await listenOn(port)).toBeUndefined(); // in use while it runs
    cloud.child.kill('SIGKILL');
    await portFreed(port);
  }, 120_000);

  test('the rewind wrapper killed with SIGKILL: its child (the server) exits and the port is free', async () => {
    const cloud = run(process.execPath, [BIN, 'local', 'up', '--port', '0', '--quiet', '--no-functions']);
    const port = Number(new URL(await cloud.ready).port);
    cloud.child.kill('SIGKILL');
    await portFreed(port);
  }, 120_000);
});

describe('rewind local up --endpoint', () => {
  let e2e: E2E | undefined;
  let cli: Running | undefined;

  afterAll(async () => {
    cli?.child.kill('SIGINT');
    await cli?.exited;
    await e2e?.stop();
  });

  test('against a second local cloud started without functions: the functions run with their configuration and complete a run', async () => {
    e2e = await startE2E({ functions: false });
    // notify on success too, to see the notifications reach that cloud's sinks
    cli = run(process.execPath, [BIN, 'local', 'up', '--endpoint', e2e.cloud.endpoint, '--quiet'], {
      REWIND_NOTIFY_ON_SUCCESS: 'true',
    });
    expect(await cli.ready).toBe(e2e.cloud.endpoint);
    expect(cli.output()).toMatch(/functions running: .*rewind-local-restore-worker/);
    expect(cli.output()).not.toContain('not running');

    await createProductionInstance(e2e.rds, 'remote-db');
    const { terminal, runId } = await e2e.request({ identifier: 'remote-db', task: 'create_snapshot_only' });
    expect([terminal['detail-type'], terminal.detail.reason]).toEqual(['RunCompleted', undefined]);
    expect((await e2e.store.getRun(runId))?.status).toBe('completed');
    // the second cloud ran no function itself: the runs were handled by the `local up --endpoint` process
    expect(await e2e.cloud.admin.functions()).toEqual([]);
    expect(cli.output()).not.toMatch(/is not set/);
    // a Rewind local cloud answers there: the notifications went to its Slack and SES sinks
    const slack = async () =>
      (await e2e!.cloud.admin.webhookDeliveries('slack')).map((d) => JSON.stringify(d));
    for (let i = 0; i < 100 && (await slack()).length === 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect((await slack()).join('\n')).toContain('remote-db');
    expect((await e2e.cloud.admin.sentEmails()).map((m) => JSON.stringify(m)).join('\n')).toContain(
      'remote-db',
    );

    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toContain('SIGINT: stopping');
  }, 180_000);
});
