/* eslint-disable @typescript-eslint/no-explicit-any -- generated CloudFormation is untyped JSON */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodePoliciesEnv,
  readPolicyFile,
  replicationPolicySchema,
  type ReplicationPolicyInput,
} from '@rewind/shared';
import { serviceStack } from '../serviceStack';
import { sharedStack } from '../sharedStack';
import { DEPLOY_DOC, generatedDeployDoc } from '../replicationDocs';
import { replicationKeyRequirements } from '../replicationKeys';
import { buildSettings, type BuildSettings } from '../settings';

/**
 * The replication stack of each side of the example policy (`rewind.config.example.json`:
 * 123456789012 -> 210987654321 in place, 345678901234 versioned with a secret), generated without
 * packaging (the source account's packaged stack is checked in package.test.ts), and the KMS key policy
 * statements docs/deploy.md and `rewind replication key-policy` show.
 */
const EXAMPLE = join(__dirname, '..', '..', 'rewind.config.example.json');
const SOURCE = '123456789012';
const IN_PLACE = '210987654321';
const VERSIONED = '345678901234';
const SOURCE_KEY = 'arn:aws:kms:us-east-1:123456789012:key/6f1c2b8e-0a4d-4c1e-9a53-2d7e3f0b9c41';

const settingsFor = (account?: string): BuildSettings =>
  buildSettings({ REWIND_CONFIG_FILE: EXAMPLE, ...(account ? { REWIND_ACCOUNT_ID: account } : {}) });
const workerStatements = (account: string): any[] =>
  (
    serviceStack('replication', { settings: settingsFor(account) }).resources.Resources.WorkerRole!
      .Properties as any
  ).Policies[0].PolicyDocument.Statement;
const bySid = (statements: any[], sid: string) => statements.find((s) => s.Sid === sid);

