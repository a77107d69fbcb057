import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutEventsCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { readPolicyFile, resourceNames } from '@rewind/shared';
import { mockClient } from 'aws-sdk-client-mock';
import { createClients, type Clients } from '../../src/context';
import type { ConsoleContext } from '../../src/ui/context';
import { replicateConfirmPage, replicatePost, replicationPage } from '../../src/ui/pages/replication';
import { policiesOfDatabase } from '../../src/ui/replication';

/**
 * The replication page, its replicate-now confirmation and POST, rendered from state-table items as the
 * replication service writes them (the table and SQS mocked: what the page asks for is asserted). What a
 * table holds is shown as text: an item carrying markup (a hostile or mistaken write) never becomes markup.
 */

const ME = '111111111111';
const PEER = '222222222222';
const OTHER = '333333333333';
const MARKUP = '<img src=x onerror="document.title=1">';

const dynamo = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const events = mockClient(EventBridgeClient);

let dir: string;
let clients: Clients;
let ctx: ConsoleContext;

const key = (acct: string) => `arn:aws:kms:us-east-1:${acct}:key/0b7d5e2a-93c4-4f6b-8e1d-5a2c7f9e4b10`;
const POLICIES = {
  replication: [
    {
      name: 'orders-to-staging',
      source: { account: ME, region: 'us-east-1', identifier: 'orders-db', kmsKeyId: key(ME) },
      schedule: 'cron(0 3 * * ? *)',
      destinations: [
        { account: PEER, kmsKeyId: key(PEER), mode: 'in-place', identifier: 'orders-staging' },
        {
          account: OTHER,
          kmsKeyId: key(OTHER),
          mode: 'versioned',
          prefix: 'orders-copy',
          keep: 2,
          secret: { id: 'orders/endpoint' },
        },
      ],
    },
    {
      name: 'billing-to-here',
      source: { account: PEER, region: 'us-east-1', identifier: 'billing-db' },
      destinations: [{ account: ME, kmsKeyId: key(ME), mode: 'versioned', prefix: 'billing-copy' }],
    },
  ],
};

/** A source job: one destination failed its restore (rolled back), one refused the announcement. */
const SOURCE_ITEM = {
  pk: 'REPLSRC#orders-to-staging#2026-12-05T03:00:00Z',
  sk: 'JOB',
  seq: 3,
  replicationId: 'repl-orders-to-staging-202612050300',
  policyName: 'orders-to-staging',
  policy: POLICIES.replication[0],
  sourceAccount: ME,
  sourceIdentifier: 'orders-db',
  destinations: [PEER, OTHER],
  snapshotName: 'rewind-repl-orders-to-staging-202612050300',
  createdAt: '2026-12-05T03:00:00.000Z',
  marks: {
    shared: '2026-12-05T03:20:00.000Z',
    [`announced:${PEER}`]: '2026-12-05T03:20:01.000Z',
    [`ack:${PEER}`]: JSON.stringify({ at: '2026-12-05T03:20:02.000Z', mode: 'in-place' }),
    [`outcome:${PEER}`]: JSON.stringify({
      state: 'failed',
      at: '2026-12-05T03:40:00.000Z',
      stage: 'restore',
      reason: `restore run r-1 of orders-staging failed: ${MARKUP}`,
      rolledBack: true,
      cleanedUp: ['db snapshot rewind-repl-orders-to-staging-202612050300-copy (the copy in account 2222)'],
      action: 'look at run r-1 in account 222222222222, then rewind replicate',
    }),
    [`outcome:${OTHER}`]: JSON.stringify({
      state: 'bounced',
      at: '2026-12-05T03:20:05.000Z',
      reason: `the Rewind bus of account ${OTHER} refused the announcement`,
    }),
    [`alerted:${OTHER}`]: JSON.stringify({
      at: '2026-12-05T03:21:00.000Z',
      cleanedUp: [`stopped sharing with ${OTHER}`],
      action: `the destination bus policy must let account ${ME} put events`,
    }),
  },
};

