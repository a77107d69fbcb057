import { spawn } from 'node:child_process';
import { BIN, json, rewindProcess, startCloud } from './helpers';

let env: Awaited<ReturnType<typeof startCloud>>;
let endpoint: string;

beforeAll(async () => {
  env = await startCloud();
  endpoint = env.cloud.endpoint;
});
afterAll(async () => env?.stop());

describe('the rewind process (node cli/bin/rewind.js)', () => {
  test('an unknown identifier: RestoreRejected with the reason as JSON, exit 1', async () => {
    const r = await rewindProcess(['restore', 'ghost-db', '--wait', '--json', '--endpoint', endpoint]);
    expect(r.code).toBe(1);
    const doc = json<{ status: string; reason: string; exitCode: number }>(r.out);
    expect(doc).toMatchObject({ status: 'rejected', exitCode: 1 });
    expect(doc.reason).toMatch(/^rejected \(unknown-database\): .*ghost-db/);
  });

  test('an unknown run: a JSON error saying where it looked and what to do, exit 1', async () => {
    const r = await rewindProcess(['status', 'run-nope', '--json', '--endpoint', endpoint]);
    expect(r.code).toBe(1);
    expect(json(r.out)).toEqual({
      error: 'no run run-nope in table rewind-local-state',
      hint: 'list runs with: rewind list',
      exitCode: 1,
    });
    expect(r.err).toContain('rewind: no run run-nope in table rewind-local-state');
  });

  test('list --json after the rejection: one JSON document with the run', async () => {
    const r = await rewindProcess(['list', '--json', '--endpoint', endpoint]);
    expect(r.code).toBe(0);
    const doc = json<{ table: string; runs: { identifier: string; status: string }[] }>(r.out);
    expect(doc.table).toBe('rewind-local-state');
    expect(doc.runs).toEqual([expect.objectContaining({ identifier: 'ghost-db', status: 'rejected' })]);
  });

  test('an unreachable endpoint is named, with how to start the local cloud; exit 1', async () => {
    const r = await rewindProcess(['list', '--endpoint', 'http://127.0.0.1:9']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^rewind: cannot reach http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\)\n {2}start the local cloud with: npx rewind local up/,
    );
  });

  test('a bad identifier or flag value is a usage error naming the argument, before anything is reached', async () => {
    const r = await rewindProcess([
      'restore',
      'bad name!',
      '--request-id',
      'x'.repeat(129),
      '--endpoint',
      'http://127.0.0.1:9',
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(
      'rewind: <identifier>: identifier "bad name!" may contain only letters, digits and hyphens',
    );
    expect(r.err).toContain('; --request-id: Too big: expected string to have <=128 characters');
    expect(r.err).not.toContain('requestId');
    expect(r.err).not.toContain('cannot reach');
    const snap = await rewindProcess(['restore', 'orders-db', '--snapshot', '', '--endpoint', endpoint]);
    expect(snap.code).toBe(2);
    expect(snap.err).toContain('rewind: --snapshot: snapshot identifier "" must be 1 to 255 characters long');
  });

  test('a usage error exits 2', async () => {
    const r = await rewindProcess(['restore', '--endpoint', endpoint]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('Usage: rewind restore <identifier>');
    const strategy = await rewindProcess([
      'restore',
      'orders-db',
      '--strategy',
      'blue-green',
      '--endpoint',
      endpoint,
    ]);
    expect(strategy.code).toBe(2);
    expect(strategy.err).toContain('rewind: --strategy must be one of in-place, swap, not "blue-green"');
  });

  test('demo: restores the sample instance and cluster in place with the same endpoints and configuration, exit 0', async () => {
    const r = await rewindProcess(['demo', '--json']);
    expect([r.code, r.err]).toEqual([0, '']);
    type Endpoints = {
      identifier: string;
      endpoint: string;
      readerEndpoint: string;
      members: { identifier: string; endpoint: string; writer: boolean }[];
    };
    const doc = json<{
      ok: boolean;
      differences: unknown[];
      sameEndpoint: boolean;
      before: { endpointAddress: string; dbiResourceId: string };
      after: { endpointAddress: string; dbiResourceId: string };
      run: { status: string; steps: { step: string; state: string }[] };
      cluster: {
        ok: boolean;
        differences: unknown[];
        sameEndpoints: boolean;
        endpoints: { before: Endpoints; after: Endpoints };
        before: { identifier: string; dbClusterResourceId: string; members: { identifier: string }[] };
        after: { identifier: string; dbClusterResourceId: string; members: { identifier: string }[] };
        run: { status: string; kind: string; identifier: string; steps: { step: string; state: string }[] };
      };
    }>(r.out);
    expect(doc).toMatchObject({
      ok: true,
      differences: [],
      sameEndpoint: true,
      run: { status: 'completed' },
    });
    expect(doc.after.endpointAddress).toBe(doc.before.endpointAddress);
    expect(doc.after.dbiResourceId).not.toBe(doc.before.dbiResourceId);

    // each step once, even when the outbox published an event twice
    const steps = ['snapshot', 'set-aside', 'restore', 'cleanup'].map((step) => [step, 'done']);
    expect(doc.run.steps.map((s) => [s.step, s.state])).toEqual(steps);

    const cluster = doc.cluster;
    expect(cluster).toMatchObject({
      ok: true,
      differences: [],
      sameEndpoints: true,
      run: { status: 'completed', kind: 'cluster', identifier: 'ledger' },
    });
    // the endpoints as read back from RDS before and after, not the demo's own verdict
    const { before, after } = cluster.endpoints;
    expect(before.members.map((m) => [m.identifier, m.writer])).toEqual([
      ['ledger-1', true],
      ['ledger-2', false],
      ['ledger-3', false],
    ]);
    expect(before.endpoint).toMatch(/^ledger\.cluster-/);
    expect(before.readerEndpoint).toMatch(/^ledger\.cluster-ro-/);
    for (const m of before.members) expect(m.endpoint).toMatch(new RegExp(`^${m.identifier}\\.`));
    expect(after).toEqual(before);
    expect(cluster.after.members.map((m) => m.identifier)).toEqual(['ledger-1', 'ledger-2', 'ledger-3']);
    expect(cluster.after.dbClusterResourceId).not.toBe(cluster.before.dbClusterResourceId);
    expect(cluster.run.steps.map((s) => [s.step, s.state])).toEqual(steps);
  }, 120_000);

  test('demo --skip-cluster: the instance only, no cluster section, and what to do next; exit 0', async () => {
    const r = await rewindProcess(['demo', '--skip-cluster']);
    expect([r.code, r.err]).toEqual([0, '']);
    expect(r.out).toContain('Before and after: instance orders-db');
    expect(r.out).not.toContain('Before and after: cluster');
    expect(r.out).toContain('time scale 0.002: RDS durations x 0.002');
    expect(r.out).toMatch(
      /Demo succeeded in \S+ \(instance ok, cluster skipped\)\.\nStopping the local cloud\. Next:\n/,
    );
    expect(r.out).toMatch(/ {2}npm run demo -- --keep\s+# the same, then the local cloud stays up/);
    expect(r.out).toMatch(/ {2}npx rewind local up\s+# a local cloud of your own/);
  }, 120_000);

  test('demo --keep: the local cloud stays up with the sample and its run for the CLI, until Ctrl-C', async () => {
    const child = spawn(process.execPath, [BIN, 'demo', '--skip-cluster', '--keep', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.resume();
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    try {
      await new Promise<void>((done, fail) => {
        child.on('exit', () => fail(new Error(`demo ended early: ${out}`)));
        child.stdout.on('data', () => out.includes('Ctrl-C to stop.') && done());
      });
      const kept =
        /The local cloud stays up on (http:\/\/127\.0\.0\.1:\d+) with orders-db and the demo's runs/.exec(
          out,
        );
      expect(kept).not.toBeNull();
      const listed = await rewindProcess(['list', '--json', '--endpoint', kept![1]!]);
      const { runs } = json<{ runs: { runId: string; identifier: string; status: string }[] }>(listed.out);
      expect(runs).toEqual([expect.objectContaining({ identifier: 'orders-db', status: 'completed' })]);
      expect(out).toContain(`npx rewind status ${runs[0]!.runId} --endpoint ${kept![1]}`);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(out).toContain('SIGINT: stopping the local cloud.');
  }, 120_000);
});
