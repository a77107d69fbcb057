/* eslint-disable @typescript-eslint/no-explicit-any -- CloudFormation templates read back from disk are untyped JSON */
import { join } from 'node:path';
import {
  decodePoliciesEnv,
  ENV,
  readPolicyFile,
  ReplicationRequested,
  replicationForwardingRules,
  RestoreRequested,
  resourceNames,
  SnapshotPolicyFired,
  serviceSpec,
  SERVICE_NAMES,
  topology,
} from '@rewind/shared';
import { DR_ACTIONS } from '../drIam';
import { RDS_ACTION_SCOPES } from '../rdsIam';
import { STATE_TABLE_ACTIONS } from '../serviceStack';
import {
  ACCOUNT,
  packageAll,
  PREFIX,
  resourcesOfType,
  ROOT,
  SCHEDULES_FILE,
  type Packaged,
  type Template,
} from './packaging';
import { captureLocalProvisioning, type LocalProvisioning } from './localProvisioning';
import { dynamoActionsCalled, rdsActionsCalled, reachableFiles, sourceFiles } from './sourceCalls';

const names = resourceNames(PREFIX);
let packaged: Packaged;

beforeAll(async () => {
  packaged = await packageAll();
  const rows = packaged.bundles.map(
    (b) => `  ${b.stack.padEnd(9)} ${b.file.padEnd(20)} ${(b.bytes / 1024).toFixed(1)} KiB`,
  );
  console.log(
    `serverless package (compose, ${Object.keys(packaged.templates).length} stacks): ${packaged.seconds.toFixed(1)} s\n${rows.join('\n')}`,
  );
}, 180_000);

const stacks = () => Object.entries(packaged.templates) as [string, Template][];

/** CloudFormation ARN expressions as text, so they can be compared (`{Ref}` and `{GetAtt}` placeholders). */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, any>;
  if (v?.['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map(text).join(v['Fn::Join'][0]);
  if (v?.Ref)
    return (
      { 'AWS::Partition': 'aws', 'AWS::Region': 'us-east-1', 'AWS::AccountId': '123456789012' }[
        v.Ref as string
      ] ?? `{${v.Ref}}`
    );
  if (v?.['Fn::GetAtt']) return `{${v['Fn::GetAtt'].join('.')}}`;
  return JSON.stringify(value);
}

interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** Every statement of every role in a template (the true branch of conditional statements included). */
function statements(template: Template): { role: string; statement: Statement }[] {
  return resourcesOfType(template, 'AWS::IAM::Role').flatMap(([role, r]) =>
    (r.Properties.Policies ?? []).flatMap((p: any) =>
      (p.PolicyDocument.Statement as any[]).map((s) => ({
        role,
        statement: s['Fn::If'] ? s['Fn::If'][1] : s,
      })),
    ),
  );
}
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).map(text);

