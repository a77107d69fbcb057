import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJsonEnv, ENV } from '@rewind/shared';
import { deploymentPlans } from '../../services/failover/src/intake';
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

test("plans too large for Lambda's 4 KB environment as JSON go gzipped, and the failover service reads them", () => {
  // Twenty plans of one resource each: about 5 KB of JSON.
  const plans = Object.fromEntries(
    Array.from({ length: 20 }, (_, i) => [
      `to-west-${i}`,
      {
        layers: [
          {
            resources: [
              {
                ...plan.layers[0]!.resources[0]!,
                globalClusterId: `orders-${i}`,
                targetClusterId: `orders-west-${i}`,
              },
            ],
          },
        ],
      },
    ]),
  );
  const settings = buildSettings({
    REWIND_CONFIG_FILE: configFile({ drPlans: { failover: 'to-west-0', plans } }),
  });
  const env = Object.values(serviceStack('failover', { settings }).functions)[0]!.environment as Record<
    string,
    string
  >;
  const value = env[ENV.drPlans]!;
  expect(value.startsWith('gz:')).toBe(true);
  expect(JSON.stringify(decodeJsonEnv(ENV.drPlans, value))).toBe(JSON.stringify(settings.drPlans));
  expect(Object.keys(deploymentPlans({ [ENV.drPlans]: value }).plans)).toHaveLength(20);
  expect(() => deploymentPlans({ [ENV.drPlans]: 'gz:broken' })).toThrow(
    /REWIND_DR_PLANS is neither JSON nor gz:<base64 of gzipped JSON> .*redeploy/,
  );
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
