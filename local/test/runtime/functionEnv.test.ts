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
});
