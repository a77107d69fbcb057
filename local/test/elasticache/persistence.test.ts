/**
 * ElastiCache state across a restart (`--state-dir`): replication groups and global datastores of every
 * region, and an operation in flight that resumes and completes in the new emulator.
 */
import { createElastiCache, type ElastiCacheEmulator } from '../../src/elasticache';
import { decodeState, encodeState } from '../../src/persistence/codec';
import type { LocalRequest } from '../../src/types';
import { eventually } from '../regions/places';

const identity = { accountId: '000000000000', region: 'us-east-1' };
const emulators: ElastiCacheEmulator[] = [];
const start = () => {
  const e = createElastiCache({ identity, timeScale: 0.0005 });
  emulators.push(e);
  return e;
};
afterAll(async () => Promise.all(emulators.map((e) => e.close())));

/** A query-protocol call signed for a region (the SigV4 scope names it), answered as XML text. */
async function call(e: ElastiCacheEmulator, region: string, params: Record<string, string>): Promise<string> {
  const req: LocalRequest = {
    method: 'POST',
    path: '/',
    query: new URLSearchParams(),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=test/20261205/${region}/elasticache/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: Buffer.from(new URLSearchParams({ Version: '2015-02-02', ...params }).toString()),
  };
  const res = await e.handle(req);
  if (res.status !== 200) throw new Error(String(res.body));
  return String(res.body);
}
const statusOf = (xml: string) => /<GlobalReplicationGroup>.*?<Status>([^<]+)<\/Status>/s.exec(xml)?.[1];

test('global datastores and a failover in flight survive a restart', async () => {
  const before = start();
  const group = (region: string, id: string, global?: string) =>
    call(before, region, {
      Action: 'CreateReplicationGroup',
      ReplicationGroupId: id,
      ReplicationGroupDescription: id,
      CacheNodeType: 'cache.t4g.small',
      ...(global ? { GlobalReplicationGroupId: global } : {}),
    });
  await group('us-east-1', 'keep-east');
  await eventually(
    () => call(before, 'us-east-1', { Action: 'DescribeReplicationGroups', ReplicationGroupId: 'keep-east' }),
    (xml) => xml.includes('<Status>available</Status>'),
  );
  const created = await call(before, 'us-east-1', {
    Action: 'CreateGlobalReplicationGroup',
    GlobalReplicationGroupIdSuffix: 'keep',
    PrimaryReplicationGroupId: 'keep-east',
  });
  const id = /<GlobalReplicationGroupId>([^<]+)</.exec(created)![1]!;
  const describe = (e: ElastiCacheEmulator) =>
    call(e, 'us-west-2', {
      Action: 'DescribeGlobalReplicationGroups',
      GlobalReplicationGroupId: id,
      ShowMemberInfo: 'true',
    });
  await eventually(
    () => describe(before),
    (xml) => statusOf(xml) === 'primary-only',
  );
  await group('us-west-2', 'keep-west', id);
  await eventually(
    () => describe(before),
    (xml) => statusOf(xml) === 'available',
  );
  before.configure({ profile: { globalFailover: 10 * 60_000 } });
  await call(before, 'us-west-2', {
    Action: 'FailoverGlobalReplicationGroup',
    GlobalReplicationGroupId: id,
    PrimaryRegion: 'us-west-2',
    PrimaryReplicationGroupId: 'keep-west',
  });
  const saved = encodeState(await before.persistence!.dump());
  await before.close();

  const after = start();
  await after.persistence!.load(decodeState(saved));
  expect(statusOf(await describe(after))).toBe('modifying');
  const done = await eventually(
    () => describe(after),
    (xml) => statusOf(xml) === 'available',
  );
  expect(done).toMatch(
    /<ReplicationGroupId>keep-west<\/ReplicationGroupId><ReplicationGroupRegion>us-west-2<\/ReplicationGroupRegion><Role>PRIMARY<\/Role>/,
  );
});
