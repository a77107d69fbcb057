import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  EVENT_EXAMPLES,
  EVENT_NAMES,
  IDENTIFIER_RULES,
  parseEvent,
  parseEventOrThrow,
  renderEventDocs,
  ContractError,
  type EventName,
} from '../src';

/** One invalid example per event, and the problem its message must name. */
const INVALID: { [N in EventName]: [unknown, RegExp] } = {
  RestoreRequested: [{ identifier: 'orders-db', task: 'restore_everything' }, /task: task must be one of/],
  RestoreRejected: [{ ...EVENT_EXAMPLES.RestoreRejected, code: 'because' }, /code/],
  RequestRepeated: [{ ...EVENT_EXAMPLES.RequestRepeated, kind: 'table' }, /kind/],
  CancelRequested: [{ reason: 'oops' }, /runId: is required/],
  CancelRefused: [{ runId: 'run-x' }, /reason: is required/],
  RunStarted: [{ ...EVENT_EXAMPLES.RunStarted, startedAt: 'yesterday' }, /startedAt/],
  SnapshotReady: [{ run: EVENT_EXAMPLES.SnapshotReady.run }, /snapshotIdentifier: is required/],
  RenameCompleted: [{ ...EVENT_EXAMPLES.RenameCompleted, purpose: 'fun' }, /purpose/],
  RestoreCompleted: [{ ...EVENT_EXAMPLES.RestoreCompleted, endpoint: {} }, /endpoint.address: is required/],
  CleanupCompleted: [{ ...EVENT_EXAMPLES.CleanupCompleted, deletedIdentifier: 7 }, /deletedIdentifier/],
  RestoreFailed: [{ ...EVENT_EXAMPLES.RestoreFailed, compensation: ['panic'] }, /compensation.0/],
  DiscardCompleted: [{ run: EVENT_EXAMPLES.DiscardCompleted.run }, /discardedIdentifier: is required/],
  RollbackCompleted: [{ ...EVENT_EXAMPLES.RollbackCompleted, run: undefined }, /run: is required/],
  RollbackFailed: [{ ...EVENT_EXAMPLES.RollbackFailed, action: undefined }, /action: is required/],
  RunCompleted: [{ ...EVENT_EXAMPLES.RunCompleted, durationMs: -1 }, /durationMs/],
  RunFailed: [
    { ...EVENT_EXAMPLES.RunFailed, run: { ...EVENT_EXAMPLES.RunFailed.run, next: 'dance' } },
    /run.next/,
  ],
  SnapshotPolicyFired: [
    {
      ...EVENT_EXAMPLES.SnapshotPolicyFired,
      policy: { ...EVENT_EXAMPLES.SnapshotPolicyFired.policy, retention: {} },
    },
    /policy.retention: says nothing/,
  ],
  SnapshotCreated: [
    { ...EVENT_EXAMPLES.SnapshotCreated, snapshotArn: undefined },
    /snapshotArn: is required/,
  ],
  SnapshotCopied: [{ ...EVENT_EXAMPLES.SnapshotCopied, region: undefined }, /region: is required/],
  SnapshotExported: [{ ...EVENT_EXAMPLES.SnapshotExported, s3Uri: undefined }, /s3Uri: is required/],
  SnapshotExpired: [{ ...EVENT_EXAMPLES.SnapshotExpired, deleted: [{}] }, /deleted.0.snapshotIdentifier/],
  SnapshotFailed: [{ ...EVENT_EXAMPLES.SnapshotFailed, stage: 'lunch' }, /stage/],
  FailoverRequested: [
    { plan: 'to-west', mode: 'eventually' },
    /mode: mode must be one of planned, unplanned/,
  ],
  FailoverRejected: [{ ...EVENT_EXAMPLES.FailoverRejected, code: 'nope' }, /code/],
  FailoverStarted: [{ ...EVENT_EXAMPLES.FailoverStarted, layers: undefined }, /layers: is required/],
  FailoverCompleted: [{ ...EVENT_EXAMPLES.FailoverCompleted, resources: [{ layer: 0 }] }, /resources.0/],
  FailoverFailed: [{ ...EVENT_EXAMPLES.FailoverFailed, action: undefined }, /action: is required/],
  ReplicationRequested: [{ policy: 'orders-to-staging', destinations: ['2222'] }, /destinations.0/],
  ReplicationStarted: [{ ...EVENT_EXAMPLES.ReplicationStarted, sourceAccount: 'me' }, /sourceAccount/],
  SnapshotShared: [{ ...EVENT_EXAMPLES.SnapshotShared, snapshotArn: undefined }, /snapshotArn: is required/],
  ReplicationReceived: [{ ...EVENT_EXAMPLES.ReplicationReceived, mode: 'sideways' }, /mode/],
  ReplicationCompleted: [
    { ...EVENT_EXAMPLES.ReplicationCompleted, lineage: {} },
    /lineage.sourceSnapshotArn/,
  ],
  ReplicationFailed: [{ ...EVENT_EXAMPLES.ReplicationFailed, stage: 'lunch' }, /stage/],
};

