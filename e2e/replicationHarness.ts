/**
 * The world of the cross-account replication e2e test: one local cloud with Rewind installed in two
 * accounts (a source and a destination, each with its own bus, table, queues, schedules and roles, IAM
 * evaluated in both), the policy file both are deployed with, real SDK clients per account, an observer
 * on each account's bus, and the helpers to make databases and keys, fire a policy and wait for its end.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  DescribeDBClusterSnapshotAttributesCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotAttributesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
  type DBSnapshot,
} from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { findCluster, findInstance, type Kind, type ReplicationPolicyInput } from '@rewind/shared';
import { spawnLocalCloud, type LocalCloud, type SentEmail } from '@rewind/local';
import { observeBus, type Observer, type ObservedEvent } from './harness';
import { eventually, OPT_IN } from './drHarness';

export const SOURCE = '111111111111';
export const DEST = '222222222222';
export const REGION = 'us-east-1';

/** Key aliases the policy file names (the keys are made once the cloud runs: `createKeys`). */
export const keyAlias = (account: string, name: string) => `arn:aws:kms:${REGION}:${account}:alias/${name}`;

/** One account as a client sees it: its clients and an observer of everything Rewind emits on its bus. */
export interface Account {
  id: string;
  rds: RDSClient;
  kms: KMSClient;
  events: EventBridgeClient;
  sqs: SQSClient;
  secrets: SecretsManagerClient;
  observer: Observer;
}

export interface ReplicationWorld {
  cloud: LocalCloud;
  source: Account;
  dest: Account;
  busName: string;
  stop(): Promise<void>;
}

async function connect(cloud: LocalCloud, id: string): Promise<Account> {
  const config = {
    endpoint: cloud.endpoint,
    region: REGION,
    credentials: { accessKeyId: id, secretAccessKey: 'test' },
  };
  const sqs = new SQSClient(config);
  const events = new EventBridgeClient(config);
  return {
    id,
    rds: new RDSClient({ ...config, maxAttempts: 8 }),
    kms: new KMSClient(config),
    events,
    sqs,
    secrets: new SecretsManagerClient(config),
    observer: await observeBus(sqs, events, cloud.names.busName),
  };
}

/**
 * Starts the local cloud with Rewind in both accounts, deployed with `replication` as the policy file's
 * section (read at start: the replication service's environment, the schedules, the roles). RDS runs
 * `timeScale` times as long as AWS takes.
 */
export async function startReplicationWorld(
  replication: ReplicationPolicyInput[],
  { timeScale = 0.002 } = {},
): Promise<ReplicationWorld> {
  const file = join(mkdtempSync(join(tmpdir(), 'rewind-repl-')), 'rewind.config.json');
  writeFileSync(file, JSON.stringify({ replication }));
  const previous = process.env.REWIND_CONFIG_FILE;
  process.env.REWIND_CONFIG_FILE = file;
  let cloud: LocalCloud;
  try {
    cloud = await spawnLocalCloud({
      quiet: true,
      identity: { accountId: SOURCE, region: REGION },
      installs: [{ accountId: SOURCE }, { accountId: DEST }],
      rds: { profile: 'realistic', timeScale, seed: 20 },
      readyTimeoutMs: 60_000,
    });
  } finally {
    if (previous === undefined) delete process.env.REWIND_CONFIG_FILE;
    else process.env.REWIND_CONFIG_FILE = previous;
  }
  const source = await connect(cloud, SOURCE);
  const dest = await connect(cloud, DEST);
  return {
    cloud,
    source,
    dest,
    busName: cloud.names.busName,
    async stop() {
      for (const a of [source, dest]) {
        await a.observer.stop();
        for (const c of [a.rds, a.kms, a.events, a.sqs, a.secrets]) c.destroy();
      }
      await cloud.stop();
    },
  };
}

