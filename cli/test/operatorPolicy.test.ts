import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const SRC = resolve(__dirname, '../src');

/** The IAM prefix of each AWS SDK client the CLI imports. */
const SERVICE_OF: Record<string, string> = {
  'client-sqs': 'sqs',
  'client-eventbridge': 'events',
  'client-rds': 'rds',
  'client-dynamodb': 'dynamodb',
  'lib-dynamodb': 'dynamodb',
  'client-scheduler': 'scheduler',
};

const DOCUMENT_ACTIONS: Record<string, string> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
};

/** Commands that run a local cloud of their own (not against a deployed stage). */
const LOCAL_ONLY = ['commands/local.ts', 'commands/demo.ts'];

/**
 * Calls made through @rewind/shared rather than a command constructed in cli/src: the state store reads
 * (getRun, getTimeline, claimedRunId, listRuns), the request publisher, findInstance (the live view).
 */
const THROUGH_SHARED = ['dynamodb:GetItem', 'dynamodb:Query', 'events:PutEvents', 'rds:DescribeDBInstances'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** `service:Action` for every SDK command the CLI constructs (batch calls need the single action). */
function actionsCalled(): Set<string> {
  const actions = new Set(THROUGH_SHARED);
  for (const file of sources(SRC)) {
    if (LOCAL_ONLY.includes(relative(SRC, file))) continue;
    const text = readFileSync(file, 'utf8');
    for (const [, names, client] of text.matchAll(
      /import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/((?:client|lib)-[a-z]+)'/g,
    )) {
      const service = SERVICE_OF[client!];
      if (!service) throw new Error(`${file} imports @aws-sdk/${client}: add its IAM prefix to SERVICE_OF`);
      for (const name of names!.split(',').map((n) => n.trim())) {
        // A paginator makes the calls of its command: paginateDescribeDBClusters -> DescribeDBClusters.
        const paginated = /^paginate(\w+)$/.exec(name)?.[1];
        if (paginated && new RegExp(`${name}\\(`).test(text)) actions.add(`${service}:${paginated}`);
        const command = /^(\w+)Command$/.exec(name)?.[1];
        if (!command || !new RegExp(`new ${name}\\(`).test(text)) continue;
        // The document client's commands name the item actions shortly: GetCommand -> GetItem.
        const action = client === 'lib-dynamodb' ? (DOCUMENT_ACTIONS[command] ?? command) : command;
        actions.add(`${service}:${action.replace(/Batch$/, '')}`);
      }
    }
  }
  return actions;
}

function documentedPolicy(): { Statement: { Action: string[] }[] } {
  const doc = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
  const block = /<!-- operator-policy -->\s*```json\n([\s\S]*?)```\s*<!-- \/operator-policy -->/.exec(doc);
  expect(block).not.toBeNull();
  return JSON.parse(block![1]!) as { Statement: { Action: string[] }[] };
}

test('the operator policy in docs/operations.md allows every AWS action the CLI calls', () => {
  const documented = new Set(documentedPolicy().Statement.flatMap((s) => s.Action));
  const called = actionsCalled();
  expect(called).toContain('sqs:ReceiveMessage');
  expect(called).toContain('sqs:ChangeMessageVisibility');
  expect(called).toContain('events:StartReplay');
  expect(called).toContain('rds:DescribeDBClusters'); // the console's databases page
  expect([...called].filter((a) => !documented.has(a))).toEqual([]);
  // and lists nothing the CLI does not call
  expect([...documented].filter((a) => !called.has(a))).toEqual([]);
});
