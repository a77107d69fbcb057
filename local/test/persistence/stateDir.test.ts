import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Partitions } from '../../src/edge/identity';
import { decodeState, encodeState } from '../../src/persistence/codec';
import { partitionedState } from '../../src/persistence/partitioned';
import { STATE_FORMAT, StateDir } from '../../src/persistence/stateDir';
import type { ServiceState } from '../../src/types';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rewind-statedir-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

/** A service whose whole state is one value. */
function part(key: string, initial: unknown): ServiceState & { value: unknown } {
  const p = {
    key,
    value: initial,
    dump: () => p.value,
    load: (state: unknown) => {
      p.value = state;
    },
  };
  return p;
}

test('the codec keeps Dates, Maps and Sets, and leaves look-alike strings alone', () => {
  const value = {
    at: new Date('2026-01-02T03:04:05.678Z'),
    byName: new Map([['a', { since: new Date(0), tags: new Set(['x']) }]]),
    text: '2026-01-02T03:04:05.678Z',
    literal: { $date: 'not a number' },
  };
  expect(decodeState(encodeState(value))).toEqual(value);
});

test('save then load gives every service its own state back; a service without a file keeps its own', async () => {
  const a = part('a', { n: 1, at: new Date(5) });
  const b = part('b', new Map([['k', 'v']]));
  await new StateDir(dir, [a, b], () => undefined).save();
  const manifest = JSON.parse(await readFile(join(dir, 'local-cloud.json'), 'utf8')) as { format: number };
  expect(manifest.format).toBe(STATE_FORMAT);

  const a2 = part('a', undefined);
  const b2 = part('b', undefined);
  const c2 = part('c', 'untouched');
  const loaded = await new StateDir(dir, [a2, b2, c2], () => undefined).load();
  expect(loaded.loaded).toEqual(['a', 'b']);
  expect([a2.value, b2.value, c2.value]).toEqual([
    { n: 1, at: new Date(5) },
    new Map([['k', 'v']]),
    'untouched',
  ]);
});

test('an empty directory loads nothing; stop() saves the last state', async () => {
  const a = part('a', 1);
  const stateDir = new StateDir(join(dir, 'nested', 'state'), [a], () => undefined);
  expect(await stateDir.load()).toEqual({ loaded: [] });
  stateDir.startAutosave(60_000);
  a.value = 2;
  await stateDir.stop();
  expect(await readFile(join(dir, 'nested', 'state', 'a.json'), 'utf8')).toBe('2');
});

test('a damaged file is named, with what to do; so is a state of another format', async () => {
  const a = part('a', 1);
  await new StateDir(dir, [a], () => undefined).save();
  await writeFile(join(dir, 'a.json'), '{"half');
  await expect(new StateDir(dir, [a], () => undefined).load()).rejects.toThrow(
    new RegExp(`${join(dir, 'a.json')} is not valid JSON .*move the state directory away to start empty`),
  );
  await writeFile(join(dir, 'local-cloud.json'), JSON.stringify({ format: 999 }));
  await expect(new StateDir(dir, [a], () => undefined).load()).rejects.toThrow(
    new RegExp(
      `has state format 999, this local cloud reads format ${STATE_FORMAT}; start with another --state-dir`,
    ),
  );
});

test('a directory that cannot be written is refused at start', async () => {
  await writeFile(join(dir, 'file'), '');
  await expect(new StateDir(join(dir, 'file', 'sub'), [], () => undefined).load()).rejects.toThrow(
    /cannot be written .*choose another --state-dir/,
  );
});

test('a directory another live local cloud uses is refused, naming its process; a stale claim is taken over', async () => {
  await writeFile(join(dir, 'local-cloud.pid'), `${process.ppid}\n`);
  await expect(new StateDir(dir, [], () => undefined).load()).rejects.toThrow(
    `The state directory ${dir} is in use by process ${process.ppid} (another local cloud)`,
  );
  await writeFile(join(dir, 'local-cloud.pid'), '999999999\n'); // no such process
  const stateDir = new StateDir(dir, [], () => undefined);
  await stateDir.load();
  expect(await readFile(join(dir, 'local-cloud.pid'), 'utf8')).toBe(`${process.pid}\n`);
  await stateDir.stop();
  await expect(readFile(join(dir, 'local-cloud.pid'), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
});

test('a save writes only the files whose state changed (an idle cloud writes nothing)', async () => {
  const a = part('a', 1);
  const b = part('b', 1);
  const stateDir = new StateDir(dir, [a, b], () => undefined);
  await stateDir.save();
  // marks on disk: a file the next save rewrites loses its mark
  await writeFile(join(dir, 'a.json'), 'mark-a');
  await writeFile(join(dir, 'b.json'), 'mark-b');
  await writeFile(join(dir, 'local-cloud.json'), 'mark-manifest');
  await stateDir.save();
  expect(
    await Promise.all(['a', 'b', 'local-cloud'].map((f) => readFile(join(dir, `${f}.json`), 'utf8'))),
  ).toEqual(['mark-a', 'mark-b', 'mark-manifest']);
  b.value = 2;
  await stateDir.save();
  expect(await readFile(join(dir, 'a.json'), 'utf8')).toBe('mark-a');
  expect(await readFile(join(dir, 'b.json'), 'utf8')).toBe('2');
  expect(await readFile(join(dir, 'local-cloud.json'), 'utf8')).toContain(`"format": ${STATE_FORMAT}`);
});

describe('partitionedState: one dump per account and region', () => {
  const counters = () => new Partitions<{ n: number }>(() => ({ n: 0 }));
  const place = { dump: (p: { n: number }) => p.n, load: (p: { n: number }, n: number) => void (p.n = n) };

  test('every existing place is dumped under its account and region, and loaded back into the same place', async () => {
    const from = counters();
    from.get({ accountId: '111111111111', region: 'us-east-1' }).n = 1;
    from.get({ accountId: '222222222222', region: 'eu-west-1' }).n = 2;
    const dump = await partitionedState('c', from, place).dump();
    expect(dump).toEqual({
      places: [
        { accountId: '111111111111', region: 'us-east-1', state: 1 },
        { accountId: '222222222222', region: 'eu-west-1', state: 2 },
      ],
    });
    const to = counters();
    await partitionedState('c', to, place).load(decodeState(encodeState(dump)));
    expect(to.places()).toEqual(from.places());
    expect(to.peek({ accountId: '222222222222', region: 'eu-west-1' })?.n).toBe(2);
    expect(to.peek({ accountId: '222222222222', region: 'us-east-1' })).toBeUndefined();
  });

  test('a dump without places (an older layout) is refused, saying what it lacks', async () => {
    await expect(partitionedState('c', counters(), place).load({ tables: [] })).rejects.toThrow(
      'it holds no list of accounts and regions ("places")',
    );
    await expect(partitionedState('c', counters(), place).load({ places: [{ state: 1 }] })).rejects.toThrow(
      /a place has no account or region/,
    );
  });
});
