import { resourceNames } from '@rewind/shared/src/resourceNames';
import { SERVICE_NAMES } from '@rewind/shared/src/topology';
import { localRoles, roleCredentials } from '../../src/iam/roles';

const identity = { accountId: '000000000000', region: 'us-east-1' };
const { roles, rdsEventsTopicPolicy } = localRoles(resourceNames('rewind-local'), identity, {
  senderEmail: 'rewind@example.com',
});

describe('the local roles come from the deployment generators', () => {
  test('one role per service, the SNS adapter and the schedules, each with distinct credentials', () => {
    expect(roles.map((r) => r.name)).toEqual([
      ...SERVICE_NAMES.map((s) => `rewind-local-${s}`),
      'rewind-local-rds-sns-adapter',
      'rewind-local-scheduler',
    ]);
    // The schedules' role may put scheduled requests on the bus, with their source only.
    expect(roles.at(-1)!.policies[0]!.Statement).toContainEqual({
      Effect: 'Allow',
      Action: ['events:PutEvents'],
      Resource: 'arn:aws:events:us-east-1:000000000000:event-bus/rewind-local',
      Condition: { StringEquals: { 'events:source': ['rewind.scheduler'] } },
    });
    expect(new Set(roles.map((r) => r.credentials.accessKeyId)).size).toBe(roles.length);
    expect(roles[0]!.credentials).toEqual(roleCredentials('rewind-local-snapshot'));
    expect(roles.find((r) => r.name === 'rewind-local-restore')!.functionName).toBe(
      'rewind-local-restore-worker',
    );
  });

  test('every intrinsic and parameter is resolved with the local names, account and region', () => {
    for (const document of [...roles.flatMap((r) => r.policies), rdsEventsTopicPolicy]) {
      const text = JSON.stringify(document);
      expect(text).not.toMatch(/\$\{|Fn::|"Ref"/);
      for (const arn of text.match(/arn:aws:[a-z0-9-]+:[^"]*/g) ?? []) {
        expect(arn).toMatch(
          // The failover service's grants name every region (`*`), and a global database has no region.
          /^arn:aws:(iam::000000000000|sts::000000000000|[a-z0-9-]+:(us-east-1|\*|):000000000000):/,
        );
      }
    }
    const restore = JSON.stringify(roles.find((r) => r.name === 'rewind-local-restore')!.policies);
    expect(restore).toContain('"Resource":"arn:aws:events:us-east-1:000000000000:event-bus/rewind-local"');
    expect(restore).toContain(
      'arn:aws:dynamodb:us-east-1:000000000000:table/rewind-local-state/index/by-status',
    );
    expect(restore).toContain('"kms:ViaService":"rds.us-east-1.amazonaws.com"');
    // The VPC statement is conditional on subnets, which the local cloud has none of.
    expect(restore).not.toContain('ec2:CreateNetworkInterface');
  });
});