/** A source job that failed before anything was shared. */
const SOURCE_FAILED = {
  pk: 'REPLSRC#orders-to-staging#cli-1',
  sk: 'JOB',
  seq: 1,
  replicationId: 'repl-orders-to-staging-cli-1',
  policyName: 'orders-to-staging',
  sourceAccount: ME,
  sourceIdentifier: MARKUP,
  destinations: [PEER],
  createdAt: '2026-12-05T04:00:00.000Z',
  marks: {
    failed: JSON.stringify({
      stage: 'select',
      reason: 'orders-db is encrypted with the default aws/rds key',
      action: 'set source.kmsKeyId',
      at: '2026-12-05T04:00:01.000Z',
    }),
    alerted: JSON.stringify({
      at: '2026-12-05T04:00:02.000Z',
      cleanedUp: [],
      action: 'set source.kmsKeyId (rewind replication key-policy --policy orders-to-staging)',
    }),
  },
};

/** A destination job in this account: versioned, completed, the secret updated, one version deleted. */
const DESTINATION_ITEM = {
  pk: 'REPLDST#repl-billing-to-here-202612050200',
  sk: 'JOB',
  seq: 9,
  replicationId: 'repl-billing-to-here-202612050200',
  policy: 'billing-to-here',
  destination: POLICIES.replication[1]!.destinations[0],
  sourceAccount: PEER,
  sourceIdentifier: 'billing-db',
  copyIdentifier: 'rewind-repl-billing-to-here-202612050200-copy',
  restore: { identifier: 'billing-copy-2', targetIdentifier: 'billing-copy-3', versionNumber: 3 },
  runId: `run-${MARKUP}`,
  result: { identifier: 'billing-copy-3', address: 'billing-copy-3.local', port: 5432 },
  secret: { id: 'billing/endpoint', field: 'host', value: 'billing-copy-3.local' },
  versions: { kept: ['billing-copy-3', 'billing-copy-2'], deleted: ['billing-copy-1'] },
  warnings: [],
  createdAt: '2026-12-05T02:20:00.000Z',
  marks: { 'copy:requested': '2026-12-05T02:20:01.000Z', done: '2026-12-05T02:50:00.000Z' },
};

/** A destination job that failed at copy: its copy deleted. */
const DESTINATION_FAILED = {
  ...DESTINATION_ITEM,
  pk: 'REPLDST#repl-billing-to-here-202612050100',
  replicationId: 'repl-billing-to-here-202612050100',
  createdAt: '2026-12-05T01:20:00.000Z',
  runId: undefined,
  result: undefined,
  secret: undefined,
  versions: undefined,
  restore: undefined,
  failure: {
    stage: 'copy',
    reason: `KMSKeyNotAccessibleFault: ${MARKUP}`,
    action: 'the source key must let account 111111111111 use it',
    cleanedUp: ['db snapshot rewind-repl-billing-to-here-202612050100-copy (the copy in account 1111)'],
    errorCode: 'KMSKeyNotAccessibleFault',
    at: '2026-12-05T01:30:00.000Z',
  },
  marks: { 'copy:requested': '2026-12-05T01:20:01.000Z', ended: '2026-12-05T01:30:00.000Z' },
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rewind-console-repl-'));
  writeFileSync(join(dir, 'rewind.config.json'), JSON.stringify(POLICIES));
  clients = createClients({
    endpoint: 'http://127.0.0.1:9',
    local: true,
    region: 'us-east-1',
    names: resourceNames('rewind-local'),
    description: 'the test table',
  });
  ctx = { clients, token: 'the-token', liveMs: 1000, policyFile: join(dir, 'rewind.config.json') };
});
afterAll(() => {
  clients.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  dynamo.reset();
  sqs.reset();
  events.reset();
  dynamo
    .on(ScanCommand)
    .resolves({ Items: [SOURCE_ITEM, SOURCE_FAILED, DESTINATION_ITEM, DESTINATION_FAILED] });
  sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: 'http://q/rewind-local-restore-inbox' });
  sqs
    .on(GetQueueAttributesCommand)
    .resolves({ Attributes: { QueueArn: `arn:aws:sqs:us-east-1:${ME}:rewind-local-restore-inbox` } });
});