describe('serverless package of the compose project', () => {
  it('bundles every function for nodejs24.x with the handler of the topology', () => {
    const functions = stacks().flatMap(([stack, t]) =>
      resourcesOfType(t, 'AWS::Lambda::Function').map(([, f]) => ({ stack, props: f.Properties })),
    );
    expect(functions.length).toBe(SERVICE_NAMES.length + 1);
    for (const f of functions) expect(f.props.Runtime).toBe('nodejs24.x');
    for (const name of SERVICE_NAMES) {
      const [fn] = resourcesOfType(packaged.templates[name], 'AWS::Lambda::Function');
      const spec = serviceSpec(name).function;
      expect(`services/${name}/${fn![1].Properties.Handler}`).toBe(spec.handler);
      expect(fn![1].Properties.FunctionName).toBe(names.functionName(name, spec.name));
      expect(fn![1].Properties.Timeout).toBe(spec.timeoutSeconds);
    }
    for (const b of packaged.bundles) {
      expect(b.bytes).toBeGreaterThan(1000);
      expect(b.bytes).toBeLessThan(50 * 1024 * 1024); // Lambda's limit for a zip upload
    }
  });

  it('gives every queue a DLQ or an alarm: inboxes redrive (>= 5 receives) to an alarmed DLQ', () => {
    for (const [stack, t] of stacks()) {
      const alarmed = new Set(
        resourcesOfType(t, 'AWS::CloudWatch::Alarm').flatMap(([, a]) =>
          (a.Properties.Dimensions as any[]).map((d) => d.Value['Fn::GetAtt'][0] as string),
        ),
      );
      const alarmsHaveTopic = resourcesOfType(t, 'AWS::CloudWatch::Alarm').every(
        ([, a]) => a.Properties.AlarmActions.length === 1 && a.Properties.Threshold === 0,
      );
      expect(alarmsHaveTopic).toBe(true);
      for (const [id, q] of resourcesOfType(t, 'AWS::SQS::Queue')) {
        const redrive = q.Properties.RedrivePolicy;
        if (redrive) {
          expect(redrive.maxReceiveCount).toBeGreaterThanOrEqual(5);
          expect(alarmed).toContain(redrive.deadLetterTargetArn['Fn::GetAtt'][0]);
        } else {
          expect([stack, id, alarmed.has(id)]).toEqual([stack, id, true]);
        }
      }
    }
  });

  it('consumes each inbox with ReportBatchItemFailures, batch size and concurrency of the topology', () => {
    for (const name of SERVICE_NAMES) {
      const t = packaged.templates[name];
      const spec = serviceSpec(name);
      const mappings = resourcesOfType(t, 'AWS::Lambda::EventSourceMapping');
      expect(mappings).toHaveLength(1);
      const m = mappings[0]![1].Properties;
      expect(m.EventSourceArn).toEqual({ 'Fn::GetAtt': ['Inbox', 'Arn'] });
      expect(m.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      expect(m.BatchSize).toBe(spec.function.batchSize);
      expect(m.ScalingConfig).toEqual({ MaximumConcurrency: spec.function.maxConcurrency });
      const inbox = t.Resources.Inbox!.Properties;
      expect(inbox.QueueName).toBe(names.inboxQueue(name));
      expect(inbox.VisibilityTimeout).toBeGreaterThanOrEqual(6 * spec.function.timeoutSeconds);
    }
  });

  it('gives every rule target and schedule target a retry policy and a DLQ that lets it send', () => {
    let targets = 0;
    for (const [, t] of stacks()) {
      const policies = resourcesOfType(t, 'AWS::SQS::QueuePolicy').flatMap(
        ([, p]) => p.Properties.PolicyDocument.Statement,
      );
      for (const [ruleId, rule] of resourcesOfType(t, 'AWS::Events::Rule')) {
        for (const target of rule.Properties.Targets) {
          targets++;
          expect(target.RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
          expect(target.RetryPolicy.MaximumEventAgeInSeconds).toBeGreaterThan(0);
          const dlq = target.DeadLetterConfig.Arn['Fn::GetAtt'][0];
          const allowed = policies.some(
            (s: any) =>
              s.Resource['Fn::GetAtt'][0] === dlq &&
              s.Principal.Service === 'events.amazonaws.com' &&
              s.Condition.ArnEquals['aws:SourceArn'].some((a: any) => a['Fn::GetAtt'][0] === ruleId),
          );
          expect([ruleId, dlq, allowed]).toEqual([ruleId, dlq, true]);
        }
      }
      for (const [, schedule] of resourcesOfType(t, 'AWS::Scheduler::Schedule')) {
        targets++;
        expect(schedule.Properties.Target.RetryPolicy).toBeDefined();
        expect(schedule.Properties.Target.DeadLetterConfig.Arn).toBeDefined();
      }
    }
    expect(targets).toBeGreaterThanOrEqual(topology.services.flatMap((s) => s.rules).length + 1);
  });

  it('creates exactly the rules of the topology, each with its pattern, targeting the inbox', () => {
    for (const name of SERVICE_NAMES) {
      // Replication's bus-to-bus rules to peer accounts are checked below.
      const rules = resourcesOfType(packaged.templates[name], 'AWS::Events::Rule')
        .map(([, r]) => r.Properties)
        .filter((r) => r.Targets[0].Id !== 'peer-bus');
      const expected = serviceSpec(name).rules;
      expect(rules.map((r) => r.Name).sort()).toEqual(expected.map((r) => names.rule(name, r.name)).sort());
      for (const rule of expected) {
        const deployed = rules.find((r) => r.Name === names.rule(name, rule.name));
        expect(deployed.EventPattern).toEqual(rule.pattern);
        expect(deployed.EventBusName).toBe(names.busName);
        expect(deployed.Targets.map((x: any) => x.Arn)).toEqual([{ 'Fn::GetAtt': ['Inbox', 'Arn'] }]);
      }
    }
  });

  it('forwards the RDS events of the topology from the default bus to the Rewind bus', () => {
    const shared = packaged.templates.shared;
    const [, rule] = resourcesOfType(shared, 'AWS::Events::Rule').find(
      ([, r]) => r.Properties.Name === names.forwardingRule,
    )!;
    expect(rule.Properties.EventBusName ?? 'default').toBe('default');
    expect(rule.Properties.EventPattern).toEqual(topology.rdsForwarding.pattern);
    expect(rule.Properties.Targets[0].Arn).toEqual({ 'Fn::GetAtt': ['EventBus', 'Arn'] });
    expect(rule.Properties.Targets[0].RoleArn).toEqual({ 'Fn::GetAtt': ['ForwardingRole', 'Arn'] });
  });

  it('in a DR pair, forwards the RDS events of its own region to the peer region bus (bus to bus), and admits the peer', () => {
    const r = packaged.templates.shared.Resources;
    expect(packaged.templates.shared.Conditions.HasDrPeer).toBeDefined();
    for (const id of ['DrPeerRole', 'DrPeerRule', 'DrPeerDlq', 'DrPeerDlqPolicy', 'DrPeerBusPolicy']) {
      expect([id, r[id]!.Condition]).toEqual([id, 'HasDrPeer']);
    }
    const rule = r.DrPeerRule!.Properties;
    expect(rule.EventBusName).toEqual({ Ref: 'EventBus' });
    // Only events of this region: a forwarded event never travels back.
    expect(rule.EventPattern.region).toEqual([{ Ref: 'AWS::Region' }]);
    expect(rule.EventPattern['detail-type']).toEqual(['RDS DB Cluster Event', 'RDS DB Instance Event']);
    const [target] = rule.Targets;
    // The peer region is the drPeerRegion parameter (empty by default: no peer).
    expect(text(target.Arn)).toBe(`arn:aws:events::123456789012:event-bus/${names.busName}`);
    expect(target.RoleArn).toEqual({ 'Fn::GetAtt': ['DrPeerRole', 'Arn'] });
    expect(target.DeadLetterConfig.Arn).toEqual({ 'Fn::GetAtt': ['DrPeerDlq', 'Arn'] });
    const put = r.DrPeerRole!.Properties.Policies[0].PolicyDocument.Statement[0];
    expect([put.Action, text(put.Resource)]).toEqual([['events:PutEvents'], text(target.Arn)]);
    const admit = r.DrPeerBusPolicy!.Properties.Statement;
    expect([admit.Action, text(admit.Principal.AWS)]).toEqual([
      'events:PutEvents',
      'arn:aws:iam::123456789012:root',
    ]);
  });

  it('builds the state table and the bus archive of the shared stack', () => {
    const shared = packaged.templates.shared.Resources;
    const table = shared.StateTable!.Properties;
    expect(table.TableName).toBe(names.tableName);
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(table.GlobalSecondaryIndexes.map((i: any) => i.IndexName)).toEqual([names.statusIndexName]);
    expect(shared.EventArchive!.Properties.ArchiveName).toBe(names.archiveName);
    expect(shared.EventArchive!.Properties.RetentionDays).toBe('30');
  });

  it('puts scheduled RestoreRequested and snapshot policy firings on the bus, from the policy file', () => {
    const schedules = resourcesOfType(packaged.templates.shared, 'AWS::Scheduler::Schedule').map(
      ([, s]) => s.Properties,
    );
    expect(schedules.map((s) => s.Name).sort()).toEqual([
      'nightly-snapshot',
      'prune-aurora-nightly',
      'refresh-staging',
      // This account is the replication policy's source: it fires it.
      'replicate-orders-to-staging',
      'snapshot-aurora-nightly',
      'snapshot-orders-twice-daily',
    ]);
    const contracts = { RestoreRequested, SnapshotPolicyFired, ReplicationRequested } as const;
    for (const s of schedules) {
      expect(s.Target.Arn).toEqual({ 'Fn::GetAtt': ['EventBus', 'Arn'] });
      const type = s.Target.EventBridgeParameters.DetailType as keyof typeof contracts;
      expect([s.Name, type]).toEqual([
        s.Name,
        s.Name.match(/^(snapshot|prune)-/)
          ? 'SnapshotPolicyFired'
          : s.Name.startsWith('replicate-')
            ? 'ReplicationRequested'
            : 'RestoreRequested',
      ]);
      const input = JSON.parse(
        s.Target.Input.replace('<aws.scheduler.scheduled-time>', '2025-01-01T03:00:00Z'),
      );
      expect(contracts[type].safeParse(input).success).toBe(true);
    }
    const twiceDaily = schedules.find((s) => s.Name === 'snapshot-orders-twice-daily')!;
    expect(twiceDaily.ScheduleExpression).toBe('cron(0 0/12 * * ? *)');
    expect(JSON.parse(twiceDaily.Target.Input).policy.copies[0].region).toBe('us-west-2');
  });

  it('sets every environment variable a service reads from ENV', () => {
    for (const name of SERVICE_NAMES) {
      const [, fn] = resourcesOfType(packaged.templates[name], 'AWS::Lambda::Function')[0]!;
      const vars = fn.Properties.Environment.Variables;
      const known = new Set<string>(Object.values(ENV).filter((v) => typeof v === 'string'));
      for (const key of Object.keys(vars)) {
        expect([key, known.has(key) || key === ENV.inboxUrl(name)]).toEqual([key, true]);
      }
      expect(vars[ENV.busName]).toBe(names.busName);
      expect(vars[ENV.tableName]).toBe(names.tableName);
      expect(vars[ENV.inboxUrl(name)]).toEqual({ Ref: 'Inbox' });
    }
  });
});

describe('IAM of the packaged stacks', () => {
  it('has no statement with a wildcard action', () => {
    for (const [stack, t] of stacks()) {
      for (const { role, statement } of statements(t)) {
        for (const action of actionsOf(statement)) expect(`${stack}/${role}: ${action}`).not.toMatch(/\*/);
      }
    }
  });

  it.each(SERVICE_NAMES)('%s: grants only RDS actions of its topology that its source calls', (name) => {
    const files = reachableFiles(join(ROOT, 'services', name, 'src'), join(ROOT, 'shared', 'src'));
    const called = rdsActionsCalled(files);
    // Creating a resource with Tags also needs AddTagsToResource.
    if ([...called].some((a) => /^rds:(Create|Restore)/.test(a))) {
      called.add('rds:AddTagsToResource');
    }
    // Deleting with a final snapshot needs CreateDBSnapshot (cleanup keeps one by default), and tagging
    // it when the database copies its tags to snapshots (RDS authorises that since August 2024).
    if (called.has('rds:DeleteDBInstance') && name === 'cleanup') {
      called.add('rds:CreateDBSnapshot');
      called.add('rds:AddTagsToResource');
    }
    if (called.has('rds:DeleteDBCluster') && name === 'cleanup') called.add('rds:CreateDBClusterSnapshot');
    const granted = new Set(
      statements(packaged.templates[name]).flatMap(({ statement }) =>
        actionsOf(statement).filter((a) => a.startsWith('rds:')),
      ),
    );
    const permitted = serviceSpec(name).permissions.filter((a) => a.startsWith('rds:'));
    expect([...granted].filter((a) => !permitted.includes(a))).toEqual([]);
    // The replication service's source and destination sides are built on their own branches: until they
    // call RDS, its grants are checked against the topology only.
    if (name === 'replication' && called.size === 0) return;
    expect([...granted].filter((a) => !called.has(a)).sort()).toEqual([]);
    expect([...called].filter((a) => !granted.has(a)).sort()).toEqual([]);
  });

  it.each(SERVICE_NAMES)('%s: changes and deletes only databases carrying the opt-in tag', (name) => {
    const isMutation = (a: string) => /^rds:(Modify|Delete)/.test(a);
    const granted = new Set<string>();
    for (const { statement } of statements(packaged.templates[name])) {
      const mutating = actionsOf(statement).filter(isMutation);
      if (!mutating.length) continue;
      mutating.forEach((a) => granted.add(a));
      const onDatabases = resourcesOf(statement).some((r) => /:rds:[^:]+:[^:]+:(db|cluster):\*$/.test(r));
      if (onDatabases) {
        expect(statement.Condition?.StringEquals?.['aws:ResourceTag/rewind:allow']).toBe('true');
      }
    }
    // Exactly the changes and deletions the topology gives the service: none at all for notify.
    const permitted = serviceSpec(name).permissions.filter(isMutation);
    expect([...granted].sort()).toEqual([...new Set(permitted)].sort());
    for (const action of serviceSpec(name).permissions.filter((a) => a.startsWith('rds:'))) {
      // The failover service's grants span regions (deploy/drIam.ts); the others', their own region.
      if (name === 'failover') expect(DR_ACTIONS).toContain(action);
      else expect(RDS_ACTION_SCOPES[action]).toBeDefined();
    }
  });

  it('failover: moves only opted-in databases; a replica it creates is tagged with the opt-in tag and the run id', () => {
    const rds = statements(packaged.templates.failover).filter(({ statement }) =>
      actionsOf(statement).some((a) => /^rds:(Promote|Switchover|Failover|Create|AddTags)/.test(a)),
    );
    const optIn = { StringEquals: { 'aws:ResourceTag/rewind:allow': 'true' } };
    const created = { StringEquals: { 'aws:RequestTag/rewind:allow': 'true' } };
    expect(
      rds.map(({ statement }) => [actionsOf(statement), resourcesOf(statement), statement.Condition]),
    ).toEqual([
      [
        ['rds:FailoverGlobalCluster', 'rds:SwitchoverGlobalCluster'],
        [expect.stringMatching(/:rds::[^:]+:global-cluster:\*$/)],
        undefined,
      ],
      [
        ['rds:FailoverGlobalCluster', 'rds:SwitchoverGlobalCluster'],
        [expect.stringMatching(/:rds:\*:[^:]+:cluster:\*$/)],
        optIn,
      ],
      [['rds:PromoteReadReplica'], [expect.stringMatching(/:rds:\*:[^:]+:db:\*$/)], optIn],
      [['rds:CreateDBInstanceReadReplica'], [expect.stringMatching(/:rds:\*:[^:]+:db:\*$/)], created],
      [
        ['rds:AddTagsToResource'],
        [expect.stringMatching(/:rds:\*:[^:]+:db:\*$/)],
        {
          ...created,
          Null: { 'aws:RequestTag/rewind:run-id': 'false', 'aws:ResourceTag/rewind:allow': 'true' },
        },
      ],
    ]);
  });

  it.each(SERVICE_NAMES)(
    '%s: DynamoDB on the state table and its index, only the item calls the code makes',
    (name) => {
      const called = dynamoActionsCalled([
        ...sourceFiles(join(ROOT, 'shared', 'src', 'state')),
        ...sourceFiles(join(ROOT, 'services', name, 'src')),
      ]);
      const dynamo = statements(packaged.templates[name]).filter(({ statement }) =>
        actionsOf(statement).some((a) => a.startsWith('dynamodb:')),
      );
      expect(dynamo).toHaveLength(1);
      const granted = actionsOf(dynamo[0]!.statement);
      expect([...granted].sort()).toEqual([...STATE_TABLE_ACTIONS].sort());
      expect(granted.filter((a) => !called.has(a))).toEqual([]);
      expect([...called].filter((a) => !granted.includes(a))).toEqual([]);
      expect(resourcesOf(dynamo[0]!.statement)).toEqual([
        expect.stringContaining(`table/${names.tableName}`),
        expect.stringContaining(`table/${names.tableName}/index/${names.statusIndexName}`),
      ]);
    },
  );

  it.each(SERVICE_NAMES)(
    '%s: publishes as source rewind on the bus and sends only to its own inbox and its DLQ (poison)',
    (name) => {
      // The function's role (replication's forwarding rules have a role of their own, checked below).
      const all = statements(packaged.templates[name])
        .filter((s) => s.role === 'WorkerRole')
        .map((s) => s.statement);
      const put = all.filter((s) => actionsOf(s).includes('events:PutEvents'));
      expect(put).toHaveLength(1);
      expect(resourcesOf(put[0]!)).toEqual([expect.stringContaining(`event-bus/${names.busName}`)]);
      // events:source is multivalued: every entry's source must be rewind, and a request needs one.
      expect(put[0]!.Condition).toEqual({
        'ForAllValues:StringEquals': { 'events:source': ['rewind'] },
        Null: { 'events:source': 'false' },
      });
      const send = all.filter((s) => actionsOf(s).includes('sqs:SendMessage'));
      expect(send.map(resourcesOf)).toEqual([['{Inbox.Arn}'], ['{InboxDlq.Arn}']]);
    },
  );
});

describe('IAM: what a real account would refuse (issue #15)', () => {
  const all = () => stacks().flatMap(([stack, t]) => statements(t).map((s) => ({ stack, ...s })));
  const granting = (action: string) => all().filter(({ statement }) => actionsOf(statement).includes(action));
  const conditionText = (s: Statement) =>
    JSON.parse(
      JSON.stringify(s.Condition ?? {}, (_k, v) =>
        v && typeof v === 'object' && !Array.isArray(v) && (v['Fn::Join'] || v.Ref) ? text(v) : v,
      ),
    );

  it('never renames or deletes a database (a cluster member included) without the opt-in tag', () => {
    for (const action of [
      'rds:ModifyDBInstance',
      'rds:DeleteDBInstance',
      'rds:ModifyDBCluster',
      'rds:DeleteDBCluster',
    ]) {
      const found = granting(action);
      expect(found.length).toBeGreaterThan(0);
      for (const { stack, statement } of found) {
        const onDatabases = resourcesOf(statement).filter((r) => r === '*' || /:(db|cluster):/.test(r));
        if (!onDatabases.length) continue;
        expect([stack, action, onDatabases.includes('*')]).toEqual([stack, action, false]);
        expect([stack, action, statement.Condition?.StringEquals?.['aws:ResourceTag/rewind:allow']]).toEqual([
          stack,
          action,
          'true',
        ]);
      }
    }
  });

  it('tags snapshots only under the names Rewind gives them, and databases only at creation', () => {
    // Runs' snapshots in the home region; snapshot policies' (`rewind-*`) there and where they copy to.
    const rewindSnapshot =
      /:rds:(us-east-1|us-west-2):123456789012:(snapshot|cluster-snapshot):(\*-rw\?{8}-(snapshot|final)-\*|rewind-(repl-)?\*)$/;
    // The failover service's (a failback replica, tagged at creation) is checked above.
    const tagging = granting('rds:AddTagsToResource').filter((t) => t.stack !== 'failover');
    expect(new Set(tagging.map((t) => t.stack))).toEqual(
      new Set(['snapshot', 'restore', 'cleanup', 'lifecycle', 'replication']),
    );
    for (const { stack, statement } of tagging) {
      const resources = resourcesOf(statement);
      if (resources.every((r) => rewindSnapshot.test(r))) continue;
      // The only other grant: tags given when restore creates a database (RDS authorises them as AddTagsToResource).
      expect([stack, statement.Sid, resources.sort()]).toEqual([
        'restore',
        'RdsTagOnCreate',
        ['arn:aws:rds:us-east-1:123456789012:cluster:*', 'arn:aws:rds:us-east-1:123456789012:db:*'],
      ]);
      expect(statement.Condition).toEqual({
        StringEquals: { 'aws:RequestTag/rewind:allow': 'true' },
        Null: { 'aws:RequestTag/rewind:run-id': 'false', 'aws:ResourceTag/rewind:allow': 'true' },
      });
    }
    const cleanup = tagging.filter((t) => t.stack === 'cleanup').flatMap((t) => resourcesOf(t.statement));
    expect(cleanup.some((r) => /:snapshot:\*-rw\?{8}-final-\*$/.test(r))).toBe(true);
    // Creating snapshots is limited to the same names.
    for (const { statement } of granting('rds:CreateDBSnapshot')) {
      for (const r of resourcesOf(statement).filter((x) => /:snapshot:/.test(x)))
        expect(r).toMatch(rewindSnapshot);
    }
  });

  it('lets lifecycle delete only the snapshots of snapshot policies it tagged, and pass only export roles', () => {
    for (const action of ['rds:DeleteDBSnapshot', 'rds:DeleteDBClusterSnapshot']) {
      // Replication's (its own `rewind-repl-*` snapshots) are checked with its stack.
      const all = granting(action);
      expect(all.map((g) => g.stack).sort()).toEqual(['lifecycle', 'replication']);
      const grants = all.filter((g) => g.stack === 'lifecycle');
      for (const { statement } of grants) {
        expect(
          resourcesOf(statement).every((r) =>
            /:rds:(us-east-1|us-west-2):123456789012:(snapshot|cluster-snapshot):rewind-\*$/.test(r),
          ),
        ).toBe(true);
        expect(conditionText(statement).StringEquals).toEqual({
          'aws:ResourceTag/rewind:created-by': 'rewind',
        });
      }
    }
    const pass = granting('iam:PassRole').filter((g) => g.stack === 'lifecycle');
    expect(pass.map((g) => conditionText(g.statement).StringEquals)).toEqual([
      { 'iam:PassedToService': ['export.rds.amazonaws.com', 'rds.amazonaws.com'] },
    ]);
    // Its KMS grants: through RDS only, in its region and the one the example policy copies to.
    const kms = all().filter(
      ({ stack, statement }) =>
        stack === 'lifecycle' && actionsOf(statement).some((a) => a.startsWith('kms:')),
    );
    expect(kms).toHaveLength(2);
    for (const { statement } of kms) {
      expect(conditionText(statement).StringEquals).toEqual({
        'kms:ViaService': ['rds.us-east-1.amazonaws.com', 'rds.us-west-2.amazonaws.com'],
      });
      expect(resourcesOf(statement)).toEqual([
        'arn:aws:kms:us-east-1:123456789012:key/*',
        'arn:aws:kms:us-west-2:123456789012:key/*',
      ]);
    }
    // Nothing of it names a region the policy file does not copy to.
    const lifecycleArns = all()
      .filter(({ stack }) => stack === 'lifecycle')
      .flatMap(({ statement }) => resourcesOf(statement))
      .filter((r) => r.startsWith('arn:aws:rds:') || r.startsWith('arn:aws:kms:'));
    expect(lifecycleArns.filter((r) => !/^arn:aws:(rds|kms):(us-east-1|us-west-2):/.test(r))).toEqual([]);
  });

  it('lets restore use customer-managed KMS keys only through RDS (kms:ViaService)', () => {
    const withKms = all().filter(({ statement }) => actionsOf(statement).some((a) => a.startsWith('kms:')));
    const kms = withKms.filter(({ stack }) => stack === 'restore');
    // The lifecycle service's keys are checked with its own grants above.
    const lifecycle = withKms.filter(({ stack }) => stack === 'lifecycle');
    // The failover service's replica keys: in any region (a failback replica's), through RDS only.
    const dr = withKms.filter(({ stack }) => stack === 'failover');
    expect(dr.map(({ statement }) => [resourcesOf(statement), statement.Condition])).toEqual([
      [
        ['arn:aws:kms:*:123456789012:key/*'],
        {
          StringLike: { 'kms:ViaService': 'rds.*.amazonaws.com' },
          Bool: { 'kms:GrantIsForAWSResource': 'true' },
        },
      ],
    ]);
    // Replication's: on the keys its policies name, checked with its stack.
    const replication = withKms.filter(({ stack }) => stack === 'replication');
    expect(withKms.length).toBe(kms.length + dr.length + lifecycle.length + replication.length);
    expect(kms.map(({ stack, statement }) => [stack, actionsOf(statement)]).sort()).toEqual([
      ['restore', ['kms:CreateGrant']],
      ['restore', ['kms:DescribeKey']],
    ]);
    for (const { statement } of kms) {
      expect(resourcesOf(statement)).toEqual(['arn:aws:kms:us-east-1:123456789012:key/*']);
      expect(conditionText(statement).StringEquals).toEqual({
        'kms:ViaService': 'rds.us-east-1.amazonaws.com',
      });
    }
    const grant = kms.find(({ statement }) => actionsOf(statement).includes('kms:CreateGrant'))!;
    expect(grant.statement.Condition?.Bool).toEqual({ 'kms:GrantIsForAWSResource': 'true' });
  });

  it('lets RDS publish to the events topic about its databases and snapshots (aws:SourceArn of the source)', () => {
    const policy = packaged.templates.shared.Resources.RdsEventsTopicPolicy!.Properties.PolicyDocument;
    const [statement] = policy.Statement;
    expect(statement.Principal).toEqual({ Service: 'events.rds.amazonaws.com' });
    expect(statement.Condition.ArnLike['aws:SourceArn'].map(text).sort()).toEqual(
      ['cluster', 'cluster-snapshot', 'db', 'snapshot']
        .map((t) => `arn:aws:rds:us-east-1:123456789012:${t}:*`)
        .sort(),
    );
    expect(text(statement.Condition.StringEquals['aws:SourceAccount'])).toBe('123456789012');
  });

  it('publishes with ForAllValues on events:source and a Null check, in every stack', () => {
    // The functions' roles (the forwarding rule and the scheduler put AWS's own events, not Rewind's).
    const put = granting('events:PutEvents').filter((p) => ['WorkerRole', 'AdapterRole'].includes(p.role));
    expect(put.length).toBe(SERVICE_NAMES.length + 1);
    for (const { statement } of put) {
      expect(Object.keys(statement.Condition ?? {}).sort()).toEqual(['ForAllValues:StringEquals', 'Null']);
      expect(statement.Condition!.Null).toEqual({ 'events:source': 'false' });
    }
  });

  it('can redeploy over the state table a removed deployment kept (existingStateTable)', () => {
    const shared = packaged.templates.shared;
    expect(shared.Resources.StateTable!.Condition).toBe('CreateStateTable');
    expect(shared.Conditions.CreateStateTable).toEqual({ 'Fn::Equals': ['', ''] });
    expect(shared.Outputs.StateTableName.Value['Fn::If'][0]).toBe('CreateStateTable');
    expect(shared.Outputs.StateTableArn.Value['Fn::If'][0]).toBe('CreateStateTable');
  });
});

describe('replication, in its source account (the example policy: 123456789012 -> two accounts)', () => {
  const policies = () => readPolicyFile(SCHEDULES_FILE).replication;
  const replication = () => packaged.templates.replication;
  const peerRules = () =>
    resourcesOfType(replication(), 'AWS::Events::Rule').filter(
      ([, r]) => r.Properties.Targets[0].Id === 'peer-bus',
    );

  it('forwards each SnapshotShared to its destination account bus, dead-lettering refusals into the inbox', () => {
    const expected = replicationForwardingRules(policies(), ACCOUNT);
    expect(expected.map((r) => r.peerAccount)).toEqual(['210987654321', '345678901234']);
    const rules = peerRules();
    expect(rules.map(([, r]) => r.Properties.Name).sort()).toEqual(
      expected.map((r) => names.rule('replication', r.name)).sort(),
    );
    const inboxPolicy = replication().Resources.InboxPolicy!.Properties.PolicyDocument.Statement.find(
      (s: any) => s.Resource['Fn::GetAtt'][0] === 'Inbox',
    );
    for (const rule of expected) {
      const [id, deployed] = rules.find(
        ([, r]) => r.Properties.Name === names.rule('replication', rule.name),
      )!;
      expect(deployed.Properties.EventPattern).toEqual(rule.pattern);
      expect(deployed.Properties.EventBusName).toBe(names.busName);
      const [target] = deployed.Properties.Targets;
      expect(text(target.Arn)).toBe(
        `arn:aws:events:us-east-1:${rule.peerAccount}:event-bus/${names.busName}`,
      );
      expect(target.RoleArn).toEqual({ 'Fn::GetAtt': ['ReplicationForwardingRole', 'Arn'] });
      expect(target.DeadLetterConfig.Arn).toEqual({ 'Fn::GetAtt': ['Inbox', 'Arn'] });
      // EventBridge may put the refused event in the inbox (aws:SourceArn = the rule).
      expect(inboxPolicy.Condition.ArnEquals['aws:SourceArn']).toContainEqual({ 'Fn::GetAtt': [id, 'Arn'] });
    }
    const role = replication().Resources.ReplicationForwardingRole!.Properties;
    expect(role.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'events.amazonaws.com' });
    const [put] = role.Policies[0].PolicyDocument.Statement;
    expect([put.Action, put.Resource.map(text)]).toEqual([
      ['events:PutEvents'],
      ['210987654321', '345678901234'].map((a) => `arn:aws:events:us-east-1:${a}:event-bus/${names.busName}`),
    ]);
  });

  it('admits the destination accounts on its bus for their answers only, and fires the policy on its schedule', () => {
    const shared = packaged.templates.shared;
    const admitted = resourcesOfType(shared, 'AWS::Events::EventBusPolicy')
      .filter(([id]) => id.startsWith('ReplicationBusPolicy'))
      .map(([, p]) => p.Properties);
    expect(admitted.map((p) => [p.StatementId, text(p.Statement.Principal.AWS)])).toEqual([
      ['replication-from-210987654321', 'arn:aws:iam::210987654321:root'],
      ['replication-from-345678901234', 'arn:aws:iam::345678901234:root'],
    ]);
    for (const p of admitted) {
      expect(p.EventBusName).toEqual({ Ref: 'EventBus' });
      expect(p.Statement.Action).toBe('events:PutEvents');
      expect(p.Statement.Condition).toEqual({
        StringEquals: {
          'events:source': 'rewind',
          'events:detail-type': ['ReplicationCompleted', 'ReplicationFailed', 'ReplicationReceived'],
        },
      });
    }
    const [, schedule] = resourcesOfType(shared, 'AWS::Scheduler::Schedule').find(
      ([, s]) => s.Properties.Name === 'replicate-orders-to-staging',
    )!;
    expect(schedule.Properties.ScheduleExpression).toBe('cron(0 4 * * ? *)');
    expect(schedule.Properties.ScheduleExpressionTimezone).toBe('Europe/Paris');
  });

  it('gives the function the policies as REWIND_REPLICATION_POLICIES, within Lambda environment limit', () => {
    const [, fn] = resourcesOfType(replication(), 'AWS::Lambda::Function')[0]!;
    const vars = fn.Properties.Environment.Variables;
    const value = vars[ENV.replicationPolicies];
    expect(decodePoliciesEnv(value)).toEqual(policies());
    const bytes = Object.entries(vars).reduce(
      (n, [k, v]) => n + k.length + (typeof v === 'string' ? v.length : 128),
      0,
    );
    expect(bytes).toBeLessThan(4096);
  });

  it('grants KMS on the source key only through RDS, and shares, tags and deletes only its rewind-repl-* snapshots', () => {
    const role = replication().Resources.WorkerRole!.Properties;
    expect(role.RoleName).toBe(`${PREFIX}-replication`);
    const all = statements(replication()).map((s) => s.statement);
    const kms = all.filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')));
    const key = policies()[0]!.source.kmsKeyId!;
    expect(kms.map((s) => [s.Sid, resourcesOf(s), s.Condition])).toEqual([
      ['KmsOwnKeysViaRds', [key], { StringEquals: { 'kms:ViaService': ['rds.us-east-1.amazonaws.com'] } }],
      [
        'KmsOwnKeyGrantsViaRds',
        [key],
        {
          StringEquals: { 'kms:ViaService': ['rds.us-east-1.amazonaws.com'] },
          Bool: { 'kms:GrantIsForAWSResource': 'true' },
        },
      ],
      // Which key encrypts the source database (aws/rds cannot be shared): a read of its own keys.
      ['KmsDescribeSourceKeys', ['arn:aws:kms:us-east-1:123456789012:key/*'], undefined],
    ]);
    expect(actionsOf(kms[2]!)).toEqual(['kms:DescribeKey']);
    // No versioned destination in this account: no secret.
    expect(all.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')))).toEqual([]);
    const snapshotActions = [
      'rds:ModifyDBSnapshotAttribute',
      'rds:ModifyDBClusterSnapshotAttribute',
      'rds:DeleteDBSnapshot',
      'rds:DeleteDBClusterSnapshot',
    ];
    for (const action of snapshotActions) {
      const grants = all.filter((s) => actionsOf(s).includes(action));
      expect([action, grants.length]).toEqual([action, 1]);
      expect(resourcesOf(grants[0]!)).toEqual([
        expect.stringMatching(
          /^arn:aws:rds:us-east-1:123456789012:(snapshot|cluster-snapshot):rewind-repl-\*$/,
        ),
        expect.stringMatching(
          /^arn:aws:rds:us-east-1:123456789012:(snapshot|cluster-snapshot):rewind-repl-\*$/,
        ),
      ]);
      expect(grants[0]!.Condition).toEqual({
        StringEquals: { 'aws:ResourceTag/rewind:created-by': 'rewind' },
      });
    }
    // The source account copies nobody's snapshots: no cross-account grant.
    expect(all.filter((s) => s.Sid === 'RdsSharedSnapshots')).toEqual([]);
  });
});

describe('the deployed stacks and the local cloud come from the same topology', () => {
  let local: LocalProvisioning;
  beforeAll(async () => {
    local = await captureLocalProvisioning(PREFIX);
  });

  // The DR peer rule exists only in a DR pair (drPeerRegion set): the local cloud runs one Rewind.
  // Replication's rules to peer accounts exist only with replication policies (local/src/provision/replication.ts).
  const deployedRules = () =>
    stacks().flatMap(([, t]) =>
      resourcesOfType(t, 'AWS::Events::Rule')
        .filter(([, r]) => r.Condition !== 'HasDrPeer' && r.Properties.Targets[0].Id !== 'peer-bus')
        .map(([, r]) => r.Properties),
    );

  it('creates the same rules, on the same buses, with the same patterns and retry policy', () => {
    const deployed = deployedRules();
    expect(deployed.map((r) => r.Name).sort()).toEqual(local.rules.map((r) => r.name).sort());
    for (const rule of local.rules) {
      const d = deployed.find((r) => r.Name === rule.name);
      expect([rule.name, d.EventBusName ?? 'default']).toEqual([rule.name, rule.busName]);
      expect([rule.name, d.EventPattern]).toEqual([rule.name, rule.pattern]);
      if (rule.busName !== 'default') {
        expect(rule.target.RetryPolicy).toEqual(d.Targets[0].RetryPolicy);
      }
    }
  });

  it('creates the same inbox, inbox DLQ and target DLQ per service, with the same settings', () => {
    for (const name of SERVICE_NAMES) {
      const deployed = new Map(
        resourcesOfType(packaged.templates[name], 'AWS::SQS::Queue').map(([, q]) => [
          q.Properties.QueueName,
          q.Properties,
        ]),
      );
      for (const queue of [names.inboxQueue(name), names.inboxDlq(name), names.targetDlq(name)]) {
        expect([queue, local.queues.has(queue), deployed.has(queue)]).toEqual([queue, true, true]);
      }
      const localInbox = local.queues.get(names.inboxQueue(name))!;
      const inbox = deployed.get(names.inboxQueue(name));
      expect(Number(localInbox.VisibilityTimeout)).toBe(inbox.VisibilityTimeout);
      expect(Number(localInbox.MessageRetentionPeriod)).toBe(inbox.MessageRetentionPeriod);
      expect(JSON.parse(localInbox.RedrivePolicy!).maxReceiveCount).toBe(inbox.RedrivePolicy.maxReceiveCount);
    }
  });

  it('names the table, its index, its TTL attribute and the alarm topic alike', () => {
    const table = packaged.templates.shared.Resources.StateTable!.Properties;
    expect(local.table.name).toBe(table.TableName);
    expect(local.table.keys).toEqual(table.KeySchema);
    expect(local.table.indexes).toEqual(table.GlobalSecondaryIndexes.map((i: any) => i.IndexName));
    expect(local.table.ttl).toBe(table.TimeToLiveSpecification.AttributeName);
    expect(local.topic).toBe(packaged.templates.shared.Resources.AlarmTopic!.Properties.TopicName);
  });
});
