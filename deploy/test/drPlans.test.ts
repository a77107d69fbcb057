import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENV } from '@rewind/shared';
import { serviceStack } from '../serviceStack';
import { buildSettings } from '../settings';

/** The configuration file's DR plans reach the failover stack validated, or stop the generation. */
function configFile(content: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'rewind-config-')), 'rewind.json');
  writeFileSync(file, JSON.stringify(content));
  return file;
}

const plan = {
  layers: [
    {
      resources: [
        {
          type: 'aurora-global',
          globalClusterId: 'orders',
          targetClusterId: 'orders-west',
          targetRegion: 'us-west-2',
        },
      ],
    },
  ],
};

test('the failover function gets the plans of REWIND_CONFIG_FILE; the other services do not', () => {
  const settings = buildSettings({
    REWIND_CONFIG_FILE: configFile({ drPlans: { failover: 'to-west', plans: { 'to-west': plan } } }),
  });
  const env = (service: 'failover' | 'restore') =>
    Object.values(serviceStack(service, { settings }).functions)[0]!.environment as Record<string, unknown>;
  expect(JSON.parse(env('failover')[ENV.drPlans] as string)).toEqual({
    failover: 'to-west',
    plans: { 'to-west': plan },
  });
  expect(env('failover')[ENV.deadlineFailoverSeconds]).toBe('${param:deadlineFailoverSeconds}');
  expect(env('restore')[ENV.drPlans]).toBeUndefined();
});

test('a configuration file with a mistake in its plans stops the generation, naming every problem', () => {
  const file = configFile({
    drPlans: {
      plans: {
        'to-west': { layers: [{ resources: [{ ...plan.layers[0]!.resources[0]!, targetRegion: 'west' }] }] },
      },
    },
  });
  expect(() => buildSettings({ REWIND_CONFIG_FILE: file })).toThrow(
    `${file}: drPlans: plan "to-west", layer 1, aurora-global orders: targetRegion: targetRegion must be a region name such as us-west-2; name the region the resource moves to`,
  );
  expect(() => buildSettings({ REWIND_CONFIG_FILE: join(tmpdir(), 'no-such-rewind.json') })).toThrow(
    /no-such-rewind\.json: cannot read the file .*check the path/,
  );
});
