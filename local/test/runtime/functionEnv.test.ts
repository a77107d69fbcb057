import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { runWithFunctionEnv } from '../../src/runtime/functionEnv';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('function environments', () => {
  test('each invocation sees its own credentials, across awaits, and the process its own outside', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'admin';
    const seen = async (env: Record<string, string>) =>
      runWithFunctionEnv(env, async () => {
        const before = process.env.AWS_ACCESS_KEY_ID;
        await tick();
        return [before, process.env.AWS_ACCESS_KEY_ID, 'AWS_ACCESS_KEY_ID' in process.env];
      });
    const [a, b] = await Promise.all([
      seen({ AWS_ACCESS_KEY_ID: 'ASIAROLEA' }),
      seen({ AWS_ACCESS_KEY_ID: 'ASIAROLEB' }),
    ]);
    expect(a).toEqual(['ASIAROLEA', 'ASIAROLEA', true]);
    expect(b).toEqual(['ASIAROLEB', 'ASIAROLEB', true]);
    expect(process.env.AWS_ACCESS_KEY_ID).toBe('admin');
    // Without an environment of its own, a function sees the process's.
    expect(runWithFunctionEnv(undefined, () => process.env.AWS_ACCESS_KEY_ID)).toBe('admin');
  });

  test('the process still replaces its own variables once a function has run (the CLI beside an in-process cloud)', () => {
    // In a real process: jest gives tests a plain copy of process.env, which would not show the refusal.
    const script = `
      const { runWithFunctionEnv } = require(${JSON.stringify(resolve(__dirname, '../../src/runtime/functionEnv'))});
      runWithFunctionEnv({ AWS_ACCESS_KEY_ID: 'ASIAROLE' }, () => undefined);
      process.env.REWIND_ENV_TEST = 'first';
      process.env.REWIND_ENV_TEST = 'second';
      process.stdout.write(process.env.REWIND_ENV_TEST);`;
    const out = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' });
    expect(out.stderr).toBe('');
    expect(out.stdout).toBe('second');
  });
});
