import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { policySnapshotName, policySnapshotTags, SNAPSHOT_KINDS } from '@rewind/shared';
import type { Page } from 'playwright-core';
import { chromiumAvailable, CHROMIUM, launchBrowser } from '../../scripts/browser';
import { queueUrl } from '../../src/queues';
import { awaitRun } from '../../src/requests';
import { startConsole, type RunningConsole } from '../../src/ui/server';
import { bufferIo } from '../../src/io';
import { run } from '../../src/main';
import { json, rewindIn, startCloud } from '../helpers';

/**
 * The `rewind ui` command; then the console in a real headless chromium, against a local cloud running the real handlers: one cloud,
 * one console and one browser for the file. Screenshots are kept in test-artifacts/console/.
 */

const ARTIFACTS = resolve(__dirname, '../../../test-artifacts/console');
const available = chromiumAvailable();
if (!available)
  process.stderr.write(
    `Skipping the console's browser tests: no chromium at ${CHROMIUM} (apt-get install chromium, as .ci/run does; or set REWIND_CHROMIUM)\n`,
  );
const describeInBrowser = available ? describe : describe.skip;
// A case follows a whole run in the page (each wait up to 60 s): on a loaded machine it can pass the
// suite's default 60 s per test.
jest.setTimeout(150_000);

let env: Awaited<ReturnType<typeof startCloud>>;
let web: RunningConsole;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
let failingRunId: string;
let policyFile: string;

const ME = '000000000000';
const PEER = '222222222222';
const OTHER = '333333333333';
const kmsKey = (account: string) =>
  `arn:aws:kms:us-east-1:${account}:key/0b7d5e2a-93c4-4f6b-8e1d-5a2c7f9e4b10`;

/**
 * A snapshot policy of kept-db, a DR plan: kept-db (a promoted replica) and a replica that does not
 * exist; a replication policy of kept-db to two accounts (this cloud's replication service is deployed
 * without it: a request for it fails at select, as in an account whose configuration lacks it).
 */
const POLICIES = {
  replication: [
    {
      name: 'kept-to-staging',
      source: { account: ME, region: 'us-east-1', identifier: 'kept-db' },
      destinations: [
        {
          account: PEER,
          kmsKeyId: kmsKey(PEER),
          mode: 'versioned',
          prefix: 'kept-copy',
          keep: 2,
          secret: { id: 'kept/endpoint' },
        },
        { account: OTHER, kmsKeyId: kmsKey(OTHER), mode: 'in-place', identifier: 'kept-staging' },
      ],
    },
  ],
  snapshotPolicies: [
    {
      name: 'kept-daily',
      kind: 'instance',
      databases: { identifiers: ['kept-db'] },
      schedule: 'rate(1 day)',
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
                type: 'rds-replica',
                replicaId: 'kept-db',
                replicaRegion: 'us-east-1',
                sourceRegion: 'us-west-2',
              },
              {
                type: 'rds-replica',
                replicaId: 'kept-db-west',
                replicaRegion: 'us-west-2',
                sourceRegion: 'us-east-1',
              },
            ],
          },
        ],
      },
    },
  },
};

const shot = (name: string) => page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true });
const rewind = (...args: string[]) => rewindIn(env.cloud.endpoint, args);

beforeAll(async () => {
  env = await startCloud(['orders-db', 'billing-db', 'queue-db', 'letters-db', 'hold-db', 'kept-db']);
  policyFile = join(mkdtempSync(join(tmpdir(), 'rewind-console-')), 'rewind.config.json');
  writeFileSync(policyFile, JSON.stringify(POLICIES));
  web = await startConsole(env.clients, { liveMs: 300, policyFile });
  if (!available) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchBrowser();
  page = await browser.context.newPage();
  // The address rewind ui prints: it gives the browser the session's cookie.
  await page.goto(web.url);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await env?.stop();
  if (available) process.stdout.write(`console screenshots: ${ARTIFACTS}\n`);
});