describe('the replication stack of a destination account', () => {
  it('forwards its answers back to the source account bus, dead-lettering refusals into its inbox', () => {
    const stack = serviceStack('replication', { settings: settingsFor(VERSIONED) });
    const rules = Object.values(stack.resources.Resources).filter(
      (r: any) => r.Type === 'AWS::Events::Rule' && r.Properties.Targets[0].Id === 'peer-bus',
    ) as any[];
    expect(rules.map((r) => r.Properties.Name)).toEqual([
      'rewind-${sls:stage}-replication-replication-answers-to-123456789012',
    ]);
    const rule = rules[0].Properties;
    expect(rule.EventPattern['detail-type']).toEqual([
      'ReplicationReceived',
      'ReplicationCompleted',
      'ReplicationFailed',
    ]);
    expect(rule.EventPattern.detail).toEqual({ sourceAccount: [SOURCE] });
    expect(rule.Targets[0].DeadLetterConfig.Arn).toEqual({ 'Fn::GetAtt': ['Inbox', 'Arn'] });
  });

  it('admits only SnapshotShared from the source account on its bus, and fires no schedule for the policy', () => {
    const shared = sharedStack({ settings: settingsFor(IN_PLACE) }).resources.Resources as Record<
      string,
      any
    >;
    const admitted = Object.entries(shared).filter(([id]) => id.startsWith('ReplicationBusPolicy'));
    expect(admitted.map(([id, p]) => [id, p.Properties.Statement.Condition])).toEqual([
      [
        `ReplicationBusPolicy${SOURCE}`,
        { StringEquals: { 'events:source': 'rewind', 'events:detail-type': ['SnapshotShared'] } },
      ],
    ]);
    const schedules = Object.values(shared)
      .filter((r) => r.Type === 'AWS::Scheduler::Schedule')
      .map((r) => r.Properties.Name);
    expect(schedules).not.toContain('replicate-orders-to-staging');
    expect(schedules).toContain('refresh-staging');
  });

  it("copies only the source's rewind-repl-<policy>-* snapshots, with the source key through RDS", () => {
    const statements = workerStatements(IN_PLACE);
    expect(bySid(statements, 'RdsSharedSnapshots')).toEqual({
      Sid: 'RdsSharedSnapshots',
      Effect: 'Allow',
      Action: ['rds:CopyDBSnapshot', 'rds:DescribeDBSnapshots'],
      Resource: ['arn:aws:rds:us-east-1:123456789012:snapshot:rewind-repl-orders-to-staging-*'],
    });
    const via = { 'kms:ViaService': ['rds.us-east-1.amazonaws.com'] };
    expect(bySid(statements, 'SourceKeyUseOrdersToStaging')).toMatchObject({
      Resource: [SOURCE_KEY],
      Condition: { StringEquals: via },
    });
    expect(bySid(statements, 'SourceKeyGrantsOrdersToStaging')).toMatchObject({
      Action: ['kms:CreateGrant'],
      Resource: [SOURCE_KEY],
      Condition: { StringEquals: via, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    });
    // Its own key: the in-place destination's, nothing else of its account.
    expect(bySid(statements, 'KmsOwnKeysViaRds').Resource).toEqual([
      'arn:aws:kms:us-east-1:210987654321:key/0b7d5e2a-93c4-4f6b-8e1d-5a2c7f9e4b10',
    ]);
    // An in-place destination has no secret; a destination reads no key of its own account directly.
    expect(bySid(statements, 'EndpointSecrets')).toBeUndefined();
    expect(bySid(statements, 'KmsDescribeSourceKeys')).toBeUndefined();
  });

  it('reads and writes only the secret of its versioned destination', () => {
    expect(bySid(workerStatements(VERSIONED), 'EndpointSecrets')).toEqual({
      Sid: 'EndpointSecrets',
      Effect: 'Allow',
      Action: [
        'secretsmanager:CreateSecret',
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'secretsmanager:PutSecretValue',
      ],
      Resource: ['arn:aws:secretsmanager:us-east-1:345678901234:secret:analytics/orders-db-??????'],
    });
  });

  it('in an account no policy names: no policy, no forwarding rule, no peer, no KMS', () => {
    const stack = serviceStack('replication', { settings: settingsFor('999999999999') });
    const env = (Object.values(stack.functions)[0]!.environment as Record<string, unknown>)[
      'REWIND_REPLICATION_POLICIES'
    ];
    expect(env).toBe('[]');
    const types = Object.values(stack.resources.Resources).map((r) => r.Type);
    expect(types.filter((t) => t === 'AWS::Events::Rule')).toHaveLength(4); // the topology's own
    const actions = workerStatements('999999999999').flatMap((s) => s.Action ?? s['Fn::If']?.[1].Action);
    expect(actions.filter((a: string) => /^(kms|secretsmanager):/.test(a))).toEqual([]);
  });
});

test('the replication deadlines are deployment parameters (ack 15 min, copy 48 h by default)', () => {
  const stack = serviceStack('replication', { settings: settingsFor(SOURCE) });
  const env = Object.values(stack.functions)[0]!.environment as Record<string, unknown>;
  expect([env.REWIND_DEADLINE_ACK_SECONDS, env.REWIND_DEADLINE_COPY_SECONDS]).toEqual([
    '${param:deadlineAckSeconds}',
    '${param:deadlineCopySeconds}',
  ]);
  expect([stack.params.default.deadlineAckSeconds, stack.params.default.deadlineCopySeconds]).toEqual([
    String(15 * 60),
    String(48 * 3600),
  ]);
  const restore = Object.values(serviceStack('restore', { settings: settingsFor(SOURCE) }).functions)[0]!;
  expect(restore.environment).not.toHaveProperty('REWIND_DEADLINE_COPY_SECONDS');
});

describe('generation refuses what would fail in AWS, with the fix', () => {
  it('refuses a policy file with replication policies when the account deployed to is not given', () => {
    expect(() => serviceStack('replication', { settings: settingsFor() })).toThrow(
      /REWIND_ACCOUNT_ID is not set: the policy file .* has replication policies.*aws sts get-caller-identity/,
    );
    expect(() => sharedStack({ settings: { ...settingsFor(), accountId: '12345' } })).toThrow(
      /REWIND_ACCOUNT_ID is "12345", not a 12-digit account id/,
    );
  });

  it("gzips the policies when plain JSON would pass Lambda's 4 KB environment, and refuses what even gzipped does not fit", () => {
    const example = readPolicyFile(EXAMPLE).replication[0]!;
    const many = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        replicationPolicySchema.parse({
          ...(example as ReplicationPolicyInput),
          name: `orders-${i}`,
          source: { ...example.source, identifier: `orders-db-${i}` },
        }),
      );
    const policiesOf = (n: number) => {
      const stack = serviceStack('replication', {
        settings: { ...settingsFor(SOURCE), replication: many(n) },
      });
      const env = Object.values(stack.functions)[0]!.environment as Record<string, string>;
      return env.REWIND_REPLICATION_POLICIES!;
    };
    // Two fit as plain JSON, readable in the Lambda console.
    expect(decodePoliciesEnv(policiesOf(2))).toEqual(many(2));
    expect(policiesOf(2).startsWith('[')).toBe(true);
    // Twelve (about 7 KB of JSON) go gzipped, and read back the same.
    const twelve = policiesOf(12);
    expect(twelve.startsWith('gz:')).toBe(true);
    expect(Buffer.byteLength(twelve)).toBeLessThan(Buffer.byteLength(JSON.stringify(many(12))) / 3);
    expect(decodePoliciesEnv(twelve)).toEqual(many(12));
    expect(() => policiesOf(200)).toThrow(
      /The replication policies take \d+ bytes as REWIND_REPLICATION_POLICIES, gzipped: .* over Lambda's 4096-byte environment limit/,
    );
  });
});

