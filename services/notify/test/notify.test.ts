import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { EVENT_EXAMPLES, StateStore, parseEventOrThrow } from '@rewind/shared';
import { startDynalite } from '@rewind/shared/src/testing/dynalite';
import { testContext } from '@rewind/shared/src/testing/context';
import { webhookUrls } from '../src/channels';
import { deliver, notifyRoutes, type NotifyDeps } from '../src/notify';
import {
  failoverFailedMessage,
  failoverRejectedMessage,
  replicationCompletedMessage,
  replicationFailedMessage,
  rollbackFailedMessage,
  runCompletedMessage,
  runFailedMessage,
} from '../src/messages';

const ses = mockClient(SESv2Client);
const ssm = mockClient(SSMClient);
let db: Awaited<ReturnType<typeof startDynalite>>;
let store: StateStore;
const posts: { url: string; body: Record<string, unknown> }[] = [];
let slackStatus = 200;
const fakeFetch = (async (url: string, init: { body: string }) => {
  posts.push({ url, body: JSON.parse(init.body) });
  return { ok: slackStatus < 400, status: slackStatus } as Response;
}) as unknown as typeof fetch;
const deps = (): NotifyDeps => ({
  ses: new SESv2Client({ region: 'us-east-1' }),
  ssm: new SSMClient({ region: 'us-east-1' }),
  fetch: fakeFetch,
});

beforeAll(async () => {
  db = await startDynalite();
  store = new StateStore(db.client, db.tableName);
});
afterAll(async () => db.stop());
beforeEach(() => {
  ses.reset();
  ssm.reset();
  posts.length = 0;
  slackStatus = 200;
  ses.on(SendEmailCommand).resolves({ MessageId: 'm1' });
});

const runFailed = parseEventOrThrow('RunFailed', EVENT_EXAMPLES.RunFailed);
let n = 0;
const envelope = () => ({
  id: `evt-notify-${++n}`,
  'detail-type': 'RunFailed',
  source: 'rewind',
  detail: {},
});

test('a DR failure alert says which plan, which layer, what moved and what did not, and the commands', () => {
  const failed = failoverFailedMessage(parseEventOrThrow('FailoverFailed', EVENT_EXAMPLES.FailoverFailed));
  expect(failed.severity).toBe('critical');
  expect(failed.subject).toBe(
    'URGENT Rewind: planned failover of plan to-west failed at layer 1 (1 of 3 moved)',
  );
  const lines = Object.fromEntries(failed.lines);
  expect(lines).toMatchObject({
    'Failed layer': '1; later layers never started',
    'Layer 1: aurora-global orders-global': 'moved (us-west-2): orders-west is the writer',
    'Layer 1: rds-replica billing-west': 'not-moved (us-west-2): billing-west is still a replica (available)',
    'Layer 2: elasticache-global ldgnf-sessions': 'not-started (us-west-2): layer 2 never started',
  });
  expect(lines['What to do']).toContain(
    'aws rds promote-read-replica --region us-west-2 --db-instance-identifier billing-west',
  );
  // Slack shows ten fields: the commands come before the resources.
  expect(failed.lines.findIndex(([k]) => k === 'What to do')).toBeLessThan(10);
  const rejected = failoverRejectedMessage(
    parseEventOrThrow('FailoverRejected', EVENT_EXAMPLES.FailoverRejected),
  );
  expect(Object.fromEntries(rejected.lines)).toMatchObject({
    'Not ready: rds-replica billing-west': 'us-west-2: replication state is error (not replicating)',
    State: 'nothing was moved',
  });
});

test('swap: a failed restore-beside says the database was not touched; a rollback that failed there is no page', () => {
  const plan = ['snapshot', 'restore-beside', 'set-aside', 'take-name', 'cleanup', 'discard'] as const;
  const failed = (rolledBack: boolean) =>
    runFailedMessage({
      ...runFailed,
      run: { ...runFailed.run, strategy: 'swap', plan: [...plan], next: null },
      failedStep: 'restore-beside',
      rolledBack,
    });
  expect(Object.fromEntries(failed(true).lines)['Database state']).toBe(
    'orders-db was not touched: it served throughout; the copy restored beside it was discarded',
  );
  expect(failed(false).severity).toBe('error');
  expect(Object.fromEntries(failed(false).lines)['Database state']).toMatch(
    /may remain: see the rollback alert/,
  );
});