test('rewind ui serves the console on 127.0.0.1 for the target, prints where, and stops on Ctrl-C', async () => {
  const io = bufferIo();
  const exited = run(
    ['ui', '--endpoint', env.cloud.endpoint, '--refresh', '500', '--config', policyFile],
    io,
  );
  let url: string | undefined;
  for (let i = 0; i < 100 && !url; i++) {
    url = /Rewind console on (http:\/\/127\.0\.0\.1:\d+\/\?session=\S+) /.exec(io.out())?.[1];
    if (!url) await new Promise((r) => setTimeout(r, 50));
  }
  expect(io.out()).toContain(`reading the local cloud at ${env.cloud.endpoint}, prefix rewind-local`);
  expect(io.out()).toContain(`Snapshot policies and DR plans from ${policyFile}.`);
  const opened = await fetch(url!, { redirect: 'manual' });
  expect(opened.status).toBe(303);
  const cookie = opened.headers.get('set-cookie')!.split(';')[0]!;
  const page = await fetch(new URL('/databases', url).href, { headers: { cookie } });
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('data-database="orders-db"');
  process.emit('SIGINT');
  expect(await exited).toBe(0);
  expect(io.out()).toContain('SIGINT: console stopped.');
  expect(await run(['ui', '--port', 'x'], bufferIo())).toBe(2);
  // A policy file with a mistake is said at once, before anything is served.
  const bad = bufferIo();
  expect(await run(['ui', '--config', `${policyFile}.missing`], bad)).toBe(1);
  expect(bad.err()).toMatch(/cannot read the file/);
});