/** Snapshot policy and replication events: about a policy and a database, not a run (no routing slip either). */
const POLICY_EVENTS = new Set<EventName>([
  'ReplicationRequested',
  'ReplicationStarted',
  'SnapshotShared',
  'ReplicationReceived',
  'ReplicationCompleted',
  'ReplicationFailed',
  'SnapshotPolicyFired',
  'SnapshotCreated',
  'SnapshotCopied',
  'SnapshotExported',
  'SnapshotExpired',
  'SnapshotFailed',
]);

/** Intake's request and answers: they name runs by id and carry no routing slip (no rule may route them by `next`). */
const INTAKE_ANSWERS = new Set<EventName>([
  'RestoreRequested',
  'RestoreRejected',
  'RequestRepeated',
  'CancelRequested',
  'CancelRefused',
  'FailoverRequested',
  'FailoverRejected',
]);

describe('event contracts', () => {
  test.each(EVENT_NAMES)('%s accepts its documented example', (name) => {
    const result = parseEvent(name, EVENT_EXAMPLES[name]);
    expect(result).toMatchObject({ ok: true });
  });

  test.each(EVENT_NAMES)('%s rejects an invalid payload with a message naming the problem', (name) => {
    const [payload, problem] = INVALID[name];
    const result = parseEvent(name, payload);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(problem);
  });

  test('every choreography event carries the run block', () => {
    for (const name of EVENT_NAMES.filter((n) => !INTAKE_ANSWERS.has(n) && !POLICY_EVENTS.has(n))) {
      const example = EVENT_EXAMPLES[name] as { run: Record<string, unknown> };
      expect(Object.keys(example.run).sort()).toEqual([
        'id',
        'identifier',
        'kind',
        'next',
        'plan',
        'strategy',
        'task',
      ]);
      const withoutRun = { ...example, run: undefined };
      expect(parseEvent(name, withoutRun).ok).toBe(false);
    }
  });
});