/** The part of the page between two markers, tags removed: what a reader sees. */
const text = (markup: string) =>
  markup
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

const rowOf = (markup: string, id: string, side: string) => {
  const start = markup.indexOf(`<tr data-replication="${id}" data-side="${side}">`);
  expect(start).toBeGreaterThanOrEqual(0);
  const failure = markup.indexOf(`<tr data-failure-of="${id}">`, start);
  const next = markup.indexOf('<tr data-replication=', start + 1);
  const end = failure >= 0 && (next < 0 || failure < next) ? markup.indexOf('</tr>', failure) : next;
  return markup.slice(start, end < 0 ? undefined : end);
};

describe('the replication page', () => {
  test("lists both sides of this account's replications, each failure with stage, reason, cleanup and action", async () => {
    const page = await replicationPage(ctx, new URLSearchParams());
    const body = page.body.text;
    // The table scan of rewind replication status, on the console's table.
    expect(dynamo.commandCalls(ScanCommand)[0]!.args[0].input).toMatchObject({
      TableName: 'rewind-local-state',
      ExpressionAttributeValues: { ':job': 'JOB', ':src': 'REPLSRC#', ':dst': 'REPLDST#' },
    });
    expect(page.section).toBe('replication');
    expect(text(body)).toContain('rewind replication status --limit 100 --json');
    expect(text(body)).toContain('0 under-way, 1 completed, 3 failed');

    const source = text(rowOf(body, SOURCE_ITEM.replicationId, 'source'));
    expect(source).toMatch(/orders-to-staging\s+orders-db\s+rewind-repl-orders-to-staging-202612050300/);
    expect(source).toMatch(
      new RegExp(
        `${PEER} \\(in-place\\) failed .*Failed at restore \\(the restore run rolled back\\) Reason restore run r-1 of orders-staging failed: <img`,
      ),
    );
    expect(source).toContain('Cleaned up db snapshot rewind-repl-orders-to-staging-202612050300-copy');
    expect(source).toContain('What to do look at run r-1 in account 222222222222, then rewind replicate');
    expect(source).toMatch(
      new RegExp(
        `${OTHER} \\(versioned\\) bounced .*Failed at announce Reason the Rewind bus of account ${OTHER} refused the announcement Cleaned up stopped sharing with ${OTHER} What to do the destination bus policy must let account ${ME} put events`,
      ),
    );

    const failed = text(rowOf(body, SOURCE_FAILED.replicationId, 'source'));
    expect(failed).toMatch(
      /failed .*Failed at select Reason orders-db is encrypted with the default aws\/rds key Cleaned up nothing What to do set source.kmsKeyId \(rewind replication key-policy --policy orders-to-staging\)/,
    );

    const destination = rowOf(body, DESTINATION_ITEM.replicationId, 'destination');
    expect(text(destination)).toMatch(
      /billing-to-here\s+account 222222222222 billing-db copy rewind-repl-billing-to-here-202612050200-copy\s+versioned .* completed\s+billing-copy-3 billing-copy-3.local:5432/,
    );
    expect(destination).toContain(`href="/runs/${encodeURIComponent(DESTINATION_ITEM.runId)}"`);
    expect(text(destination)).toContain('billing/endpoint "host" updated to billing-copy-3.local');
    expect(text(destination)).toContain('kept billing-copy-3, billing-copy-2 deleted billing-copy-1');
    const destinationFailed = text(rowOf(body, DESTINATION_FAILED.replicationId, 'destination'));
    expect(destinationFailed).toMatch(
      /Failed at copy Reason KMSKeyNotAccessibleFault: <img src=x onerror="document.title=1"> Cleaned up db snapshot rewind-repl-billing-to-here-202612050100-copy \(the copy in account 1111\) What to do the source key must let account 111111111111 use it/,
    );

    // Markup from the table is text: escaped wherever it goes, never an element.
    expect(body).not.toContain('<img');
    expect(body).toContain('&lt;img src=x onerror=&quot;document.title=1&quot;&gt;');

    // The policies of this account as the source (not billing-to-here, whose source is 2222), with Replicate now.
    const policies = text(body.slice(body.indexOf('id="h-policies"')));
    expect(policies).toContain('orders-to-staging instance orders-db (us-east-1)');
    expect(policies).toContain(
      `${OTHER} : versioned: a new database orders-copy-<n+1>, the newest 2 kept, older ones deleted without a final snapshot; secret orders/endpoint (field "host") set to its endpoint`,
    );
    expect(policies).not.toContain('billing-to-here');
    expect(body).toContain('href="/replication/replicate?policy=orders-to-staging"');
  });

  test('filters by policy and state, as rewind replication status --policy --state', async () => {
    const failed = await replicationPage(ctx, new URLSearchParams({ state: 'failed' }));
    expect([...failed.body.text.matchAll(/<tr data-replication="([^"]+)"/g)].map((m) => m[1])).toEqual([
      SOURCE_FAILED.replicationId,
      SOURCE_ITEM.replicationId,
      DESTINATION_FAILED.replicationId,
    ]);
    expect(text(failed.body.text)).toContain('rewind replication status --state failed --limit 100 --json');
    const billing = await replicationPage(ctx, new URLSearchParams({ policy: 'billing-to-here' }));
    expect([...billing.body.text.matchAll(/<tr data-replication="([^"]+)"/g)].map((m) => m[1])).toEqual([
      DESTINATION_ITEM.replicationId,
      DESTINATION_FAILED.replicationId,
    ]);
    const wrong = await replicationPage(ctx, new URLSearchParams({ state: '<b>done</b>' }));
    expect(wrong.body.text).toContain(
      'state must be one of under-way, completed, failed, not &quot;&lt;b&gt;',
    );
    expect(dynamo.commandCalls(ScanCommand)).toHaveLength(2);
  });
});

