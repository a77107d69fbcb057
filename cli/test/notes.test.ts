import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { endedRun, json, rewindIn, startCloud } from './helpers';

let env: Awaited<ReturnType<typeof startCloud>>;
let endpoint: string;
const rewind = (...args: string[]) => rewindIn(endpoint, args);

/** A RestoreRequested from another system on the bus (not the CLI). */
async function publishFromBus(detail: Record<string, unknown>) {
  const out = await env.clients.events.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: env.cloud.names.busName,
          Source: 'my.team',
          DetailType: 'RestoreRequested',
          Detail: JSON.stringify(detail),
        },
      ],
    }),
  );
  expect(out.FailedEntryCount).toBe(0);
}

beforeAll(async () => {
  env = await startCloud(['warn-db', 'plain-db']);
  endpoint = env.cloud.endpoint;
});
afterAll(async () => env?.stop());

describe('what the CLI says about a run: warnings, rejections, next steps', () => {
  test('a run completed with a warning says so live, and in list (STATUS and a note cut at a word)', async () => {
    await env.cloud.admin.post('rds/faults', {
      apiErrors: [{ action: 'DeleteDBInstance', code: 'InvalidDBInstanceState', identifier: 'warn-db-rw*' }],
    });
    const live = await rewind(
      'restore',
      'warn-db',
      '--task',
      'create_snapshot',
      '--request-id',
      'warn-1',
      '--wait',
    );
    await env.cloud.admin.delete('rds/faults');
    expect(live.code).toBe(0);
    expect(live.out).toMatch(/RunCompleted with a warning in \S+: create_snapshot of warn-db/);
    expect(live.out).toMatch(/\n {2}warning: .*warn-db-rw\S+-old/);

    const listed = await endedRun(endpoint, 'warn-1');
    expect(listed.status).toBe('completed');
    expect(listed.warnings).toHaveLength(1);
    const note = `warning: ${listed.warnings[0]}`;
    expect(note.length).toBeGreaterThan(80);

    const human = (await rewind('list')).out;
    const row = human.split('\n').find((l) => l.startsWith(listed.runId))!;
    expect(row).toMatch(/ completed, 1 warning /);
    const shown = row.slice(row.indexOf('warning: '));
    expect(shown.endsWith('…')).toBe(true);
    const kept = shown.slice(0, -1);
    expect(note.startsWith(kept)).toBe(true);
    // cut between words, not inside one
    expect(note[kept.length]).toMatch(/[\s,;:.(]/);
    expect(human).toContain('rewind status <run> prints them whole');
  });

  test('a rejection of a CLI request names the flags, and offers replay only where it can succeed', async () => {
    const r = await rewind('restore', 'plain-db', '--request-id', 'nosnap-1');
    expect(r.code).toBe(1);
    expect(r.out).toContain('RestoreRejected: rejected (snapshot-not-found)');
    expect(r.out).toContain('pass --snapshot ID, or use --task create_snapshot');
    expect(r.out).not.toContain('snapshotIdentifier');
    const { runId } = await endedRun(endpoint, 'nosnap-1');
    expect(r.out).toContain(`once that is fixed, run it again: rewind replay ${runId}`);

    const json1 = json<{ reason: string; nextStep: string }>(
      (await rewind('restore', 'plain-db', '--request-id', 'nosnap-2', '--json')).out,
    );
    expect(json1.reason).toContain('pass --snapshot ID');
    expect(json1.nextStep).toMatch(/^once that is fixed, run it again: rewind replay run-/);
  });

  test('a rejection that a replay would only repeat offers a corrected request instead', async () => {
    const r = await rewind('restore', 'ghost-db', '--cluster', '--wait');
    expect(r.code).toBe(1);
    expect(r.out).toContain('RestoreRejected');
    expect(r.out).not.toContain('rewind replay');
    expect(r.out).toContain(
      'the same request would be rejected again: send a corrected one (rewind restore ghost-db --cluster --task db_restore ...)',
    );
  });

  test('a request from another system keeps the field names it sent', async () => {
    await publishFromBus({ identifier: 'plain-db', task: 'db_restore', requestId: 'team-1' });
    const { runId } = await endedRun(endpoint, 'team-1');
    const status = await rewind('status', runId);
    expect(status.out).toContain('pass "snapshotIdentifier", or run the create_snapshot task');
    expect(status.out).toContain(`next: once that is fixed, run it again: rewind replay ${runId}`);
  });

  test('an invalid request is listed without a task, and replay refuses it', async () => {
    await publishFromBus({ identifier: 'plain-db', task: 'restore_everything', requestId: 'bad-1' });
    const listed = await endedRun(endpoint, 'bad-1');
    expect(listed).toMatchObject({ status: 'rejected', task: null, invalidRequest: true });
    const row = (await rewind('list')).out.split('\n').find((l) => l.startsWith(listed.runId))!;
    expect(row).toMatch(new RegExp(`^${listed.runId}\\s+rejected\\s+-\\s+-\\s+plain-db\\s`));
    expect(row).not.toContain('db_restore');

    const status = await rewind('status', listed.runId);
    expect(status.out).toContain(
      `Run ${listed.runId}: an invalid request for plain-db (it names no valid task)`,
    );
    expect(status.out).not.toContain('plan:');

    const replay = await rewind('replay', listed.runId);
    expect(replay.code).toBe(1);
    expect(replay.err).toContain(
      `rewind: run ${listed.runId} was rejected as invalid input; the same request would be rejected again`,
    );
    expect(replay.err).toContain('send a corrected one (rewind restore <identifier> --task TASK)');
  });
});
