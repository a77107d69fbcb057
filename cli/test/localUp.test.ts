import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';

const BIN = resolve(__dirname, '../bin/rewind.js');

function rewindSync(args: string[]) {
  const out = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

describe('rewind CLI', () => {
  it('prints the commands and exits 2 on an unknown command', () => {
    const out = rewindSync(['nope']);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('Unknown command "nope"');
    expect(out.stderr).toMatch(/local\s+Run the local cloud/);
  });

  it('rejects --endpoint together with --aws', () => {
    const out = rewindSync(['local', 'up', '--endpoint', 'http://127.0.0.1:1', '--aws']);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('--endpoint and --aws exclude each other');
  });

  it('rejects --accounts that are not distinct 12-digit ids, or with --aws', () => {
    const bad = rewindSync(['local', 'up', '--accounts', '111111111111,prod']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      '--accounts takes 12-digit account ids separated by commas (e.g. 111111111111,222222222222), not "prod"',
    );
    const twice = rewindSync(['local', 'up', '--accounts', '111111111111,111111111111']);
    expect(twice.stderr).toContain('--accounts names an account twice');
    const aws = rewindSync(['local', 'up', '--accounts', '111111111111', '--aws']);
    expect(aws.stderr).toContain('--accounts installs Rewind in accounts of the local cloud');
  });

  it('`local up` serves a provisioned endpoint, prints how to use it, and stops cleanly on SIGINT', async () => {
    const child = spawn(process.execPath, [BIN, 'local', 'up', '--port', '0', '--quiet'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.resume();
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    try {
      const endpoint = await new Promise<string>((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`no endpoint line in: ${stdout}`)), 30_000);
        child.stdout.on('data', () => {
          const m = /Rewind local cloud on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
          if (m?.[1] && stdout.includes('Ctrl-C to stop.')) {
            clearTimeout(timer);
            done(m[1]);
          }
        });
      });
      expect(stdout).toContain(`aws --endpoint-url ${endpoint}`);
      expect(stdout).toContain('AWS_ACCESS_KEY_ID=test');
      const sqs = new SQSClient({
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      });
      const { QueueUrls } = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'rewind-local-' }));
      sqs.destroy();
      expect(QueueUrls).toContain(`${endpoint}/000000000000/rewind-local-restore-inbox`);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(stdout).toContain('SIGINT: stopping');
  });
});
