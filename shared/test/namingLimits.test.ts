import {
  brokenIdentifierRule,
  cloneMemberIdentifier,
  derivedIdentifier,
  finalSnapshotIdentifier,
  newRunId,
  runTag,
  snapshotIdentifier,
  traceRunTag,
} from '../src';

/**
 * Every name Rewind invents, for every legal identifier length (1..63), fits the limit AWS sets for its
 * kind: DB instance and cluster identifiers 63; DB snapshots 255; DB cluster snapshots 63
 * (CreateDBClusterSnapshot); final cluster snapshots 255 (DeleteDBCluster). Names that other calls
 * reuse (a cluster snapshot copied with CopyDBClusterSnapshot: 63) are held to the strictest.
 */

const LIMITS = {
  instance: { temporary: 63, staging: 63, snapshot: 255, finalSnapshot: 255 },
  // A cluster's members are instances: their temporary names are covered by the instance case.
  cluster: { temporary: 63, staging: 63, snapshot: 63, finalSnapshot: 255 },
} as const;

/** Two identifiers of each length: letters only, and hyphens at every other position (so every cut point hits one). */
function identifiersOfLength(n: number): string[] {
  const plain = 'a'.repeat(n);
  const hyphenated = [...Array(n).keys()]
    .map((i) => (i % 2 === 1 ? '-' : 'b'))
    .join('')
    .replace(/-$/, 'c');
  return n === 1 ? [plain] : [plain, hyphenated];
}

const LENGTHS = [...Array(63).keys()].map((i) => i + 1);
const now = new Date('2026-11-22T03:15:09Z');

function expectLegal(name: string, limit: number, what: string) {
  expect({ what, name, length: name.length <= limit }).toEqual({ what, name, length: true });
  // Same character rules as identifiers (start with a letter, letters/digits/hyphens, no "--", no trailing "-").
  const rule = brokenIdentifierRule(name.slice(0, 63));
  expect({ what, name, rule: rule?.name }).toEqual({ what, name, rule: undefined });
  expect(name).not.toContain('--');
  expect(name.endsWith('-')).toBe(false);
}

describe.each(['instance', 'cluster'] as const)('names invented for a %s', (kind) => {
  test.each(LENGTHS)('identifier of %i characters: every invented name fits its limit', (n) => {
    for (const identifier of identifiersOfLength(n)) {
      expect(brokenIdentifierRule(identifier)).toBeUndefined();
      const run = newRunId(now);
      const limits = LIMITS[kind];
      const names: [string, string, number][] = [
        ['temporary', derivedIdentifier(identifier, run, 'old'), limits.temporary],
        ['staging', derivedIdentifier(identifier, run, 'new'), limits.staging],
        ['snapshot', snapshotIdentifier(identifier, run, now), limits.snapshot],
        ['finalSnapshot', finalSnapshotIdentifier(identifier, run, now), limits.finalSnapshot],
      ];
      for (const [what, name, limit] of names) {
        expectLegal(name, limit, `${kind} ${what} of ${identifier}`);
        expect(traceRunTag(name)?.tag).toBe(runTag(run));
      }
      // Unique per run, even when the identifier is truncated.
      const other = newRunId(now);
      expect(snapshotIdentifier(identifier, other, now)).not.toBe(snapshotIdentifier(identifier, run, now));
      expect(derivedIdentifier(identifier, other, 'old')).not.toBe(derivedIdentifier(identifier, run, 'old'));
    }
  });
});

test('a cluster snapshot name stays at 63 for the identifiers that used to overflow (28 characters and more)', () => {
  const run = newRunId(now);
  for (const n of [27, 28, 63]) {
    const name = snapshotIdentifier('c'.repeat(n), run, now);
    expect(name.length).toBe(Math.min(63, n + 36));
    expect(name.startsWith('c'.repeat(Math.min(n, 27)))).toBe(true);
  }
});

describe("a clone's member names", () => {
  test('the source cluster name replaced by the clone name, else the clone name in front; always legal', () => {
    expect(cloneMemberIdentifier('orders-1', 'orders', 'orders-copy')).toBe('orders-copy-1');
    expect(cloneMemberIdentifier('orders', 'orders', 'audit')).toBe('audit');
    expect(cloneMemberIdentifier('writer-a', 'orders', 'audit')).toBe('audit-writer-a');
    expect(cloneMemberIdentifier('ordersreader', 'orders', 'audit')).toBe('audit-reader');
    for (let length = 1; length <= 63; length++) {
      const target = `t${'x'.repeat(length - 1)}`;
      for (const member of ['orders-1', 'a-very-long-member-name-of-the-writer-instance-0001']) {
        const name = cloneMemberIdentifier(member, 'orders', target);
        expect([target.length, member, brokenIdentifierRule(name)?.name]).toEqual([
          target.length,
          member,
          undefined,
        ]);
      }
    }
  });
});