test('a failure alert says which database, which run, what failed, its state now and what to do', () => {
  const text = runFailedMessage(runFailed);
  expect(text.subject).toBe('Rewind: create_snapshot of orders-db failed at restore (rolled back)');
  expect(Object.fromEntries(text.lines)).toMatchObject({
    Run: runFailed.run.id,
    'Failed step': 'restore',
    Reason: 'restored instance orders-db ended in status incompatible-restore',
    'Database state': 'orders-db is back under its name, as it was before the run',
    'What to do': `fix the cause, then run it again: rewind replay ${runFailed.run.id}`,
  });
  const rollback = rollbackFailedMessage(parseEventOrThrow('RollbackFailed', EVENT_EXAMPLES.RollbackFailed));
  expect(rollback.severity).toBe('critical');
  expect(Object.fromEntries(rollback.lines)['What to do']).toContain('aws rds modify-db-instance');
});

test("a clone's failure alert says the half-made clone was deleted and the source never touched", () => {
  const run = {
    ...runFailed.run,
    identifier: 'orders-db-copy',
    task: 'clone' as const,
    plan: ['restore-new' as const, 'discard' as const],
  };
  const text = runFailedMessage({ ...runFailed, run, failedStep: 'restore-new' });
  expect(text.subject).toBe('Rewind: clone of orders-db-copy failed at restore-new (rolled back)');
  expect(Object.fromEntries(text.lines)['Database state']).toBe(
    'the half-made clone orders-db-copy was deleted; its source was never touched',
  );
  const rollback = rollbackFailedMessage({
    ...parseEventOrThrow('RollbackFailed', EVENT_EXAMPLES.RollbackFailed),
    run,
  });
  expect(rollback.subject).toMatch(/^URGENT Rewind: the half-made clone orders-db-copy could not be deleted/);
});

test('sends the email and every Slack webhook', async () => {
  const ctx = testContext('notify', store);
  await notifyRoutes(deps).RunFailed(runFailed, envelope(), ctx);
  const email = ses.commandCalls(SendEmailCommand)[0]!.args[0].input;
  expect(email).toMatchObject({
    FromEmailAddress: 'rewind@example.com',
    Destination: { ToAddresses: ['oncall@example.com'] },
  });
  expect(email.Content?.Simple?.Body?.Text?.Data).toContain(
    'Database state: orders-db is back under its name',
  );
  expect(posts).toHaveLength(1);
  expect(String(posts[0]!.body.text)).toContain('failed at restore');
  const timeline = await store.getTimeline(runFailed.run.id);
  expect(timeline.some((t) => t.type === 'NotificationSent')).toBe(true);
});

test('a failing webhook does not stop the email; the retry sends only to the webhook', async () => {
  const ctx = testContext('notify', store);
  const e = envelope();
  slackStatus = 500;
  await expect(deliver(ctx, deps(), e, runFailedMessage(runFailed), runFailed.run.id)).rejects.toThrow(
    /slack: Slack webhook at hooks.slack.test answered 500/,
  );
  expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
  slackStatus = 200;
  await deliver(ctx, deps(), e, runFailedMessage(runFailed), runFailed.run.id);
  expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1); // not sent twice
  expect(posts).toHaveLength(2);
});

test('completions are quiet unless configured, except with warnings', async () => {
  const ctx = testContext('notify', store);
  const completed = parseEventOrThrow('RunCompleted', EVENT_EXAMPLES.RunCompleted);
  await notifyRoutes(deps).RunCompleted(completed, envelope(), ctx);
  expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  await notifyRoutes(deps).RunCompleted(
    { ...completed, warnings: ['the set-aside original x remains'] },
    envelope(),
    ctx,
  );
  expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
  expect(ses.commandCalls(SendEmailCommand)[0]!.args[0].input.Content?.Simple?.Subject?.Data).toContain(
    'completed with warnings',
  );
});

test('a completion says what was restored: the snapshot, or the point in time', () => {
  const completed = parseEventOrThrow('RunCompleted', EVENT_EXAMPLES.RunCompleted);
  const row = (e: typeof completed, name: string) => runCompletedMessage(e).lines.find(([k]) => k === name);
  expect(row({ ...completed, snapshotIdentifier: 'orders-db-nightly' }, 'Snapshot')).toEqual([
    'Snapshot',
    'orders-db-nightly',
  ]);
  expect(row({ ...completed, snapshotIdentifier: 'orders-db-nightly' }, 'Point in time')).toBeUndefined();
  expect(row({ ...completed, restoreTime: '2026-11-22T03:10:00.000Z' }, 'Point in time')).toEqual([
    'Point in time',
    '2026-11-22T03:10:00.000Z',
  ]);
  expect(row({ ...completed, restoreTime: 'latest' }, 'Point in time')?.[1]).toMatch(
    /^the latest restorable time when the restore started/,
  );
});

