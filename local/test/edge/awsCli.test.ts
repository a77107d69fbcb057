import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { spawnLocalCloud, type LocalCloud } from '../../src';

const run = promisify(execFile);
/** `AWS_CLI` picks another binary, e.g. /usr/bin/aws (Debian's 2.9, SQS query protocol). */
const AWS = process.env.AWS_CLI ?? 'aws';
const hasAwsCli = spawnSync(AWS, ['--version'], { encoding: 'utf8' }).status === 0;

/** Runs only where the AWS CLI is installed (CI installs it). */
(hasAwsCli ? describe : describe.skip)('the AWS CLI against the edge', () => {
  let cloud: LocalCloud;
  let env: NodeJS.ProcessEnv;
  const aws = async (...args: string[]) => {
    const { stdout } = await run(AWS, ['--endpoint-url', cloud.endpoint, '--output', 'json', ...args], {
      env,
    });
    return JSON.parse(stdout || '{}') as Record<string, unknown>;
  };

  beforeAll(async () => {
    cloud = await spawnLocalCloud({ functions: false });
    env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_PAGER: '',
    };
    delete env.AWS_PROFILE;
  });
  afterAll(() => cloud?.stop());

  it('events put-events routes to the notify inbox; sqs receive-message reads it', async () => {
    const put = await aws(
      'events',
      'put-events',
      '--entries',
      JSON.stringify([
        {
          EventBusName: 'rewind-local',
          Source: 'rewind',
          DetailType: 'RunFailed',
          Detail: '{"run":{"id":"cli-1"}}',
        },
      ]),
    );
    expect(put.FailedEntryCount).toBe(0);
    const received = await aws(
      'sqs',
      'receive-message',
      '--queue-url',
      `${cloud.endpoint}/000000000000/rewind-local-notify-inbox`,
      '--wait-time-seconds',
      '5',
    );
    const messages = received.Messages as { Body: string }[];
    expect(JSON.parse(messages[0]?.Body ?? '{}')).toMatchObject({
      source: 'rewind',
      'detail-type': 'RunFailed',
      detail: { run: { id: 'cli-1' } },
    });
  });

  it('dynamodb scan reads the state table', async () => {
    await aws(
      'dynamodb',
      'put-item',
      '--table-name',
      'rewind-local-state',
      '--item',
      '{"pk":{"S":"RUN#cli-1"},"sk":{"S":"RUN"}}',
    );
    const scan = await aws('dynamodb', 'scan', '--table-name', 'rewind-local-state');
    expect(scan.Count).toBe(1);
    expect(scan.Items).toEqual([{ pk: { S: 'RUN#cli-1' }, sk: { S: 'RUN' } }]);
  });
});