describe('replicate now', () => {
  test('the confirmation says which destinations and what each does, and fixes the request id', async () => {
    const page = await replicateConfirmPage(ctx, new URLSearchParams({ policy: 'orders-to-staging' }));
    const body = page.body.text;
    const shown = text(body);
    expect(shown).toContain('Replicate orders-db now, by policy orders-to-staging?');
    expect(shown).toContain(`shares the snapshot with ${PEER}, ${OTHER}`);
    expect(shown).toContain(
      `${PEER} : in place: orders-staging is restored under its own name (in-place plan; the name and endpoint stay)`,
    );
    expect(shown).toContain(`${OTHER} : versioned: a new database orders-copy-<n+1>`);
    expect(shown).toContain('the source keeps the newest 1 shared snapshots');
    const request = JSON.parse(
      /<pre>([\s\S]*?)<\/pre>/
        .exec(body)![1]!
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'"),
    ) as { requestId: string; destinations: string[]; policy: string };
    expect(request).toMatchObject({ policy: 'orders-to-staging', destinations: [PEER, OTHER] });
    expect(body).toContain(`name="requestId" value="${request.requestId}"`);
    expect(body).toContain('name="token" value="the-token"');
    expect(shown).toContain(`As replication repl-orders-to-staging-${request.requestId}`);

    // One destination: the command rewind replicate would run.
    const one = await replicateConfirmPage(
      ctx,
      new URLSearchParams({ policy: 'orders-to-staging', to: PEER }),
    );
    expect(text(one.body.text)).toMatch(
      new RegExp(`rewind replicate orders-db --to ${PEER} --policy orders-to-staging --request-id cli-`),
    );
    expect(text(one.body.text)).not.toContain(`shares the snapshot with ${PEER}, ${OTHER}`);
  });

  test('refused, with the fix, for a policy of another source account, an unknown policy or destination', async () => {
    const other = await replicateConfirmPage(ctx, new URLSearchParams({ policy: 'billing-to-here' }));
    expect(other.status).toBe(409);
    expect(text(other.body.text)).toContain(
      `policy billing-to-here replicates from account ${PEER}, and this console reads account ${ME}`,
    );
    const unknown = await replicateConfirmPage(ctx, new URLSearchParams({ policy: '<i>x</i>' }));
    expect(unknown.body.text).toContain('no replication policy &quot;&lt;i&gt;x&lt;/i&gt;&quot;');
    const to = await replicateConfirmPage(
      ctx,
      new URLSearchParams({ policy: 'orders-to-staging', to: '444444444444' }),
    );
    expect(text(to.body.text)).toContain(
      'policy orders-to-staging does not replicate to account 444444444444',
    );
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  test('the POST publishes the confirmed request as rewind replicate does, with its request id', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const form = new URLSearchParams({ policy: 'orders-to-staging', to: PEER, requestId: 'cli-ui-1' });
    const next = await replicatePost(ctx, form);
    expect(next).toBe('/replication?policy=orders-to-staging&requested=cli-ui-1');
    const entry = events.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;
    expect(entry).toMatchObject({
      EventBusName: 'rewind-local',
      Source: 'rewind.cli',
      DetailType: 'ReplicationRequested',
    });
    expect(JSON.parse(entry.Detail!)).toEqual({
      policy: 'orders-to-staging',
      destinations: [PEER],
      requestId: 'cli-ui-1',
      requestedBy: expect.stringMatching(/ \(rewind ui\)$/),
    });
    await expect(
      replicatePost(ctx, new URLSearchParams({ policy: 'orders-to-staging', to: PEER })),
    ).rejects.toThrow('the form carries no request id');
    await expect(
      replicatePost(ctx, new URLSearchParams({ policy: 'orders-to-staging', requestId: 'bad id!' })),
    ).rejects.toThrow(/the request is not valid: requestId/);
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(1);
  });
});

test("a database's replication policies: the source of, a destination of (in place, a version, the template)", () => {
  const policies = readPolicyFile(join(dir, 'rewind.config.json')).replication;
  const names = (row: { kind: 'instance' | 'cluster'; identifier: string }, account: string) => {
    const { asSource, asDestination } = policiesOfDatabase(policies, account, row);
    return [asSource.map((p) => p.name), asDestination.map((x) => `${x.policy.name}:${x.d.mode}`)];
  };
  expect(names({ kind: 'instance', identifier: 'orders-db' }, ME)).toEqual([['orders-to-staging'], []]);
  // The same name in another account is not the source.
  expect(names({ kind: 'instance', identifier: 'orders-db' }, PEER)).toEqual([[], []]);
  expect(names({ kind: 'instance', identifier: 'orders-staging' }, PEER)).toEqual([
    [],
    ['orders-to-staging:in-place'],
  ]);
  expect(names({ kind: 'instance', identifier: 'orders-copy-12' }, OTHER)).toEqual([
    [],
    ['orders-to-staging:versioned'],
  ]);
  expect(names({ kind: 'instance', identifier: 'orders-copy-x' }, OTHER)).toEqual([[], []]);
  expect(names({ kind: 'cluster', identifier: 'orders-db' }, ME)).toEqual([[], []]);
  expect(names({ kind: 'instance', identifier: 'billing-copy-3' }, ME)).toEqual([
    [],
    ['billing-to-here:versioned'],
  ]);
});
