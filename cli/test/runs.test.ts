import { run } from '../src/main';
import { json, rewindIn, startCloud } from './helpers';

type RunDoc = {
  runId: string;
  status: string;
  requestId?: string;
  replayOf?: string;
  reason?: string;
  exitCode: number;
  steps: { step: string; state: string; durationMs?: number }[];
  timeline: {
    type: string;
    direction: string;
    source?: string;
    offsetMs: number;
    deltaMs: number;
    receivedAfterMs?: number;
  }[];
};

let env: Awaited<ReturnType<typeof startCloud>>;
let endpoint: string;
const rewind = (...args: string[]) => rewindIn(endpoint, args);

beforeAll(async () => {
  env = await startCloud(['orders-db', 'billing-db']);
  endpoint = env.cloud.endpoint;
});
afterAll(async () => env?.stop());

describe('rewind restore / snapshot / status / list / replay', () => {
  let completedRunId: string;

  test('restore --wait --json follows a create_snapshot run to RunCompleted and prints one JSON document', async () => {
    const r = await rewind(
      'restore',
      'orders-db',
      '--task',
      'create_snapshot',
      '--request-id',
      'cli-test-1',
      '--wait',
      '--json',
    );
    expect([r.code, r.err]).toEqual([0, '']);
    const doc = json<RunDoc>(r.out);
    expect(doc).toMatchObject({ status: 'completed', requestId: 'cli-test-1', exitCode: 0 });
    expect(doc.steps.map((s) => [s.step, s.state])).toEqual([
      ['snapshot', 'done'],
      ['set-aside', 'done'],
      ['restore', 'done'],
      ['cleanup', 'done'],
    ]);
    expect(doc.timeline.filter((t) => t.direction === 'out').map((t) => t.type)).toEqual([
      'RunStarted',
      'SnapshotReady',
      'RenameCompleted',
      'RestoreCompleted',
      'CleanupCompleted',
      'RunCompleted',
    ]);
    completedRunId = doc.runId;
  });

  test('repeating a request id shows the same run instead of starting another', async () => {
    const r = await rewind(
      'restore',
      'orders-db',
      '--task',
      'create_snapshot',
      '--request-id',
      'cli-test-1',
      '--json',
    );
    expect(r.code).toBe(0);
    expect(json<RunDoc>(r.out)).toMatchObject({ runId: completedRunId, status: 'completed' });
  });

  test('snapshot --wait prints a line per step with its duration, the RDS status waited on, and a summary', async () => {
    const r = await rewind('snapshot', 'orders-db', '--wait');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Run run-\S+: create_snapshot_only of instance orders-db/);
    expect(r.out).toMatch(/snapshot\s+snapshot orders-db-\S+: creating \(waiting for available\)/);
    expect(r.out).toMatch(/✓ snapshot\s+\d+(\.\d)?(ms|s)\s+SnapshotReady/);
    expect(r.out).toMatch(/RunCompleted in \d+(\.\d)?(ms|s): create_snapshot_only of orders-db/);
    expect(r.out).not.toContain('\x1b['); // not a TTY: no colours, no spinner
  });

  test('on a TTY the wait shows a spinner line and colours, and NO_COLOR turns the colours off', async () => {
    const capture = async (env: Record<string, string | undefined>) => {
      const chunks: string[] = [];
      const io = {
        stdout: { write: (t: string) => chunks.push(t), isTTY: true },
        stderr: { write: () => true },
        env,
      };
      const code = await run(['snapshot', 'orders-db', '--wait', '--endpoint', endpoint], io);
      return { code, text: chunks.join('') };
    };
    const coloured = await capture({});
    expect(coloured.code).toBe(0);
    // eslint-disable-next-line no-control-regex -- terminal escapes are what is tested
    expect(coloured.text).toMatch(/\r\x1b\[K {2}\S+ snapshot\s+\d/); // the spinner line, rewritten in place
    expect(coloured.text).toContain('\x1b[32m✓\x1b[0m snapshot');
    const plain = await capture({ NO_COLOR: '1' });
    expect(plain.code).toBe(0);
    expect(plain.text).toContain('\r\x1b[K');
    // eslint-disable-next-line no-control-regex -- terminal escapes are what is tested
    expect(plain.text).not.toMatch(/\x1b\[\d+m/);
  });

  test('status prints the steps and each event once, with durations between them and when it was received', async () => {
    const r = await rewind('status', completedRunId);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Run ${completedRunId}: create_snapshot of instance orders-db`);
    expect(r.out).toMatch(/status: completed, \d/);
    expect(r.out).toMatch(/restore\s+done in \d+(\.\d)?(ms|s)\s+RestoreCompleted/);
    expect(r.out).toMatch(/\+START\s+\+PREV\s+DIR\s+EVENT\s+SOURCE\s+RECEIVED\s+SUMMARY/);
    expect(r.out).toMatch(/in\s+RestoreRequested\s+rewind\.cli/);
    expect(r.out).toMatch(/in\s+RDS DB Snapshot Event\s+aws\.rds/);
    // each of Rewind's own events once: published, with when its service received it
    expect(r.out).toMatch(/out\s+RunStarted\s+restore\s+\+\d+(\.\d)?(ms|s)\s/);
    expect(r.out).not.toMatch(/in\s+RunStarted/);
    const doc = json<RunDoc>((await rewind('status', completedRunId, '--json')).out);
    const types = doc.timeline.filter((t) => t.source !== 'aws.rds').map((t) => `${t.direction} ${t.type}`);
    expect(types).toEqual([
      'in RestoreRequested',
      'out RunStarted',
      'out SnapshotReady',
      'out RenameCompleted',
      'out RestoreCompleted',
      'out CleanupCompleted',
      'out RunCompleted',
    ]);
    expect(doc.timeline.find((t) => t.type === 'RunStarted')!.receivedAfterMs).toBeGreaterThanOrEqual(0);
    const offsets = doc.timeline.map((t) => t.offsetMs);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(doc.timeline.slice(1).every((t, i) => t.deltaMs === offsets[i + 1]! - offsets[i]!)).toBe(true);
  });

  test('status --wait follows a run started elsewhere until it ends', async () => {
    const started = json<RunDoc>((await rewind('snapshot', 'billing-db', '--json')).out);
    expect(started.status).toBe('running');
    const r = await rewind('status', started.runId, '--wait');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Run ${started.runId}: create_snapshot_only of instance billing-db`);
    expect(r.out).toMatch(/✓ snapshot\s+\d+(\.\d)?(ms|s)\s+SnapshotReady/);
    expect(r.out).toMatch(/RunCompleted in \S+: create_snapshot_only of billing-db/);
  });

  test('an unknown identifier is rejected with the reason, exit 1', async () => {
    const r = await rewind('restore', 'ghost-db', '--wait', '--json');
    expect(r.code).toBe(1);
    const doc = json<RunDoc>(r.out);
    expect(doc.status).toBe('rejected');
    expect(doc.reason).toMatch(/^rejected \(unknown-database\): .*ghost-db/);
    const human = await rewind('restore', 'ghost-db');
    expect(human.code).toBe(1);
    expect(human.out).toMatch(/RestoreRejected: rejected \(unknown-database\)/);
  });

  test('status of an unknown run says where it looked and how to list runs', async () => {
    const r = await rewind('status', 'run-nope');
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      'rewind: no run run-nope in table rewind-local-state\n  list runs with: rewind list\n',
    );
  });

  test('replay of a failed run, once the fault is gone, completes as a new run linked to the old one', async () => {
    await env.cloud.admin.post('rds/faults', {
      operations: [{ operation: 'snapshot', identifier: 'billing-db', outcome: 'failed' }],
    });
    const failed = await rewind('restore', 'billing-db', '--task', 'create_snapshot', '--wait', '--json');
    await env.cloud.admin.delete('rds/faults');
    expect(failed.code).toBe(1);
    const old = json<RunDoc>(failed.out);
    expect(old.status).toBe('failed');
    expect(old.reason).toMatch(/^step snapshot failed/);

    const r = await rewind('replay', old.runId, '--wait', '--json');
    expect(r.code).toBe(0);
    const replay = json<RunDoc>(r.out);
    expect(replay).toMatchObject({
      status: 'completed',
      replayOf: old.runId,
      requestId: `replay-${old.runId}-1`,
    });
    expect(replay.runId).not.toBe(old.runId);
  });

  test('replay refuses a completed run and says what to do instead', async () => {
    const r = await rewind('replay', completedRunId);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`run ${completedRunId} completed; there is nothing to replay`);
    expect(r.err).toContain('rewind restore orders-db --task create_snapshot');
  });

  test('list merges all statuses newest first; --status and --limit narrow it', async () => {
    const all = json<{ runs: { runId: string; status: string; createdAt: string; identifier: string }[] }>(
      (await rewind('list', '--json')).out,
    );
    expect(new Set(all.runs.map((r) => r.status))).toEqual(new Set(['completed', 'failed', 'rejected']));
    const created = all.runs.map((r) => r.createdAt);
    expect(created).toEqual([...created].sort().reverse());
    const rejected = json<{ runs: { status: string }[] }>(
      (await rewind('list', '--status', 'rejected', '--json')).out,
    );
    expect(rejected.runs.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(json<{ runs: unknown[] }>((await rewind('list', '--limit', '1', '--json')).out).runs).toHaveLength(
      1,
    );
    const ofOne = json<{ runs: { identifier: string }[] }>(
      (await rewind('list', '--database', all.runs[0]!.identifier, '--json')).out,
    );
    expect(ofOne.runs.length).toBeGreaterThan(0);
    expect(new Set(ofOne.runs.map((r) => r.identifier))).toEqual(new Set([all.runs[0]!.identifier]));
    const future = await rewind('list', '--since', '2999-01-01T00:00:00Z');
    expect(future.out).toMatch(/^No runs since 2999-01-01 00:00:00 UTC in /);
    expect(
      json<{ runs: unknown[] }>((await rewind('list', '--since', '1d', '--json')).out).runs,
    ).toHaveLength(all.runs.length);
    const human = await rewind('list');
    expect(human.out).toMatch(/^RUN\s+STATUS\s+TASK\s+KIND\s+IDENTIFIER\s+CREATED \(UTC\)\s+DURATION\s+NOTE/);
    expect(human.out).toContain(`replay of `);
  });

  test('usage errors exit 2 with the usage', async () => {
    for (const args of [
      ['restore'],
      ['restore', 'orders-db', '--task', 'bogus'],
      ['list', '--status', 'sleeping'],
      ['list', '--since', 'yesterday'],
      ['replay', 'run-x', '--from', '1h'],
      ['restore', 'orders-db', '--colour'],
    ]) {
      const r = await rewind(...args);
      expect([args, r.code]).toEqual([args, 2]);
      expect(r.err).toMatch(/Usage: rewind /);
    }
  });
});

