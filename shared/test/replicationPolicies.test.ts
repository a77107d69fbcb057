import {
  decodePoliciesEnv,
  encodePoliciesEnv,
  parsePolicyConfig,
  PolicyFileError,
  replicationAsDestination,
  replicationAsSource,
  replicationBusPrincipals,
  replicationForwardingRules,
  schedulerSchedules,
  type ReplicationPolicy,
} from '../src';
import { matchesPattern } from '../../local/src/eventbridge/pattern';

const SOURCE = '111111111111';
const STAGING = '222222222222';
const ANALYTICS = '333333333333';
const key = (account: string, region = 'us-east-1') => `arn:aws:kms:${region}:${account}:key/k-${account}`;

const policy = (over: Record<string, unknown> = {}) => ({
  name: 'orders-to-staging',
  source: { account: SOURCE, region: 'us-east-1', identifier: 'orders-db', kmsKeyId: key(SOURCE) },
  schedule: 'cron(0 3 * * ? *)',
  destinations: [
    { account: STAGING, kmsKeyId: key(STAGING), mode: 'in-place', identifier: 'orders-staging' },
    {
      account: ANALYTICS,
      kmsKeyId: key(ANALYTICS),
      mode: 'versioned',
      prefix: 'orders-copy',
      keep: 3,
      template: 'orders-template',
      secret: { id: 'analytics/orders' },
    },
  ],
  ...over,
});

function mistakes(raw: unknown): string[] {
  try {
    parsePolicyConfig(raw, 'rewind.config.json');
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyFileError);
    return (err as PolicyFileError).issues;
  }
  throw new Error('expected the file to be refused');
}