/** The grants a destination account needs on a source key to copy what it encrypts (RDS user guide). */
function keyPolicy(owner: string, peer: string | undefined, grants: boolean) {
  const statements: Record<string, unknown>[] = [
    {
      Sid: 'owner',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${owner}:root` },
      Action: 'kms:*',
      Resource: '*',
    },
  ];
  if (peer) {
    statements.push({
      Sid: 'use by the destination account',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${peer}:root` },
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
      Resource: '*',
    });
    if (grants)
      statements.push({
        Sid: 'grants for RDS in the destination account',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${peer}:root` },
        Action: ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'],
        Resource: '*',
        Condition: { Bool: { 'kms:GrantIsForAWSResource': true } },
      });
  }
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/**
 * A customer managed key of `account` under `alias/<name>`: shared with `peer` (with the grants RDS needs
 * there unless `grants: false`), or the account's own. Returns the key ARN.
 */
export async function createKey(
  a: Account,
  name: string,
  opts: { peer?: string; grants?: boolean } = {},
): Promise<string> {
  const { KeyMetadata } = await a.kms.send(
    new CreateKeyCommand({
      Description: `e2e ${name}`,
      Policy: keyPolicy(a.id, opts.peer, opts.grants ?? true),
    }),
  );
  await a.kms.send(new CreateAliasCommand({ AliasName: `alias/${name}`, TargetKeyId: KeyMetadata!.KeyId! }));
  return KeyMetadata!.Arn!;
}

/**
 * An opted-in PostgreSQL instance, encrypted (with `kmsKeyId`, else the account's `aws/rds` key), whose
 * master user name marks whose data it holds (a restore takes it from the snapshot).
 */
export async function createDatabase(
  a: Account,
  id: string,
  opts: { kmsKeyId?: string; owner: string },
): Promise<void> {
  await a.rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      Engine: 'postgres',
      EngineVersion: '15.4',
      DBInstanceClass: 'db.t3.medium',
      AllocatedStorage: 20,
      MasterUsername: opts.owner,
      MasterUserPassword: 'not-a-real-password',
      StorageEncrypted: true,
      ...(opts.kmsKeyId ? { KmsKeyId: opts.kmsKeyId } : {}),
      BackupRetentionPeriod: 1,
      Tags: OPT_IN,
    }),
  );
}

/** Waits until every database is available. */
export async function databasesAvailable(a: Account, ids: string[]): Promise<void> {
  for (const id of ids)
    await eventually(
      () => findInstance(a.rds, id),
      (db) => db?.DBInstanceStatus === 'available',
      120_000,
    );
}

/**
 * An opted-in Aurora PostgreSQL cluster with a writer `<id>-1` and a reader `<id>-2` (opted in too: a
 * restore renames and deletes each member on its own tags), encrypted with `kmsKeyId` or not encrypted at
 * all; its master user name marks whose data it holds. Returns once the cluster and both are available.
 */
export async function createCluster(
  a: Account,
  id: string,
  opts: { kmsKeyId?: string; owner: string; deletionProtection?: boolean },
): Promise<void> {
  await a.rds.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: id,
      Engine: 'aurora-postgresql',
      EngineVersion: '15.4',
      MasterUsername: opts.owner,
      MasterUserPassword: 'not-a-real-password',
      StorageEncrypted: opts.kmsKeyId !== undefined,
      ...(opts.kmsKeyId ? { KmsKeyId: opts.kmsKeyId } : {}),
      BackupRetentionPeriod: 1,
      DeletionProtection: opts.deletionProtection,
      Tags: OPT_IN,
    }),
  );
  const status = async () => (await findCluster(a.rds, id))?.Status;
  await eventually(status, (s) => s === 'available', 120_000);
  // One at a time: the first member of a cluster becomes its writer.
  for (const member of [`${id}-1`, `${id}-2`]) {
    await a.rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: member,
        DBClusterIdentifier: id,
        Engine: 'aurora-postgresql',
        DBInstanceClass: 'db.r6g.large',
        Tags: OPT_IN,
      }),
    );
    await eventually(
      () => findInstance(a.rds, member),
      (db) => db?.DBInstanceStatus === 'available',
      120_000,
    );
  }
  await eventually(status, (s) => s === 'available', 120_000);
}

/** Asks the source's Rewind to replicate a policy now (what `rewind replicate` publishes). */
export async function requestReplication(world: ReplicationWorld, policy: string): Promise<string> {
  const requestId = `e2e-${policy}-${Date.now()}`;
  const out = await world.source.events.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: world.busName,
          Source: 'my.team',
          DetailType: 'ReplicationRequested',
          Detail: JSON.stringify({ policy, requestId }),
        },
      ],
    }),
  );
  if (out.FailedEntryCount) throw new Error(`PutEvents failed: ${JSON.stringify(out.Entries)}`);
  return requestId;
}

const TERMINAL = ['ReplicationCompleted', 'ReplicationFailed'];

/**
 * The end of a policy's next replication as the SOURCE account sees it (its own terminal event, or the
 * destination's, forwarded back to its bus), after `since` events already seen.
 */
export async function replicationEnd(
  world: ReplicationWorld,
  policy: string,
  since = 0,
  timeoutMs = 90_000,
): Promise<ObservedEvent> {
  const { observer } = world.source;
  const start = Date.now();
  for (;;) {
    const found = observer.events
      .slice(since)
      .find((e) => TERMINAL.includes(e['detail-type']) && e.detail.policy === policy);
    if (found) return found;
    if (Date.now() - start > timeoutMs) {
      const seen = observer.events.slice(since).map((e) => `${e['detail-type']}(${String(e.detail.policy)})`);
      throw new Error(`replication ${policy} did not end within ${timeoutMs} ms; seen: ${seen.join(', ')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Manual snapshots of an account whose identifier starts with `prefix`. */
export async function snapshotsOf(a: Account, prefix: string): Promise<DBSnapshot[]> {
  const out = await a.rds.send(new DescribeDBSnapshotsCommand({ SnapshotType: 'manual' }));
  return (out.DBSnapshots ?? []).filter((s) => s.DBSnapshotIdentifier?.startsWith(prefix));
}

/** The identifiers of an account's manual cluster snapshots that start with `prefix`. */
export async function clusterSnapshotsOf(a: Account, prefix: string): Promise<string[]> {
  const out = await a.rds.send(new DescribeDBClusterSnapshotsCommand({ SnapshotType: 'manual' }));
  return (out.DBClusterSnapshots ?? [])
    .map((s) => s.DBClusterSnapshotIdentifier!)
    .filter((id) => id.startsWith(prefix));
}

type Restore = { AttributeName?: string; AttributeValues?: string[] }[] | undefined;
const restoreValues = (attributes: Restore) =>
  attributes?.find((x) => x.AttributeName === 'restore')?.AttributeValues ?? [];
const ifFound = (err: Error) => {
  if (/SnapshotNotFound/.test(err.name)) return undefined;
  throw err;
};

/** The accounts a snapshot (or cluster snapshot) is shared with (none once it is deleted). */
export async function sharedWith(a: Account, snapshot: string, kind: Kind = 'instance'): Promise<string[]> {
  if (kind === 'cluster') {
    const out = await a.rds
      .send(new DescribeDBClusterSnapshotAttributesCommand({ DBClusterSnapshotIdentifier: snapshot }))
      .catch(ifFound);
    return restoreValues(out?.DBClusterSnapshotAttributesResult?.DBClusterSnapshotAttributes);
  }
  const out = await a.rds
    .send(new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: snapshot }))
    .catch(ifFound);
  return restoreValues(out?.DBSnapshotAttributesResult?.DBSnapshotAttributes);
}

/** The alerts (emails and Slack posts) an account's Rewind sent that mention `text`. */
export async function alertsFrom(world: ReplicationWorld, account: string, text: string) {
  const emails = (await world.cloud.admin.sentEmails()).filter(
    (m: SentEmail) => m.account === account && JSON.stringify(m).includes(text),
  );
  const posts = (await world.cloud.admin.webhookDeliveries('slack')).filter(
    (p) => p.account === account && JSON.stringify(p).includes(text),
  );
  return { emails, posts };
}

/** Waits for an account's email and Slack alert mentioning `text`. */
export async function alerted(world: ReplicationWorld, account: string, text: string) {
  return eventually(
    () => alertsFrom(world, account, text),
    (a) => a.emails.length > 0 && a.posts.length > 0,
    20_000,
  );
}

/** Cloud time, and the next `hour`:00 UTC after it (a daily cron's next firing). */
export async function nextAt(world: ReplicationWorld, hour: number): Promise<Date> {
  const now = new Date((await world.cloud.admin.clock()).now);
  const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), hour));
  return today > now ? today : new Date(today.getTime() + 24 * 3600_000);
}

/**
 * Moves the cloud clock to `at`, stopping right after a schedule firing there (a firing of another policy
 * on the way, when the test runs alone, stops the jump early: it goes on to `at`).
 */
export async function fireAt(world: ReplicationWorld, at: Date): Promise<void> {
  for (;;) {
    const { now } = await world.cloud.admin.advanceClock({ to: at.toISOString(), stopAfter: 'scheduler' });
    if (new Date(now).getTime() >= at.getTime()) return;
  }
}

/** The end event, which must be a `ReplicationCompleted` (else an error saying where and why it failed). */
export function completed(end: ObservedEvent): ObservedEvent {
  if (end['detail-type'] === 'ReplicationCompleted') return end;
  const d = end.detail;
  throw new Error(
    `replication ${String(d.replicationId)} failed at ${String(d.stage)} in ${String(d.account)}: ${String(d.reason)} (action: ${String(d.action)})`,
  );
}