describe('RestoreRequested', () => {
  test('accepts Trapheus input unchanged and fills defaults', () => {
    const value = parseEventOrThrow('RestoreRequested', {
      identifier: 'Orders-DB',
      task: 'db_restore',
      isCluster: true,
    });
    expect(value).toEqual({
      identifier: 'orders-db',
      task: 'db_restore',
      isCluster: true,
      strategy: 'in-place',
    });
  });

  test('accepts the optional fields', () => {
    const value = parseEventOrThrow('RestoreRequested', {
      identifier: 'orders-db',
      task: 'db_restore',
      snapshotIdentifier: 'rds:orders-db-2026-11-01-03-00',
      strategy: 'swap',
      requestId: 'nightly/2026-11-22',
      finalSnapshot: false,
    });
    expect(value.snapshotIdentifier).toBe('rds:orders-db-2026-11-01-03-00');
    expect(value.strategy).toBe('swap');
  });

  test('unknown fields are rejected, naming them (a typo must not be ignored silently)', () => {
    const result = parseEvent('RestoreRequested', {
      identifier: 'a',
      task: 'db_restore',
      snapshotIdentifer: 'x',
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain('unknown field(s) "snapshotIdentifer"');
  });

  test('missing fields are reported as required', () => {
    const result = parseEvent('RestoreRequested', {});
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues).toEqual(['identifier: is required', 'task: is required']);
  });

  test('parseEventOrThrow throws a ContractError listing every issue', () => {
    expect(() =>
      parseEventOrThrow('RestoreRequested', { identifier: 'a', task: 'x', isCluster: 'no' }),
    ).toThrow(ContractError);
    try {
      parseEventOrThrow('RestoreRequested', { identifier: 'a', task: 'x', isCluster: 'no' });
    } catch (err) {
      expect((err as ContractError).issues).toHaveLength(2);
    }
  });

  const broken: Record<string, string> = {
    length: 'a'.repeat(64),
    'first-letter': '1orders',
    characters: 'orders_db',
    'consecutive-hyphens': 'orders--db',
    'trailing-hyphen': 'orders-db-',
  };
  test.each(IDENTIFIER_RULES.map((r) => r.name))(
    'identifier rule %s: a failing example names the rule',
    (rule) => {
      const identifier = broken[rule];
      expect(identifier).toBeDefined();
      const result = parseEvent('RestoreRequested', { identifier, task: 'create_snapshot' });
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.issues).toHaveLength(1);
        expect(result.message).toContain(`[rule: ${rule}]`);
      }
    },
  );

  test('the empty identifier breaks the length rule', () => {
    const result = parseEvent('RestoreRequested', { identifier: '', task: 'create_snapshot' });
    expect(!result.ok && result.message).toContain('must be 1 to 63 characters long (got 0)');
  });

  test('the longest legal identifier is accepted and lowercased', () => {
    const id = 'A' + 'b1-'.repeat(20) + 'c';
    expect(id).toHaveLength(62);
    expect(
      parseEventOrThrow('RestoreRequested', { identifier: id + 'd', task: 'db_restore' }).identifier,
    ).toBe((id + 'd').toLowerCase());
  });

  test.each([
    ['1snap', /must start with a letter/],
    ['snap--x', /consecutive hyphens/],
    ['snap-', /must not end with a hyphen/],
    ['snap_x', /only letters, digits and hyphens/],
  ])('snapshot identifier %s is rejected', (snapshotIdentifier, problem) => {
    const result = parseEvent('RestoreRequested', {
      identifier: 'db',
      task: 'db_restore',
      snapshotIdentifier,
    });
    expect(!result.ok && result.message).toMatch(problem);
  });

  test('a shared snapshot ARN is accepted as is', () => {
    const arn = 'arn:aws:rds:us-east-1:123456789012:snapshot:Shared-Snap';
    expect(
      parseEventOrThrow('RestoreRequested', { identifier: 'db', task: 'db_restore', snapshotIdentifier: arn })
        .snapshotIdentifier,
    ).toBe(arn);
  });
});

describe('docs/events', () => {
  const dir = join(__dirname, '..', '..', 'docs', 'events');
  test('the checked-in JSON Schemas and index are up to date (run `npm run events:generate`)', () => {
    const expected = renderEventDocs();
    expect(readdirSync(dir).sort()).toEqual(Object.keys(expected).sort());
    for (const [file, content] of Object.entries(expected)) {
      expect({ file, content: readFileSync(join(dir, file), 'utf8') }).toEqual({ file, content });
    }
  });

  test('one schema per event, each with its example', () => {
    const files = renderEventDocs();
    for (const name of EVENT_NAMES) {
      const schema = JSON.parse(files[`${name}.json`]!);
      expect(schema.title).toBe(name);
      expect(schema.examples).toEqual([EVENT_EXAMPLES[name]]);
    }
  });
});