describe('the replication section', () => {
  test('a valid policy gets its defaults: instance, enabled, keep the newest shared and copied snapshot, strategy in-place, secret field host', () => {
    const [p] = parsePolicyConfig({ replication: [policy()] }).replication;
    expect(p).toMatchObject({
      kind: 'instance',
      enabled: true,
      retention: { keepLast: 1 },
      destinations: [
        { mode: 'in-place', strategy: 'in-place', retention: { keepLast: 1 } },
        {
          mode: 'versioned',
          keep: 3,
          finalSnapshot: false,
          secret: { id: 'analytics/orders', field: 'host' },
        },
      ],
    });
  });

  test('one line per mistake, each naming the policy, the field and the fix', () => {
    const lines = mistakes({
      replication: [
        policy({
          source: { account: '1111', region: 'us-east-1', identifier: 'orders-db' },
          destinations: [
            { account: STAGING, kmsKeyId: 'alias/mine', mode: 'in-place', identifier: 'orders-staging' },
            { account: ANALYTICS, kmsKeyId: key(ANALYTICS), mode: 'sideways' },
          ],
        }),
        policy({
          name: 'second',
          destinations: [
            { account: SOURCE, kmsKeyId: key(SOURCE), mode: 'in-place', identifier: 'orders-db' },
            { account: STAGING, kmsKeyId: key(ANALYTICS, 'eu-west-1'), mode: 'in-place', identifier: 'x' },
            {
              account: ANALYTICS,
              region: 'eu-west-1',
              kmsKeyId: key(ANALYTICS, 'eu-west-1'),
              mode: 'in-place',
              identifier: 'x',
            },
          ],
        }),
        policy({ name: 'second', destinations: [] }),
      ],
    });
    expect(lines).toEqual([
      expect.stringMatching(/^replication\[0\] \(orders-to-staging\)\.source\.account: must be a 12-digit/),
      expect.stringMatching(
        /^replication\[0\] \(orders-to-staging\)\.destinations\[0\]\.kmsKeyId: must be a full KMS key ARN/,
      ),
      expect.stringMatching(
        /^replication\[0\] \(orders-to-staging\)\.destinations\[1\].*"in-place".*"versioned"/,
      ),
      'replication[1] (second).destinations[0].account: is the source account: replication goes to other accounts (a copy in the same account is a clone: rewind clone)',
      expect.stringMatching(
        /^replication\[1\] \(second\)\.destinations\[1\]\.kmsKeyId: is a key of account 333333333333/,
      ),
      expect.stringMatching(
        /^replication\[1\] \(second\)\.destinations\[1\]\.kmsKeyId: is a key in eu-west-1/,
      ),
      expect.stringMatching(
        /^replication\[1\] \(second\)\.destinations\[2\]\.region: is not the source region us-east-1: a shared encrypted snapshot/,
      ),
      expect.stringMatching(/^replication\[2\] \(second\)\.destinations: lists no destination account/),
    ]);
  });

  test('more than 20 destinations is refused: RDS shares a snapshot with at most 20 accounts', () => {
    const destinations = Array.from({ length: 21 }, (_, i) => {
      const account = String(200000000000 + i);
      return { account, kmsKeyId: key(account), mode: 'in-place', identifier: 'orders-staging' };
    });
    expect(mistakes({ replication: [policy({ destinations })] })).toEqual([
      expect.stringMatching(
        /destinations: lists more than 20 destinations: RDS shares a snapshot with at most 20/,
      ),
    ]);
  });

  test('each account sees its side; schedules fire in the source account only', () => {
    const config = parsePolicyConfig({
      replication: [policy(), policy({ name: 'manual', schedule: undefined })],
    });
    expect(replicationAsSource(config.replication, SOURCE).map((p) => p.name)).toEqual([
      'orders-to-staging',
      'manual',
    ]);
    expect(replicationAsSource(config.replication, STAGING)).toEqual([]);
    expect(replicationAsDestination(config.replication, STAGING).map((x) => x.destination.mode)).toEqual([
      'in-place',
      'in-place',
    ]);
    const names = (account?: string) =>
      schedulerSchedules(config, account)
        .filter((s) => s.detailType === 'ReplicationRequested')
        .map((s) => [s.name, s.input]);
    expect(names(SOURCE)).toEqual([
      [
        'replicate-orders-to-staging',
        '{"policy":"orders-to-staging","scheduledTime":"<aws.scheduler.scheduled-time>"}',
      ],
    ]);
    expect(names(STAGING)).toEqual([]);
  });

  test('forwarding: the source sends SnapshotShared to each destination; a destination sends its answers back; nothing forwarded comes back', () => {
    const [p] = parsePolicyConfig({ replication: [policy()] }).replication as [ReplicationPolicy];
    const source = replicationForwardingRules([p], SOURCE);
    const staging = replicationForwardingRules([p], STAGING);
    expect(source.map((r) => [r.name, r.peerAccount])).toEqual([
      [`replication-to-${STAGING}`, STAGING],
      [`replication-to-${ANALYTICS}`, ANALYTICS],
    ]);
    expect(staging.map((r) => [r.name, r.peerAccount])).toEqual([
      [`replication-answers-to-${SOURCE}`, SOURCE],
    ]);
    const shared = (account: string, destinationAccount: string) => ({
      source: 'rewind',
      'detail-type': 'SnapshotShared',
      account,
      detail: { destinationAccount },
    });
    expect(matchesPattern(source[0]!.pattern, shared(SOURCE, STAGING))).toBe(true);
    expect(matchesPattern(source[0]!.pattern, shared(SOURCE, ANALYTICS))).toBe(false);
    const answer = (account: string) => ({
      source: 'rewind',
      'detail-type': 'ReplicationCompleted',
      account,
      detail: { sourceAccount: SOURCE },
    });
    expect(matchesPattern(staging[0]!.pattern, answer(STAGING))).toBe(true);
    // An answer forwarded into the source's bus is not sent on again.
    expect(matchesPattern(staging[0]!.pattern, answer(SOURCE))).toBe(false);
    expect(replicationBusPrincipals([p], SOURCE)).toEqual([STAGING, ANALYTICS]);
    expect(replicationBusPrincipals([p], STAGING)).toEqual([SOURCE]);
  });
});

describe('the policies in the replication function environment', () => {
  test('plain JSON while it fits, gzipped beyond; both read back; a broken value names the fix', () => {
    const policies = parsePolicyConfig({
      replication: [policy(), policy({ name: 'second', schedule: undefined })],
    }).replication;
    const plain = encodePoliciesEnv(policies, 10_000);
    expect(JSON.parse(plain)).toEqual(policies);
    const zipped = encodePoliciesEnv(policies, 100);
    expect(zipped).toMatch(/^gz:[A-Za-z0-9+/=]+$/);
    expect(decodePoliciesEnv(zipped)).toEqual(policies);
    expect(decodePoliciesEnv(plain)).toEqual(policies);
    expect(decodePoliciesEnv(undefined)).toEqual([]);
    expect(() => decodePoliciesEnv('gz:not-gzip')).toThrow(
      /REWIND_REPLICATION_POLICIES is neither JSON nor gz:<base64 of gzipped JSON> .*redeploy from a valid rewind.config.json/,
    );
    expect(() => decodePoliciesEnv('{"a":1}')).toThrow(/must be a JSON list of replication policies/);
  });
});
