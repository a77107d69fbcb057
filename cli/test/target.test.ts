import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { resolveTarget } from '../src/context';
import { CliError } from '../src/errors';
import { json, rewindProcess, startCloud } from './helpers';

let env: Awaited<ReturnType<typeof startCloud>>;
let endpoint: string;
/** An AWS-compatible endpoint that is not Rewind's local cloud (as after `rewind local up --endpoint URL`). */
let other: Server;
let otherEndpoint: string;

beforeAll(async () => {
  env = await startCloud();
  endpoint = env.cloud.endpoint;
  other = createServer((_req, res) => res.writeHead(404).end());
  await new Promise<void>((done) => other.listen(0, '127.0.0.1', done));
  otherEndpoint = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((done) => other?.close(done));
  await env?.stop();
});

/** Runs `fn` with the AWS config file holding `text`, and no region or profile in the environment (the SDK reads process.env). */
async function withConfigFile<T>(text: string, fn: () => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'rewind-cli-'));
  const names = ['AWS_CONFIG_FILE', 'AWS_PROFILE', 'AWS_REGION', 'AWS_DEFAULT_REGION'] as const;
  const saved = names.map((n) => [n, process.env[n]] as const);
  writeFileSync(join(dir, 'config'), text);
  for (const n of names) delete process.env[n];
  process.env.AWS_CONFIG_FILE = join(dir, 'config');
  try {
    return await fn();
  } finally {
    for (const [n, v] of saved) {
      if (v === undefined) delete process.env[n];
      else process.env[n] = v;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('which endpoint and prefix the CLI uses', () => {
  test('AWS_ENDPOINT_URL (what `local up` says to export) is used when --endpoint is not given', async () => {
    const target = await resolveTarget({}, { AWS_ENDPOINT_URL: endpoint });
    expect(target).toMatchObject({ endpoint, local: true });
    expect(target.names.prefix).toBe('rewind-local');
    expect(target.description).toBe(`the local cloud at ${endpoint} (from AWS_ENDPOINT_URL)`);
  });

  test('--endpoint wins over AWS_ENDPOINT_URL', async () => {
    const target = await resolveTarget({ endpoint }, { AWS_ENDPOINT_URL: otherEndpoint });
    expect(target.endpoint).toBe(endpoint);
    expect(target.description).toBe(`the local cloud at ${endpoint}`);
  });

  test('on an endpoint that is not the local cloud the prefix is rewind-local, as `local up --endpoint` provisions', async () => {
    const target = await resolveTarget({ endpoint: otherEndpoint }, {});
    expect(target).toMatchObject({ endpoint: otherEndpoint, local: false });
    expect(target.names.prefix).toBe('rewind-local');
    expect(target.names.busName).toBe('rewind-local');
    // --stage and --prefix still choose
    expect((await resolveTarget({ endpoint: otherEndpoint, stage: 'prod' }, {})).names.prefix).toBe(
      'rewind-prod',
    );
    expect((await resolveTarget({ endpoint: otherEndpoint, prefix: 'mine' }, {})).names.prefix).toBe('mine');
  });

  test('on AWS the prefix is rewind-<stage> (dev by default), and the description says which', async () => {
    const dev = await resolveTarget({ region: 'eu-west-1' }, {});
    expect(dev).toMatchObject({ local: false, region: 'eu-west-1' });
    expect(dev.endpoint).toBeUndefined();
    expect(dev.names.prefix).toBe('rewind-dev');
    expect(dev.description).toBe('AWS (eu-west-1, stage dev)');
    const prod = await resolveTarget({ profile: 'ops', stage: 'prod' }, { AWS_REGION: 'us-west-2' });
    expect(prod.names.busName).toBe('rewind-prod');
    expect(prod.description).toBe('AWS (us-west-2, profile ops, stage prod)');
    // --stage alone names a deployed stage: AWS (region from the environment), never a local cloud
    const staged = await resolveTarget({ stage: 'prod' }, { AWS_REGION: 'eu-central-1' });
    expect(staged).toMatchObject({ local: false, region: 'eu-central-1' });
    expect(staged.endpoint).toBeUndefined();
    const noRegion = await withConfigFile('', () =>
      resolveTarget({ stage: 'prod' }, {}).catch((e: CliError) => e),
    );
    expect((noRegion as CliError).message).toBe('--stage prod asks for AWS, but no AWS region is set');
    expect((noRegion as CliError).hint).toBe(
      'pass --region NAME, set AWS_REGION, or give the profile a region in ~/.aws/config',
    );
  });

  test("with --profile and no region set, the profile's region in the AWS config file is used", async () => {
    const target = await withConfigFile('[profile ops]\nregion = eu-north-1\n', () =>
      resolveTarget({ profile: 'ops', stage: 'prod' }, {}),
    );
    expect(target).toMatchObject({ local: false, region: 'eu-north-1', profile: 'ops' });
    expect(target.description).toBe('AWS (eu-north-1, profile ops, stage prod)');
  });

  test('AWS_ENDPOINT_URL with --profile is ambiguous: a usage error that says how to choose', async () => {
    const err = await resolveTarget({ profile: 'ops' }, { AWS_ENDPOINT_URL: endpoint }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(2);
    expect((err as CliError).message).toBe(
      `AWS_ENDPOINT_URL is set (${endpoint}) and --profile ops asks for AWS: which one is meant?`,
    );
    expect((err as CliError).hint).toContain('unset AWS_ENDPOINT_URL');
  });

  test('a bad AWS_ENDPOINT_URL is named as the source of the problem', async () => {
    const bad = await resolveTarget({}, { AWS_ENDPOINT_URL: 'localhost 4566' }).catch((e: Error) => e);
    expect((bad as CliError).message).toBe('AWS_ENDPOINT_URL "localhost 4566" is not a URL');
    expect((bad as CliError).hint).toBe('pass e.g. AWS_ENDPOINT_URL=http://127.0.0.1:4566');
    const down = await resolveTarget({}, { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' }).catch((e: Error) => e);
    expect((down as CliError).message).toBe(
      'cannot reach http://127.0.0.1:9 (ECONNREFUSED; from AWS_ENDPOINT_URL)',
    );
    expect((down as CliError).hint).toContain('or unset AWS_ENDPOINT_URL to use AWS');
  });

  test('the rewind process honours AWS_ENDPOINT_URL', async () => {
    const r = await rewindProcess(['list', '--json'], { AWS_ENDPOINT_URL: endpoint });
    expect([r.code, r.err]).toEqual([0, '']);
    expect(json<{ table: string }>(r.out).table).toBe('rewind-local-state');
  });
});