describeInBrowser('the console in a browser', () => {
  test('the runs page lists a run the test started, and filters by status and database', async () => {
    const started = json<{ runId: string }>((await rewind('snapshot', 'queue-db', '--json')).out);

    // A request whose identifier is markup: rejected, and shown as text, never as markup.
    const hostile = '<img src=x onerror="document.title=1">';
    await env.clients.events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: env.cloud.names.busName,
            Source: 'fuzz.team',
            DetailType: 'RestoreRequested',
            Detail: JSON.stringify({
              identifier: hostile,
              task: 'create_snapshot_only',
              requestId: 'console-markup',
            }),
          },
        ],
      }),
    );

    await page.goto(`${web.origin}/runs`);
    await page.locator(`tr[data-run="${started.runId}"]`).waitFor();
    await page.locator('tr[data-run]', { hasText: hostile }).waitFor({ timeout: 30_000 });
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.title()).toBe('Runs · Rewind');
    await page.locator('tr[data-run]', { hasText: hostile }).getByRole('link').first().click();
    expect(await page.locator('section[aria-labelledby="h-failure"]').innerText()).toMatch(
      /Rejected[\s\S]*rejected \(invalid-input\)/,
    );
    expect(await page.locator('main img').count()).toBe(0);
    await page.goto(`${web.origin}/runs`);
    // The keyboard's first stop skips the navigation.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement && document.activeElement.textContent')).toBe(
      'Skip to content',
    );
    expect(await page.locator(`tr[data-run="${started.runId}"]`).innerText()).toMatch(
      /create_snapshot_only\s+instance\s+queue-db/,
    );

    await page.getByLabel('Database').fill('queue-db');
    await page.getByLabel('Status').selectOption('completed');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/status=completed/);
    await page.locator(`tr[data-run="${started.runId}"]`).waitFor({ timeout: 30_000 });
    const rows = await page.locator('tbody tr[data-run]').allInnerTexts();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toMatch(/completed.*queue-db/s);
    await shot('runs');
  });

  test("a run's page shows each step and follows the run live until RunCompleted", async () => {
    // A run that fails, for the next test, started now so that both run at once.
    await env.cloud.admin.post('/_rewind/rds/faults', {
      operations: [{ operation: 'restore', identifier: 'billing-db', outcome: 'failed', times: 1 }],
    });
    failingRunId = json<{ runId: string }>(
      (await rewind('restore', 'billing-db', '--task', 'create_snapshot', '--json')).out,
    ).runId;

    // Started from the databases page: restore, with a confirmation that shows the exact request.
    await page.goto(`${web.origin}/databases`);
    await page.getByRole('link', { name: 'Restore orders-db…' }).click();
    await page.getByLabel('Task').selectOption('create_snapshot');
    await page.getByRole('button', { name: 'Review…' }).click();
    const request = await page.locator('pre').innerText();
    expect(JSON.parse(request)).toMatchObject({
      identifier: 'orders-db',
      task: 'create_snapshot',
      isCluster: false,
    });
    expect(await page.locator('main').innerText()).toContain('snapshot → set-aside → restore → cleanup');
    await page.getByRole('button', { name: 'Restore orders-db' }).click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    const runId = decodeURIComponent(page.url().split('/runs/')[1]!);
    expect(await page.locator('h1').innerText()).toContain(runId);

    // The page is not reloaded: the marker survives while the content follows the run.
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));
    // A keyboard user's focus stays where it was while the content is replaced.
    await page.getByRole('link', { name: 'Where it is in the choreography' }).focus();
    await page.locator('tr[data-step="set-aside"] .s-done').waitFor({ timeout: 60_000 });
    expect(await page.evaluate('document.activeElement && document.activeElement.textContent')).toBe(
      'Where it is in the choreography',
    );
    await shot('run-live');
    await page.locator('tr[data-event="RunCompleted"]').waitFor({ timeout: 60_000 });
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(42);
    for (const step of ['intake', 'snapshot', 'set-aside', 'restore', 'cleanup'])
      expect(await page.locator(`tr[data-step="${step}"]`).innerText()).toContain('done');
    expect(await page.locator('#live-status').innerText()).toContain('Finished');
    expect(await page.locator('.gantt .seg.rds').count()).toBeGreaterThanOrEqual(4);
    expect(await page.locator('h1 .badge').innerText()).toBe('completed');
    expect(await page.locator('dl.facts').innerText()).toMatch(
      /Database\s+instance orders-db in 000000000000\/us-east-1/,
    );
    await shot('run');

    await page.getByRole('link', { name: 'Where it is in the choreography' }).click();
    expect(await page.locator('ol[aria-label="The run\'s path"]').innerText()).toMatch(
      /restore published RunStarted \(next: snapshot\) → snapshot/,
    );
    await shot('choreography');
  });

  test('a failed run shows the failed step, the reason, the rollback and the alert', async () => {
    await page.goto(`${web.origin}/runs/${encodeURIComponent(failingRunId)}`);
    await page.locator('tr[data-event="RunFailed"]').waitFor({ timeout: 60_000 });
    const failure = await page.locator('section[aria-labelledby="h-failure"]').innerText();
    expect(failure).toMatch(/Failed step\s+restore/);
    expect(failure).toMatch(/Reason\s+.*billing-db.*failed/i);
    expect(failure).toMatch(/discard: done/);
    expect(failure).toMatch(/rename-back: done/);
    expect(failure).toContain('RollbackCompleted');
    expect(await page.locator('tr[data-step="restore"]').innerText()).toContain('failed');
    await page.locator('#h-alerts + ul li', { hasText: 'Alert sent' }).waitFor({ timeout: 30_000 });
    expect(await page.getByRole('link', { name: 'Replay…' }).count()).toBe(1);
    await shot('run-failed');

    // Replayed from its page (the fault is gone): the confirmation shows the request; sent twice, one run.
    await page.getByRole('link', { name: 'Replay…' }).click();
    const replayRequest = JSON.parse(await page.locator('pre').innerText()) as Record<string, unknown>;
    expect(replayRequest).toMatchObject({
      identifier: 'billing-db',
      task: 'create_snapshot',
      replayOf: failingRunId,
    });
    const fields = {
      token: await page.locator('input[name="token"]').inputValue(),
      requestId: await page.locator('input[name="requestId"]').inputValue(),
    };
    expect(fields.requestId).toBe(`replay-${failingRunId}-1`);
    await page.getByRole('button', { name: `Replay ${failingRunId}` }).click();
    await page.waitForURL(
      (url) => /\/runs\/[^/]+$/.test(url.pathname) && !url.pathname.endsWith(failingRunId),
    );
    const replayId = decodeURIComponent(page.url().split('/runs/')[1]!);
    expect(await page.locator('main').innerText()).toContain(`Replay of\n${failingRunId}`);
    const again = await page.request.post(`${web.origin}/runs/${encodeURIComponent(failingRunId)}/replay`, {
      form: fields,
    });
    expect(again.url()).toBe(`${web.origin}/runs/${encodeURIComponent(replayId)}`);

    await page.goto(`${web.origin}/databases`);
    expect(await page.locator('tr[data-database="billing-db"]').innerText()).toMatch(
      new RegExp(`yes\\s+locked by ${replayId}[\\s\\S]*${replayId}\\s+running`),
    );
    await shot('databases');
  });

  test('a dead letter is redriven from the page, and its run completes', async () => {
    const requestId = 'console-dlq-1';
    // What a function failed on every receive: a request, moved to the restore inbox's DLQ by SQS.
    const deadLetter = async (identifier: string, id: string) =>
      env.clients.sqs.send(
        new SendMessageCommand({
          QueueUrl: await queueUrl(env.clients.sqs, env.cloud.names.inboxDlq('restore')),
          MessageBody: JSON.stringify({
            version: '0',
            id: `evt-${id}`,
            'detail-type': 'RestoreRequested',
            source: 'my.team',
            account: '000000000000',
            time: new Date().toISOString(),
            region: 'us-east-1',
            resources: [],
            detail: { identifier, task: 'create_snapshot_only', requestId: id },
          }),
        }),
      );
    await deadLetter('letters-db', requestId);

    await page.goto(`${web.origin}/dead-letters`);
    const row = page.locator('#svc-restore').locator('..').locator('tr[data-message]');
    await row.first().waitFor();
    expect(await row.first().innerText()).toMatch(/transient[\s\S]*RestoreRequested/);
    await shot('dead-letters');

    await page.getByRole('link', { name: 'Redrive restore…' }).click();
    expect(await page.locator('main').innerText()).toMatch(
      /rewind-local-restore-inbox-dlq → rewind-local-restore-inbox: 1 message/,
    );
    // A message that arrives after the confirmation is not moved: only what was shown is.
    await deadLetter('queue-db', 'console-dlq-late');
    await page.getByRole('button', { name: 'Redrive 1 message(s)' }).click();
    const done = await page.locator('[role="status"].panel').innerText();
    expect(done).toContain('1 message(s) moved back');
    expect(done).toContain('1 message(s) left in place');

    const run = await awaitRun(env.clients, `evt-${requestId}`);
    await page.goto(`${web.origin}/runs/${encodeURIComponent(run.runId)}`);
    await page.locator('tr[data-event="RunCompleted"]').waitFor({ timeout: 60_000 });
    await page.goto(`${web.origin}/dead-letters`);
    expect(await page.locator('main').innerText()).toContain('1 message(s) in all.');
    await page.getByRole('link', { name: 'Redrive restore…' }).click();
    await page.getByRole('button', { name: 'Redrive 1 message(s)' }).click();
    await page.goto(`${web.origin}/dead-letters`);
    expect(await page.locator('main').innerText()).toContain('All dead-letter queues are empty.');
    expect((await awaitRun(env.clients, 'evt-console-dlq-late')).identifier).toBe('queue-db');
  });

  test('a run held up by RDS is cancelled from its page, after a confirmation that says what happens', async () => {
    // RDS throttles every snapshot of hold-db: the run waits at its snapshot step.
    await env.cloud.admin.post('/_rewind/rds/faults', {
      apiErrors: [{ action: 'CreateDBSnapshot', code: 'Throttling', status: 400, identifier: 'hold-db*' }],
    });
    const { runId } = json<{ runId: string }>((await rewind('snapshot', 'hold-db', '--json')).out);

    await page.goto(`${web.origin}/runs/${encodeURIComponent(runId)}`);
    await page.getByRole('link', { name: 'Cancel…' }).click();
    expect(await page.locator('main').innerText()).toMatch(
      /at step snapshot[\s\S]*hold-db has not been touched: the run ends at once/,
    );
    await page.getByLabel(/^Why/).fill('RDS throttles it');
    await page.getByRole('button', { name: `Cancel ${runId}` }).click();
    await page.waitForURL(new RegExp(`/runs/${runId}$`));
    await page.locator('tr[data-event="RunFailed"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('section[aria-labelledby="h-failure"]').innerText()).toMatch(
      /Cancelled[\s\S]*RDS throttles it/,
    );
    await env.cloud.admin.post('/_rewind/rds/faults', {});
  });

  test("the databases page shows each policy snapshot with the policy that keeps it, and the DR plan's readiness", async () => {
    // Two snapshots of kept-daily as the lifecycle service names and tags them: one of today, one of 60 days ago.
    const at = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000);
    const [today, old] = [at(0), at(60)].map((when) => ({
      name: policySnapshotName('kept-daily', 'kept-db', when),
      tags: policySnapshotTags('kept-daily', 'kept-db', when.toISOString()),
    }));
    for (const s of [today!, old!])
      await SNAPSHOT_KINDS.instance.create(env.clients.rds, 'kept-db', s.name, s.tags);
    const names = [today!.name, old!.name];
    for (let i = 0; i < 300; i++) {
      const listed = await SNAPSHOT_KINDS.instance.list(env.clients.rds, 'kept-db');
      if (listed.filter((s) => names.includes(s.snapshotIdentifier) && s.status === 'available').length === 2)
        break;
      await new Promise((r) => setTimeout(r, 100));
    }

    await page.goto(`${web.origin}/databases`);
    const row = page.locator('tr[data-facets-of="kept-db"]');
    expect(await row.locator(`li[data-snapshot="${today!.name}"]`).innerText()).toMatch(
      /kept by kept-daily[\s\S]*available[\s\S]*newest available snapshot: always kept/,
    );
    expect(await row.locator(`li[data-snapshot="${old!.name}"]`).innerText()).toMatch(
      /expires \(kept-daily\)[\s\S]*older than 30 days \(maxAgeDays\)/,
    );
    expect(await row.innerText()).toContain('policies kept-daily');
    // The same as rewind snapshots list.
    const listed = json<{
      snapshots: { snapshotIdentifier: string; policy: string | null; retention: string }[];
    }>((await rewind('snapshots', 'list', 'kept-db', '--config', policyFile, '--json')).out);
    expect(listed.snapshots.find((s) => s.snapshotIdentifier === old!.name)?.retention).toMatch(
      /^expires \(kept-daily\)/,
    );
    expect(await page.locator('tr[data-facets-of="orders-db"]').innerText()).toContain('no snapshot policy');

    // kept-db stands alone (a promoted replica): already moved; the plan's other replica does not exist.
    expect(await row.locator('li[data-plan="to-west"]').innerText()).toMatch(
      /to-west \(failover\)\s+already moved[\s\S]*rewind dr check --plan to-west/,
    );
    expect(await page.locator('tr[data-plan="to-west"]').innerText()).toMatch(
      /not ready[\s\S]*rds-replica kept-db-west \(us-west-2\): instance kept-db-west not found in us-west-2/,
    );
    const checked = await rewind('dr', 'check', '--config', policyFile);
    expect(checked.code).toBe(1);
    expect(checked.out).toContain('kept-db-west -> us-west-2');
    expect(checked.out).toContain('instance kept-db-west not found in us-west-2');
    await shot('databases-policies');

    // The file is read at every refresh: a mistake made while the console runs is shown, then its fix.
    writeFileSync(policyFile, JSON.stringify({ ...POLICIES, snapshotPolicies: [{ name: 'Kept' }] }));
    await page.goto(`${web.origin}/databases`);
    expect(await page.locator('tr[data-facets-of="kept-db"]').innerText()).toMatch(
      /policy file: [\s\S]*snapshotPolicies/,
    );
    writeFileSync(policyFile, JSON.stringify(POLICIES));
    await page.goto(`${web.origin}/databases`);
    await row.locator(`li[data-snapshot="${today!.name}"]`).waitFor();
  });

  test("the replication page lists this account's replications, and replicate now starts one after a confirmation", async () => {
    // This account as a destination: a job as the replication service leaves it (versioned, completed),
    // its run a real run of this cloud, asked for as the replication service asks; a warning carrying
    // markup, shown as text.
    const { runId } = json<{ runId: string }>(
      (
        await rewind(
          'snapshot',
          'letters-db',
          '--request-id',
          'replication/repl-billing-to-here-202612050200',
          '--json',
        )
      ).out,
    );
    const hostile = '<img src=x onerror="document.title=1">';
    await DynamoDBDocumentClient.from(env.clients.dynamo).send(
      new PutCommand({
        TableName: env.cloud.names.tableName,
        Item: {
          pk: 'REPLDST#repl-billing-to-here-202612050200',
          sk: 'JOB',
          seq: 5,
          replicationId: 'repl-billing-to-here-202612050200',
          policy: 'billing-to-here',
          destination: { account: ME, mode: 'versioned', prefix: 'billing-copy', keep: 2 },
          sourceAccount: PEER,
          sourceIdentifier: 'billing-db',
          copyIdentifier: 'rewind-repl-billing-to-here-202612050200-copy',
          runId,
          result: { identifier: 'billing-copy-3', address: 'billing-copy-3.local', port: 5432 },
          versions: { kept: ['billing-copy-3', 'billing-copy-2'], deleted: ['billing-copy-1'] },
          warnings: [`a warning about ${hostile}`],
          createdAt: new Date(Date.now() - 3_600_000).toISOString(),
          marks: { done: new Date().toISOString() },
        },
      }),
    );

    // The databases page: kept-db is the source of the policy; from there, Replicate now.
    await page.goto(`${web.origin}/databases`);
    expect(
      await page
        .locator('tr[data-facets-of="kept-db"] li[data-replication-policy="kept-to-staging"]')
        .innerText(),
    ).toMatch(new RegExp(`source of kept-to-staging → ${PEER} \\(versioned\\), ${OTHER} \\(in-place\\)`));
    await page.getByRole('link', { name: 'Replicate kept-to-staging now…' }).first().click();
    const confirm = await page.locator('main').innerText();
    expect(confirm).toContain('Replicate kept-db now, by policy kept-to-staging?');
    expect(confirm).toContain(`shares the snapshot with ${PEER}, ${OTHER}`);
    expect(await page.locator(`ul[data-destinations] li[data-destination="${PEER}"]`).innerText()).toContain(
      `${PEER}: versioned: a new database kept-copy-<n+1>, the newest 2 kept`,
    );
    expect(await page.locator(`ul[data-destinations] li[data-destination="${OTHER}"]`).innerText()).toContain(
      `${OTHER}: in place: kept-staging is restored under its own name`,
    );
    const request = JSON.parse(await page.locator('pre').innerText()) as { requestId: string };
    expect(request).toMatchObject({ policy: 'kept-to-staging', destinations: [PEER, OTHER] });
    const fields = {
      token: await page.locator('input[name="token"]').inputValue(),
      policy: 'kept-to-staging',
      requestId: await page.locator('input[name="requestId"]').inputValue(),
    };
    expect(fields.requestId).toBe(request.requestId);
    await shot('replicate-confirm');
    await page.getByRole('button', { name: 'Replicate kept-to-staging now' }).click();
    await page.waitForURL(/\/replication\?policy=kept-to-staging&requested=/);

    // Taken by this account's replication service, whose configuration lacks the policy: failed at
    // select, with the reason and what to do, shown live on the page.
    const replicationId = `repl-kept-to-staging-${request.requestId}`;
    const failure = page.locator(`tr[data-failure-of="${replicationId}"]`);
    await failure.waitFor({ timeout: 30_000 });
    const failureText = await failure.innerText();
    expect(failureText).toMatch(/Failed at\s+select/);
    expect(failureText).toMatch(/Reason\s+no replication policy named kept-to-staging in this deployment/);
    expect(failureText).toMatch(/Cleaned up\s+nothing/);
    expect(failureText).toMatch(/What to do\s+\S/);
    // The form sent again (a double click, a reload): the same request id, one replication.
    await page.request.post(`${web.origin}/replication/replicate`, { form: fields });
    await page.request.post(`${web.origin}/replication/replicate`, { form: fields });
    // The same data as rewind replication status --json.
    const status = json<{
      replications: { replicationId: string; state: string; failure?: { stage: string; reason: string } }[];
    }>((await rewind('replication', 'status', '--json')).out);
    const mine = status.replications.filter((v) => v.replicationId === replicationId);
    expect(mine).toHaveLength(1);
    expect(failureText).toContain(mine[0]!.failure!.reason);
    expect(await page.locator(`tr[data-replication="${replicationId}"]`).innerText()).toMatch(
      // The deployment knows no such policy: no database, no destination.
      new RegExp(
        `kept-to-staging\\s+-\\s+rewind-repl-kept-to-staging-\\d+\\s[\\s\\S]*${mine[0]!.state}[\\s\\S]*none announced`,
      ),
    );

    // The destination side: mode, restored version, versions, the run linked to its page.
    await page.goto(`${web.origin}/replication`);
    const dst = page.locator('tr[data-replication="repl-billing-to-here-202612050200"]');
    expect(await dst.innerText()).toMatch(
      new RegExp(
        `account ${PEER}\\s+billing-db[\\s\\S]*versioned[\\s\\S]*completed[\\s\\S]*billing-copy-3[\\s\\S]*${runId}[\\s\\S]*kept billing-copy-3, billing-copy-2\\s+deleted billing-copy-1`,
      ),
    );
    expect(await page.locator('main').innerText()).toContain(`warning: a warning about ${hostile}`);
    expect(await page.locator('main img').count()).toBe(0);
    await shot('replication');

    // Filtered by state: only the failed ones.
    await page.getByLabel('State').selectOption('failed');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/state=failed/);
    expect(await page.locator(`tr[data-replication="${replicationId}"]`).count()).toBe(1);
    expect(await page.locator('tr[data-replication="repl-billing-to-here-202612050200"]').count()).toBe(0);

    await page.goto(`${web.origin}/replication`);
    await dst.getByRole('link', { name: runId }).click();
    await page.waitForURL(new RegExp(`/runs/${runId}$`));
    expect(await page.locator('h1').innerText()).toContain(runId);
    // and back from the run to the replication it restores.
    expect(await page.locator('dl.facts').innerText()).toMatch(
      /Replication\s+the restore of replication repl-billing-to-here-202612050200/,
    );
    await page.getByRole('link', { name: 'repl-billing-to-here-202612050200' }).click();
    await page.waitForURL(/\/replication$/);
  });
});
