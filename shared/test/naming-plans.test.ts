import {
  advance,
  beginCompensation,
  brokenIdentifierRule,
  compensationFor,
  derivedIdentifier,
  isAfterSetAside,
  isTrapheusSnapshot,
  newRunId,
  planFor,
  runTag,
  snapshotIdentifier,
  startRun,
  StepMismatchError,
  traceRunTag,
  type RunBlock,
} from '../src';

describe('naming', () => {
  const longest = 'a' + 'b'.repeat(62);

  test('run ids are unique and carry a tag', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newRunId(new Date('2026-11-22T03:15:00Z'))));
    expect(ids.size).toBe(1000);
    const id = [...ids][0]!;
    expect(id).toMatch(/^run-20261122-031500-[a-z0-9]{8}$/);
    expect(runTag(id)).toBe(id.slice(-8));
  });

  test.each(['orders-db', longest, 'a', 'x-' + 'y'.repeat(46) + '-z' + 'w'.repeat(13)])(
    'temporary and staging names of %s are legal, <= 63 chars, unique per run and traceable',
    (identifier) => {
      const runA = newRunId();
      const runB = newRunId();
      for (const role of ['old', 'new'] as const) {
        const a = derivedIdentifier(identifier, runA, role);
        expect(a.length).toBeLessThanOrEqual(63);
        expect(brokenIdentifierRule(a)).toBeUndefined();
        expect(a).not.toBe(derivedIdentifier(identifier, runB, role));
        expect(traceRunTag(a)).toEqual({ tag: runTag(runA), role });
      }
      expect(derivedIdentifier(identifier, runA, 'old')).not.toBe(derivedIdentifier(identifier, runA, 'new'));
    },
  );

  test('truncation never leaves a double hyphen', () => {
    // the 48th character is a hyphen: the cut must drop it
    const identifier = 'a'.repeat(47) + '-' + 'b'.repeat(15);
    const name = derivedIdentifier(identifier, newRunId(), 'old');
    expect(name).not.toContain('--');
    expect(brokenIdentifierRule(name)).toBeUndefined();
  });

  test('snapshot identifiers derive from the identifier and the time, unique per run', () => {
    const now = new Date('2026-11-22T03:15:09Z');
    const run = newRunId(now);
    const snap = snapshotIdentifier('orders-db', run, now);
    expect(snap).toBe(`orders-db-rw${runTag(run)}-snapshot-20261122-031509`);
    expect(snapshotIdentifier('orders-db', newRunId(now), now)).not.toBe(snap);
    expect(snapshotIdentifier(longest, run, now).length).toBeLessThanOrEqual(255);
    expect(traceRunTag(snap)).toEqual({ tag: runTag(run), role: 'snapshot' });
  });

  test("Trapheus's <id>-snapshot is recognised", () => {
    expect(isTrapheusSnapshot('orders-db-snapshot', 'orders-db')).toBe(true);
    expect(isTrapheusSnapshot('Orders-DB-Snapshot', 'orders-db')).toBe(true);
    expect(isTrapheusSnapshot('orders-db-snapshot-2', 'orders-db')).toBe(false);
  });
});

describe('plans', () => {
  test.each([
    ['create_snapshot_only', 'in-place', ['snapshot']],
    ['create_snapshot', 'in-place', ['snapshot', 'set-aside', 'restore', 'cleanup']],
    ['db_restore', 'in-place', ['set-aside', 'restore', 'cleanup']],
    ['create_snapshot', 'swap', ['snapshot', 'restore-beside', 'set-aside', 'take-name', 'cleanup']],
    ['db_restore', 'swap', ['restore-beside', 'set-aside', 'take-name', 'cleanup']],
    ['create_snapshot_only', 'swap', ['snapshot']],
    ['clone', 'in-place', ['restore-new']],
  ] as const)('%s / %s -> %j', (task, strategy, plan) => {
    expect(planFor(task, strategy)).toEqual(plan);
  });

  const run: RunBlock = startRun({
    id: newRunId(),
    identifier: 'orders-db',
    kind: 'instance',
    task: 'create_snapshot',
    strategy: 'in-place',
    plan: planFor('create_snapshot', 'in-place'),
  });

  test('advance walks the slip to the end', () => {
    let r = run;
    const seen: (string | null)[] = [r.next];
    while (r.next) {
      r = advance(r, r.next);
      seen.push(r.next);
    }
    expect(seen).toEqual(['snapshot', 'set-aside', 'restore', 'cleanup', null]);
  });

  test('advancing a step that is not next is refused (stale or duplicate message)', () => {
    expect(() => advance(run, 'restore')).toThrow(StepMismatchError);
    expect(() => advance(run, 'restore')).toThrow(/expects step snapshot next, not restore/);
  });

  test("a clone's failure discards what it created, and renames nothing back (the source never moved)", () => {
    const clone = startRun({ ...run, task: 'clone', plan: planFor('clone', 'in-place') });
    expect(compensationFor(clone.plan, 'restore-new')).toEqual(['discard']);
    const failing = beginCompensation(clone, 'restore-new');
    expect([failing.plan, failing.next]).toEqual([['restore-new', 'discard'], 'discard']);
    expect(isAfterSetAside(failing, 'discard')).toBe(false);
    expect(advance(failing, 'discard').next).toBeNull();
  });

  test('compensation after set-aside discards and renames back; before it, nothing', () => {
    expect(compensationFor(run.plan, 'snapshot')).toEqual([]);
    expect(compensationFor(run.plan, 'set-aside')).toEqual(['rename-back']);
    expect(compensationFor(run.plan, 'restore')).toEqual(['discard', 'rename-back']);
    expect(compensationFor(run.plan, 'cleanup')).toEqual([]);
    const failing = beginCompensation({ ...run, next: 'restore' }, 'restore');
    expect(failing.plan).toEqual(['snapshot', 'set-aside', 'restore', 'cleanup', 'discard', 'rename-back']);
    expect(failing.next).toBe('discard');
    expect(advance(advance(failing, 'discard'), 'rename-back').next).toBeNull();
  });

  test('swap: before the renames only the copy goes; during them the original comes back; after them nothing is undone', () => {
    const swap = planFor('create_snapshot', 'swap');
    expect(compensationFor(swap, 'snapshot')).toEqual([]);
    expect(compensationFor(swap, 'restore-beside')).toEqual(['discard']);
    expect(compensationFor(swap, 'set-aside')).toEqual(['rename-back', 'discard']);
    expect(compensationFor(swap, 'take-name')).toEqual(['discard', 'rename-back']);
    expect(compensationFor(swap, 'cleanup')).toEqual([]);
    const block = { ...run, strategy: 'swap' as const, plan: swap, next: 'set-aside' as const };
    const failing = beginCompensation(block, 'set-aside');
    expect(failing.plan).toEqual([...swap, 'rename-back', 'discard']);
    expect(advance(advance(failing, 'rename-back'), 'discard').next).toBeNull();
  });
});