describe('the KMS key policies a replication policy needs (generated)', () => {
  const policy = () => readPolicyFile(EXAMPLE).replication[0]!;

  it('lets every destination account use the source key for copies, grants for AWS resources only', () => {
    const req = replicationKeyRequirements(policy(), 'rewind-prod');
    const source = req.keys.find((k) => k.side === 'source')!;
    expect(source.key).toBe(SOURCE_KEY);
    const principals = [
      'arn:aws:iam::123456789012:role/rewind-prod-replication',
      'arn:aws:iam::210987654321:root',
      'arn:aws:iam::345678901234:root',
    ];
    expect(source.statements).toEqual([
      {
        Sid: 'RewindReplicationUseOrdersToStaging',
        Effect: 'Allow',
        Principal: { AWS: principals },
        Action: [
          'kms:Decrypt',
          'kms:DescribeKey',
          'kms:Encrypt',
          'kms:GenerateDataKey',
          'kms:GenerateDataKeyWithoutPlaintext',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
        ],
        Resource: '*',
      },
      {
        Sid: 'RewindReplicationGrantsOrdersToStaging',
        Effect: 'Allow',
        Principal: { AWS: principals },
        Action: ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'],
        Resource: '*',
        Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      },
    ]);
    expect(req.notes).toEqual([]);
  });

  it("lets each destination's replication role use its own key, and names the IAM it needs on the source key", () => {
    const req = replicationKeyRequirements(policy(), 'rewind-prod');
    const destinations = req.keys.filter((k) => k.side === 'destination');
    expect(destinations.map((k) => [k.account, k.statements[0]!.Principal.AWS])).toEqual([
      [IN_PLACE, ['arn:aws:iam::210987654321:role/rewind-prod-replication']],
      [VERSIONED, ['arn:aws:iam::345678901234:role/rewind-prod-replication']],
    ]);
    expect(req.destinationIam.map((d) => [d.account, d.statements.map((s) => s.Resource)])).toEqual([
      [IN_PLACE, [[SOURCE_KEY], [SOURCE_KEY]]],
      [VERSIONED, [[SOURCE_KEY], [SOURCE_KEY]]],
    ]);
  });

  it('without a source key: the fix (aws/rds cannot be shared), and destinations may use any key of the source account', () => {
    const { kmsKeyId: _, ...source } = policy().source;
    const req = replicationKeyRequirements({ ...policy(), source }, 'rewind-prod');
    expect(req.keys.map((k) => k.side)).toEqual(['destination', 'destination']);
    expect(req.notes[0]).toMatch(/No source.kmsKeyId: .*aws\/rds key cannot be shared.*set source.kmsKeyId/);
    expect(req.destinationIam[0]!.statements[0]!.Resource).toEqual([
      'arn:aws:kms:us-east-1:123456789012:key/*',
    ]);
  });
});

describe('docs/deploy.md', () => {
  it('shows the key and bus policies generated from the example (npm run docs:generate)', () => {
    const current = readFileSync(DEPLOY_DOC, 'utf8');
    expect(current).toContain('"Sid": "RewindReplicationUseOrdersToStaging"');
    expect(current === generatedDeployDoc()).toBe(true);
  });
});