describe('rewind clone / restore --time', () => {
  test('clone --time latest --wait --json: a failed clone is discarded; its replay completes as one step (restore-new)', async () => {
    await env.cloud.admin.post('rds/faults', {
      apiErrors: [{ action: 'RestoreDBInstanceToPointInTime', code: 'InsufficientDBInstanceCapacity' }],
    });
    const failed = await rewind(
      'clone',
      'billing-db',
      'billing-db-copy',
      '--time',
      'latest',
      '--wait',
      '--json',
    );
    await env.cloud.admin.delete('rds/faults');
    expect(failed.code).toBe(1);
    const old = json<RunDoc>(failed.out);
    expect([old.status, old.reason]).toEqual([
      'failed',
      expect.stringMatching(/^step restore-new failed: .*InsufficientDBInstanceCapacity/),
    ]);

    const r = await rewind('replay', old.runId, '--wait', '--json');
    expect([r.code, r.err]).toEqual([0, '']);
    const doc = json<RunDoc & { identifier: string; cloneOf: string }>(r.out);
    expect(doc).toMatchObject({ status: 'completed', identifier: 'billing-db-copy', cloneOf: 'billing-db' });
    expect(doc.steps.map((s) => [s.step, s.state])).toEqual([['restore-new', 'done']]);
    expect(doc.timeline.filter((t) => t.direction === 'out').map((t) => t.type)).toEqual([
      'RunStarted',
      'RestoreCompleted',
      'RunCompleted',
    ]);
    const human = await rewind('status', doc.runId);
    expect(human.out).toContain(`clone of instance billing-db-copy from billing-db as of latest`);
    const failedView = await rewind('status', old.runId);
    expect(failedView.out).toMatch(/discard\s+done in \S+\s+RollbackCompleted/);
  });

  test('restore --strategy swap --time latest --wait --json: restored beside from the backups, then two renames', async () => {
    const r = await rewind(
      'restore',
      'billing-db',
      '--strategy',
      'swap',
      '--time',
      'latest',
      '--wait',
      '--json',
    );
    expect([r.code, r.err]).toEqual([0, '']);
    const doc = json<RunDoc>(r.out);
    expect(doc.status).toBe('completed');
    expect(doc.steps.map((s) => [s.step, s.state])).toEqual([
      ['restore-beside', 'done'],
      ['set-aside', 'done'],
      ['take-name', 'done'],
      ['cleanup', 'done'],
    ]);
    expect(doc.timeline.filter((t) => t.direction === 'out').map((t) => t.type)).toEqual([
      'RunStarted',
      'RestoreCompleted',
      'RenameCompleted',
      'RenameCompleted',
      'CleanupCompleted',
      'RunCompleted',
    ]);
    const usage = await rewindIn('http://127.0.0.1:9', ['restore', '--help']);
    expect(usage.out + usage.err).toMatch(
      /--time T\|latest +restore to a point in time instead \(db_restore\), in place or with --strategy swap/,
    );
  });

  test('usage errors name the flag to fix, before anything is sent', async () => {
    const cases: [string[], RegExp][] = [
      [['clone', 'billing-db'], /Usage: rewind clone <identifier> <target>/],
      [['clone', 'billing-db', 'x', '--snapshot', 's', '--time', 'latest'], /--snapshot or --time, not both/],
      [['clone', 'billing-db', 'x', '--time', 'yesterday'], /--time: restoreTime must be an ISO 8601/],
      [
        ['clone', 'billing-db', 'bad--name'],
        /<target>: identifier "bad--name" must not contain two consecutive hyphens/,
      ],
      [
        ['restore', 'billing-db', '--task', 'create_snapshot', '--time', 'latest'],
        /--time goes with --task db_restore/,
      ],
      [['restore', 'billing-db', '--task', 'clone'], /use rewind clone/],
    ];
    for (const [args, message] of cases) {
      const r = await rewindIn('http://127.0.0.1:9', args);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      expect(r.err).toMatch(message);
    }
  });
});