test('webhook URLs can come from an SSM parameter (JSON array or comma list)', async () => {
  const ctx = testContext('notify', store);
  ssm
    .on(GetParameterCommand, { Name: '/rewind/slack', WithDecryption: true })
    .resolves({ Parameter: { Value: '["https://a.test/1", "https://b.test/2"]' } });
  const urls = await webhookUrls(
    { ...ctx.config, slackWebhookUrls: [], slackWebhooksParam: '/rewind/slack' },
    new SSMClient({ region: 'us-east-1' }),
  );
  expect(urls).toEqual(['https://a.test/1', 'https://b.test/2']);
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'https://a.test/1, https://b.test/2' } });
  expect(
    await webhookUrls(
      { ...ctx.config, slackWebhookUrls: [], slackWebhooksParam: '/x' },
      new SSMClient({ region: 'us-east-1' }),
    ),
  ).toHaveLength(2);
});

describe('replication alerts', () => {
  const failed = parseEventOrThrow('ReplicationFailed', EVENT_EXAMPLES.ReplicationFailed);
  const completed = parseEventOrThrow('ReplicationCompleted', EVENT_EXAMPLES.ReplicationCompleted);

  test('a failure says where it failed, the stage, the reason, what was cleaned up and what to do', () => {
    const message = replicationFailedMessage(failed);
    expect(message.severity).toBe('error');
    expect(message.subject).toBe(
      'Rewind: replication orders-to-staging (111111111111 -> 222222222222) failed at copy in account 222222222222',
    );
    expect(Object.fromEntries(message.lines)).toMatchObject({
      'Failed in': 'account 222222222222 (its Rewind alerted there)',
      Stage: 'copy',
      Reason: expect.stringMatching(
        /^CopyDBSnapshot refused: KMSKeyNotAccessibleFault: .*\(KMSKeyNotAccessibleFault\)$/,
      ),
      'Database state':
        'no database was changed: the source is only snapshotted, and account 222222222222 restored nothing',
      'Cleaned up': 'rewind-repl-orders-to-staging-202611220300-copy (deleted in 222222222222)',
      'What to do': expect.stringContaining('rewind replication key-policy --policy orders-to-staging'),
    });
    // Slack shows ten fields: what to do is among them.
    expect(message.lines.findIndex(([k]) => k === 'What to do')).toBeLessThan(10);
  });

  test('a failed in-place restore says whether the destination database is back as it was', () => {
    const restore = { ...failed, stage: 'restore' as typeof failed.stage, runId: 'run-1', cleanedUp: [] };
    const state = (e: typeof restore) =>
      Object.fromEntries(replicationFailedMessage(e).lines)['Database state'];
    expect(state({ ...restore, rolledBack: true })).toBe(
      'the destination database is back as it was (run run-1 rolled back)',
    );
    const notBack = replicationFailedMessage({ ...restore, rolledBack: false });
    expect(notBack.severity).toBe('critical');
    expect(Object.fromEntries(notBack.lines)['Database state']).toMatch(
      /may not be as it was: see the alert of run run-1/,
    );
    expect(Object.fromEntries(notBack.lines)['Cleaned up']).toBe('nothing needed removing');
    expect(state({ ...restore, stage: 'secret' })).toMatch(/secret still points at the previous one/);
  });

  test('a completion shows the lineage and, in versioned mode, the secret and the versions', () => {
    const versioned = {
      ...completed,
      mode: 'versioned' as const,
      identifier: 'orders-copy-4',
      secret: { id: 'staging/orders', field: 'host', value: 'orders-copy-4.x.rds.amazonaws.com' },
      versions: { kept: ['orders-copy-4', 'orders-copy-3'], deleted: ['orders-copy-2'] },
    };
    const lines = Object.fromEntries(replicationCompletedMessage(versioned).lines);
    expect(lines).toMatchObject({
      Policy: 'orders-to-staging (versioned)',
      'Restored from': completed.lineage.copySnapshotArn,
      'Source snapshot': completed.lineage.sourceSnapshotArn,
      Secret: 'staging/orders: host = orders-copy-4.x.rds.amazonaws.com',
      'Versions kept': 'orders-copy-4, orders-copy-3',
      'Versions deleted': 'orders-copy-2',
      Endpoint: 'orders-staging.c2bkdiq45.us-east-1.rds.amazonaws.com:5432',
    });
  });

  test('failures are always sent; completions only when configured or with warnings', async () => {
    const ctx = testContext('notify', store);
    await notifyRoutes(deps).ReplicationFailed(failed, envelope(), ctx);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
    expect(ses.commandCalls(SendEmailCommand)[0]!.args[0].input.Content?.Simple?.Subject?.Data).toContain(
      'failed at copy in account 222222222222',
    );
    expect(posts).toHaveLength(1);
    await notifyRoutes(deps).ReplicationCompleted(completed, envelope(), ctx);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
    await notifyRoutes(deps).ReplicationCompleted(
      { ...completed, warnings: ['the previous version orders-copy-1 was not deleted: it changed since'] },
      envelope(),
      ctx,
    );
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(2);
    expect(posts.at(-1)!.body.text).toMatch(/^:warning: Rewind: replication orders-to-staging completed/);
  });
});
