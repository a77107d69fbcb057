/**
 * What IAM authorises for a request to the local cloud: the action, each resource it touches, and the
 * request context (tags of existing resources, tags in the request, `events:source`, `ses:FromAddress`,
 * `kms:ViaService` ...), following the Service Authorization Reference for the calls Rewind makes.
 * A request can need several authorisations (all must pass): each resource separately, tags given at
 * creation as `rds:AddTagsToResource` on the new resource, and KMS grants RDS makes on the caller's behalf.
 */
import type { RdsResourceFacts } from '../rds';
import type { LocalRequest } from '../types';
import type { AuthorizationRequest, ContextValues } from './evaluate';

export interface ContextSources {
  region: string;
  accountId: string;
  /** Facts about an existing RDS resource by ARN; undefined when it does not exist. */
  rdsResource(arn: string): RdsResourceFacts | undefined;
  /**
   * The ARN of the KMS key a reference names (key id, key ARN, alias name or alias ARN) for a caller in
   * `where`, as KMS resolves it; undefined when no such key exists.
   */
  kmsKeyArn?(ref: string, where: { accountId: string; region: string }): string | undefined;
  /** The full ARN of the secret a `SecretId` names for a caller in `where`; undefined when none exists. */
  secretArn?(id: string, where: { accountId: string; region: string }): string | undefined;
}

/** A KMS key reference as IAM sees it: the key's ARN (aliases resolved), else the reference as an ARN. */
function keyArnOf(ref: string, src: ContextSources): string {
  return (
    src.kmsKeyArn?.(ref, src) ??
    (ref.startsWith('arn:')
      ? ref
      : `arn:aws:kms:${src.region}:${src.accountId}:${ref.startsWith('alias/') ? ref : `key/${ref}`}`)
  );
}

type Tag = { Key: string; Value: string };

function formParams(req: LocalRequest): URLSearchParams {
  const params = new URLSearchParams(req.query);
  const contentType = String(req.headers['content-type'] ?? '');
  if (contentType.includes('x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(req.body.toString('utf8'))) params.append(k, v);
  }
  return params;
}

function jsonBody(req: LocalRequest): Record<string, unknown> {
  try {
    return JSON.parse(req.body.toString('utf8') || '{}') as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** The action of a JSON-protocol request (`X-Amz-Target: Prefix.Action`) or a query one (`Action=`). */
function actionName(req: LocalRequest): string | undefined {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return target.slice(target.lastIndexOf('.') + 1);
  return formParams(req).get('Action') ?? undefined;
}

function requestTagContext(tags: Tag[], servicePrefix?: string): ContextValues {
  const context: Record<string, string | string[]> = { 'aws:TagKeys': tags.map((t) => t.Key) };
  for (const t of tags) {
    context[`aws:RequestTag/${t.Key}`] = t.Value;
    if (servicePrefix) context[`${servicePrefix}:req-tag/${t.Key}`] = t.Value;
  }
  return context;
}

const RDS_TAG_PREFIX: Record<string, string> = {
  db: 'db-tag',
  cluster: 'cluster-tag',
  snapshot: 'snapshot-tag',
  'cluster-snapshot': 'cluster-snapshot-tag',
  pg: 'pg-tag',
  'cluster-pg': 'cluster-pg-tag',
  og: 'og-tag',
  subgrp: 'subgrp-tag',
  es: 'es-tag',
};

function resourceTagContext(arn: string, tags: Tag[]): ContextValues {
  const type = /^arn:aws:rds:[^:]*:[^:]*:([a-z-]+):/.exec(arn)?.[1] ?? '';
  const context: Record<string, string> = {};
  for (const t of tags) {
    context[`aws:ResourceTag/${t.Key}`] = t.Value;
    if (RDS_TAG_PREFIX[type]) context[`rds:${RDS_TAG_PREFIX[type]}/${t.Key}`] = t.Value;
  }
  return context;
}

/** Where an RDS action's parameters name resources: parameter -> resource type, and whether it is new. */
type Touch = { param: string; type: string; creates?: boolean };
const GROUPS: Touch[] = [
  { param: 'DBParameterGroupName', type: 'pg' },
  { param: 'OptionGroupName', type: 'og' },
  { param: 'DBSubnetGroupName', type: 'subgrp' },
  { param: 'DBClusterParameterGroupName', type: 'cluster-pg' },
];
const RDS_TOUCHES: Record<string, Touch[]> = {
  DescribeDBInstances: [{ param: 'DBInstanceIdentifier', type: 'db' }],
  DescribeDBClusters: [{ param: 'DBClusterIdentifier', type: 'cluster' }],
  DescribeDBSnapshots: [
    { param: 'DBSnapshotIdentifier', type: 'snapshot' },
    { param: 'DBInstanceIdentifier', type: 'db' },
  ],
  DescribeDBClusterSnapshots: [
    { param: 'DBClusterSnapshotIdentifier', type: 'cluster-snapshot' },
    { param: 'DBClusterIdentifier', type: 'cluster' },
  ],
  CreateDBSnapshot: [
    { param: 'DBInstanceIdentifier', type: 'db' },
    { param: 'DBSnapshotIdentifier', type: 'snapshot', creates: true },
  ],
  CreateDBClusterSnapshot: [
    { param: 'DBClusterIdentifier', type: 'cluster' },
    { param: 'DBClusterSnapshotIdentifier', type: 'cluster-snapshot', creates: true },
  ],
  ModifyDBInstance: [{ param: 'DBInstanceIdentifier', type: 'db' }, ...GROUPS],
  ModifyDBCluster: [{ param: 'DBClusterIdentifier', type: 'cluster' }, ...GROUPS],
  DeleteDBInstance: [
    { param: 'DBInstanceIdentifier', type: 'db' },
    { param: 'FinalDBSnapshotIdentifier', type: 'snapshot', creates: true },
  ],
  DeleteDBCluster: [
    { param: 'DBClusterIdentifier', type: 'cluster' },
    { param: 'FinalDBSnapshotIdentifier', type: 'cluster-snapshot', creates: true },
  ],
  RestoreDBInstanceFromDBSnapshot: [
    { param: 'DBInstanceIdentifier', type: 'db', creates: true },
    { param: 'DBSnapshotIdentifier', type: 'snapshot' },
    ...GROUPS,
  ],
  RestoreDBClusterFromSnapshot: [
    { param: 'DBClusterIdentifier', type: 'cluster', creates: true },
    { param: 'SnapshotIdentifier', type: 'cluster-snapshot' },
    ...GROUPS,
  ],
  RestoreDBInstanceToPointInTime: [
    { param: 'TargetDBInstanceIdentifier', type: 'db', creates: true },
    { param: 'SourceDBInstanceIdentifier', type: 'db' },
    ...GROUPS,
  ],
  RestoreDBClusterToPointInTime: [
    { param: 'DBClusterIdentifier', type: 'cluster', creates: true },
    { param: 'SourceDBClusterIdentifier', type: 'cluster' },
    ...GROUPS,
  ],
  DescribeDBInstanceAutomatedBackups: [{ param: 'DBInstanceIdentifier', type: 'db' }],
  CreateDBInstance: [
    { param: 'DBInstanceIdentifier', type: 'db', creates: true },
    { param: 'DBClusterIdentifier', type: 'cluster' },
    ...GROUPS,
  ],
  StartDBInstance: [{ param: 'DBInstanceIdentifier', type: 'db' }],
  StopDBInstance: [{ param: 'DBInstanceIdentifier', type: 'db' }],
  RebootDBInstance: [{ param: 'DBInstanceIdentifier', type: 'db' }],
  // Copies are authorised on the source (an ARN in another region or account, as given) and the new copy.
  CopyDBSnapshot: [
    { param: 'SourceDBSnapshotIdentifier', type: 'snapshot' },
    { param: 'TargetDBSnapshotIdentifier', type: 'snapshot', creates: true },
  ],
  CopyDBClusterSnapshot: [
    { param: 'SourceDBClusterSnapshotIdentifier', type: 'cluster-snapshot' },
    { param: 'TargetDBClusterSnapshotIdentifier', type: 'cluster-snapshot', creates: true },
  ],
  DeleteDBSnapshot: [{ param: 'DBSnapshotIdentifier', type: 'snapshot' }],
  DeleteDBClusterSnapshot: [{ param: 'DBClusterSnapshotIdentifier', type: 'cluster-snapshot' }],
  // Sharing (the `restore` attribute): on the snapshot.
  ModifyDBSnapshotAttribute: [{ param: 'DBSnapshotIdentifier', type: 'snapshot' }],
  ModifyDBClusterSnapshotAttribute: [{ param: 'DBClusterSnapshotIdentifier', type: 'cluster-snapshot' }],
  DescribeDBSnapshotAttributes: [{ param: 'DBSnapshotIdentifier', type: 'snapshot' }],
  DescribeDBClusterSnapshotAttributes: [{ param: 'DBClusterSnapshotIdentifier', type: 'cluster-snapshot' }],
  // Aurora global databases: the global cluster (its ARN has no region) and the member cluster named.
  CreateGlobalCluster: [
    { param: 'GlobalClusterIdentifier', type: 'global-cluster', creates: true },
    { param: 'SourceDBClusterIdentifier', type: 'cluster' },
  ],
  DescribeGlobalClusters: [{ param: 'GlobalClusterIdentifier', type: 'global-cluster' }],
  DeleteGlobalCluster: [{ param: 'GlobalClusterIdentifier', type: 'global-cluster' }],
  ModifyGlobalCluster: [{ param: 'GlobalClusterIdentifier', type: 'global-cluster' }],
  RemoveFromGlobalCluster: [
    { param: 'GlobalClusterIdentifier', type: 'global-cluster' },
    { param: 'DbClusterIdentifier', type: 'cluster' },
  ],
  SwitchoverGlobalCluster: [
    { param: 'GlobalClusterIdentifier', type: 'global-cluster' },
    { param: 'TargetDbClusterIdentifier', type: 'cluster' },
  ],
  FailoverGlobalCluster: [
    { param: 'GlobalClusterIdentifier', type: 'global-cluster' },
    { param: 'TargetDbClusterIdentifier', type: 'cluster' },
  ],
  CreateDBInstanceReadReplica: [
    { param: 'DBInstanceIdentifier', type: 'db', creates: true },
    { param: 'SourceDBInstanceIdentifier', type: 'db' },
  ],
  PromoteReadReplica: [{ param: 'DBInstanceIdentifier', type: 'db' }],
};
/** Tag-taking calls whose tags RDS authorises as `rds:AddTagsToResource` on the created resource. */
const SOURCE_OF_COPIED_TAGS: Record<string, string> = {
  CreateDBSnapshot: 'DBInstanceIdentifier',
  CreateDBClusterSnapshot: 'DBClusterIdentifier',
  DeleteDBInstance: 'DBInstanceIdentifier',
  DeleteDBCluster: 'DBClusterIdentifier',
};
/** KMS keys RDS uses on the caller's behalf (forward access: the caller needs the grant permissions). */
const USES_KMS_KEY: Record<string, { keyParam?: string; snapshotParam?: string }> = {
  RestoreDBInstanceFromDBSnapshot: { keyParam: 'KmsKeyId', snapshotParam: 'DBSnapshotIdentifier' },
  RestoreDBClusterFromSnapshot: { keyParam: 'KmsKeyId', snapshotParam: 'SnapshotIdentifier' },
  RestoreDBClusterToPointInTime: { keyParam: 'KmsKeyId' },
  CopyDBSnapshot: { keyParam: 'KmsKeyId' },
  CopyDBClusterSnapshot: { keyParam: 'KmsKeyId' },
  // "The caller of this operation must be authorized to run kms:CreateGrant, kms:DescribeKey" (StartExportTask).
  StartExportTask: { keyParam: 'KmsKeyId' },
};

function formTags(params: URLSearchParams): Tag[] {
  const byIndex = new Map<string, Partial<Tag>>();
  for (const [k, v] of params) {
    const m = /^Tags\.(?:Tag|member)\.(\d+)\.(Key|Value)$/.exec(k);
    if (!m) continue;
    const tag = byIndex.get(m[1]!) ?? {};
    tag[m[2] as 'Key' | 'Value'] = v;
    byIndex.set(m[1]!, tag);
  }
  return [...byIndex.values()].map((t) => ({ Key: t.Key ?? '', Value: t.Value ?? '' }));
}

function rdsRequests(req: LocalRequest, src: ContextSources): AuthorizationRequest[] {
  const params = formParams(req);
  const action = params.get('Action') ?? '';
  const rdsArn = (type: string, id: string) =>
    id.startsWith('arn:')
      ? id
      : `arn:aws:rds:${type === 'global-cluster' ? '' : src.region}:${src.accountId}:${type}:${id.toLowerCase()}`;
  const tags = formTags(params);
  const requestContext = tags.length ? requestTagContext(tags, 'rds') : {};
  const out: AuthorizationRequest[] = [];
  const created: string[] = [];
  let touches = RDS_TOUCHES[action];
  if (
    action === 'RestoreDBClusterFromSnapshot' &&
    /:snapshot:/.test(params.get('SnapshotIdentifier') ?? '')
  ) {
    touches = touches!.map((t) => (t.param === 'SnapshotIdentifier' ? { ...t, type: 'snapshot' } : t));
  }
  if (
    action === 'AddTagsToResource' ||
    action === 'RemoveTagsFromResource' ||
    action === 'ListTagsForResource'
  ) {
    const arn = params.get('ResourceName') ?? '*';
    const facts = src.rdsResource(arn);
    const context = { ...requestContext, ...(facts ? resourceTagContext(arn, facts.tags) : {}) };
    if (action === 'RemoveTagsFromResource') {
      context['aws:TagKeys'] = [...params.entries()]
        .filter(([k]) => k.startsWith('TagKeys.'))
        .map(([, v]) => v);
    }
    return [{ action: `rds:${action}`, resource: arn, context }];
  }
  if (action === 'StartExportTask') {
    // The source snapshot (by ARN), and passing the export role to RDS.
    const source = params.get('SourceArn') ?? '*';
    const facts = src.rdsResource(source);
    out.push({
      action: 'rds:StartExportTask',
      resource: source,
      context: facts ? resourceTagContext(source, facts.tags) : {},
    });
    const role = params.get('IamRoleArn');
    if (role)
      out.push({
        action: 'iam:PassRole',
        resource: role,
        context: { 'iam:PassedToService': 'rds.amazonaws.com' },
      });
    touches = [];
  }
  if (!touches) return [{ action: `rds:${action}`, resource: '*', context: requestContext }];
  for (const t of touches) {
    const id = params.get(t.param);
    const arn = id ? rdsArn(t.type, id) : `arn:aws:rds:${src.region}:${src.accountId}:${t.type}:*`;
    if (!id && (t.creates || GROUPS.includes(t))) continue;
    if (!id && out.length > 0) continue;
    const facts = t.creates ? undefined : src.rdsResource(arn);
    out.push({
      action: `rds:${action}`,
      resource: arn,
      context: { ...requestContext, ...(facts ? resourceTagContext(arn, facts.tags) : {}) },
    });
    if (t.creates && id) created.push(arn);
  }
  // Tags at creation: given in the request, or copied from the source (CopyTagsToSnapshot).
  const sourceParam = SOURCE_OF_COPIED_TAGS[action];
  const source = sourceParam
    ? src.rdsResource(
        rdsArn(sourceParam === 'DBClusterIdentifier' ? 'cluster' : 'db', params.get(sourceParam) ?? ''),
      )
    : undefined;
  const copied = !tags.length && source?.copyTagsToSnapshot ? source.tags : [];
  const creationTags = tags.length ? tags : copied;
  if (creationTags.length) {
    for (const arn of created) {
      out.push({
        action: 'rds:AddTagsToResource',
        resource: arn,
        context: requestTagContext(creationTags, 'rds'),
      });
    }
  }
  const kms = USES_KMS_KEY[action];
  if (kms) {
    const snapshotId = kms.snapshotParam ? params.get(kms.snapshotParam) : null;
    const snapshotType =
      action === 'RestoreDBInstanceFromDBSnapshot' || /:snapshot:/.test(snapshotId ?? '')
        ? 'snapshot'
        : 'cluster-snapshot';
    const key =
      (kms.keyParam && params.get(kms.keyParam)) ||
      (snapshotId ? src.rdsResource(rdsArn(snapshotType, snapshotId))?.kmsKeyId : undefined);
    if (key && !/alias\/aws\/rds$/.test(key)) {
      const keyArn = keyArnOf(key, src);
      const via = { 'kms:ViaService': `rds.${src.region}.amazonaws.com`, 'kms:CallerAccount': src.accountId };
      out.push({ action: 'kms:DescribeKey', resource: keyArn, context: via });
      out.push({
        action: 'kms:CreateGrant',
        resource: keyArn,
        context: { ...via, 'kms:GrantIsForAWSResource': 'true' },
      });
    }
  }
  return out;
}

/**
 * KMS: a call on a key (`KeyId`) is authorised on the key's ARN, whichever way the caller named it (an
 * alias is resolved to its key); calls on no key (CreateKey, ListKeys, ListAliases) on "*".
 */
function kmsRequests(req: LocalRequest, src: ContextSources): AuthorizationRequest[] {
  const action = `kms:${actionName(req) ?? '*'}`;
  const ref = jsonBody(req).KeyId;
  const context = { 'kms:CallerAccount': src.accountId };
  if (typeof ref !== 'string' || ref === '') return [{ action, resource: '*', context }];
  return [{ action, resource: keyArnOf(ref, src), context }];
}

/**
 * Secrets Manager: a call on a secret is authorised on its full ARN (the six characters Secrets Manager
 * appends to the name included); a secret not created yet has its name and `-??????` there.
 */
function secretsRequests(req: LocalRequest, src: ContextSources): AuthorizationRequest[] {
  const action = `secretsmanager:${actionName(req) ?? '*'}`;
  const body = jsonBody(req);
  const id = typeof body.SecretId === 'string' ? body.SecretId : body.Name;
  if (typeof id !== 'string' || id === '') return [{ action, resource: '*', context: {} }];
  const resource =
    src.secretArn?.(id, src) ??
    (id.startsWith('arn:')
      ? id
      : `arn:aws:secretsmanager:${src.region}:${src.accountId}:secret:${id}-??????`);
  return [{ action, resource, context: {} }];
}

const SQS_ACTION_ALIASES: Record<string, string> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

function sqsRequests(req: LocalRequest, src: ContextSources): AuthorizationRequest[] {
  const action = actionName(req) ?? '';
  const body = req.headers['x-amz-target'] ? jsonBody(req) : Object.fromEntries(formParams(req));
  const url = (body.QueueUrl as string | undefined) ?? '';
  const name = url ? url.slice(url.lastIndexOf('/') + 1) : ((body.QueueName as string | undefined) ?? '*');
  return [
    {
      action: `sqs:${SQS_ACTION_ALIASES[action] ?? action}`,
      resource: `arn:aws:sqs:${src.region}:${src.accountId}:${name}`,
      context: {},
    },
  ];
}

function dynamodbRequests(req: LocalRequest, src: ContextSources): AuthorizationRequest[] {
  const action = actionName(req) ?? '';
  const body = jsonBody(req);
  const table = (body.TableName as string | undefined) ?? '*';
  const index = body.IndexName ? `/index/${body.IndexName as string}` : '';
  return [
    {
      action: `dynamodb:${action}`,
      resource: `arn:aws:dynamodb:${src.region}:${src.accountId}:table/${table}${index}`,
      context: {},
    },
  ];
}

function eventsRequests(req: LocalRequest, src: ContextSources): AuthorizationRequest[] {
  const action = actionName(req) ?? '';
  const body = jsonBody(req);
  const busArn = (bus: string | undefined) =>
    bus?.startsWith('arn:')
      ? bus
      : `arn:aws:events:${src.region}:${src.accountId}:event-bus/${bus ?? 'default'}`;
  if (action !== 'PutEvents') {
    const bus = (body.EventBusName as string | undefined) ?? (body.Name as string | undefined);
    return [{ action: `events:${action}`, resource: busArn(bus), context: {} }];
  }
  const entries = (body.Entries as { EventBusName?: string; Source?: string; DetailType?: string }[]) ?? [];
  const buses = new Map<string, typeof entries>();
  for (const e of entries)
    buses.set(busArn(e.EventBusName), [...(buses.get(busArn(e.EventBusName)) ?? []), e]);
  return [...buses].map(([resource, list]) => ({
    action: 'events:PutEvents',
    resource,
    context: {
      'events:source': [...new Set(list.map((e) => e.Source ?? ''))],
      'events:detail-type': [...new Set(list.map((e) => e.DetailType ?? ''))],
    },
  }));
}

function sesRequests(req: LocalRequest, src: ContextSources): AuthorizationRequest[] {
  const v2 = req.path.startsWith('/v2/email/outbound-emails');
  const from = v2
    ? ((jsonBody(req).FromEmailAddress as string | undefined) ?? '')
    : (formParams(req).get('Source') ?? '');
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
  return [
    {
      action: v2 || formParams(req).get('Action') === 'SendEmail' ? 'ses:SendEmail' : 'ses:SendRawEmail',
      resource: `arn:aws:ses:${src.region}:${src.accountId}:identity/${address}`,
      context: { 'ses:FromAddress': address },
    },
  ];
}

function snsRequests(req: LocalRequest, src: ContextSources): AuthorizationRequest[] {
  const params = formParams(req);
  const topic = params.get('TopicArn') ?? `arn:aws:sns:${src.region}:${src.accountId}:*`;
  return [{ action: `sns:${params.get('Action') ?? ''}`, resource: topic, context: {} }];
}

/** Scheduler's REST operations by method and path (`/schedules/{Name}`, `/schedule-groups/{Name}`). */
function schedulerRequests(req: LocalRequest, src: ContextSources): AuthorizationRequest[] {
  const [, collection, name] = req.path.split('/');
  const groups = collection === 'schedule-groups';
  const verb =
    { POST: 'Create', PUT: 'Update', GET: name ? 'Get' : 'List', DELETE: 'Delete' }[req.method] ?? '';
  const action = `scheduler:${verb}${groups ? 'ScheduleGroup' : 'Schedule'}${name ? '' : 's'}`;
  const body = jsonBody(req);
  const group = (body.GroupName as string | undefined) ?? req.query.get('groupName') ?? 'default';
  const base = `arn:aws:scheduler:${src.region}:${src.accountId}`;
  const resource = !name
    ? '*'
    : groups
      ? `${base}:schedule-group/${decodeURIComponent(name)}`
      : `${base}:schedule/${group}/${decodeURIComponent(name)}`;
  const out: AuthorizationRequest[] = [{ action, resource, context: {} }];
  // Creating or updating a schedule passes its target role to Scheduler.
  const role = (body.Target as { RoleArn?: string } | undefined)?.RoleArn;
  if (role && (verb === 'Create' || verb === 'Update'))
    out.push({
      action: 'iam:PassRole',
      resource: role,
      context: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
    });
  return out;
}

/**
 * ElastiCache: the replication groups and global datastores a call names (global datastore ARNs have no
 * region); describe calls without an identifier are authorised on `*`.
 */
function elasticacheRequests(req: LocalRequest, src: ContextSources): AuthorizationRequest[] {
  const params = formParams(req);
  const action = params.get('Action') ?? '';
  const group = (id: string, region = src.region) =>
    `arn:aws:elasticache:${region}:${src.accountId}:replicationgroup:${id.toLowerCase()}`;
  const globalId = params.get('GlobalReplicationGroupId');
  const resources: string[] = [];
  if (globalId) resources.push(`arn:aws:elasticache::${src.accountId}:globalreplicationgroup:${globalId}`);
  // A failover is authorised on the global datastore alone; other calls also on the group they name.
  const groupId =
    action === 'FailoverGlobalReplicationGroup'
      ? undefined
      : (params.get('ReplicationGroupId') ?? params.get('PrimaryReplicationGroupId'));
  const groupRegion = params.get('ReplicationGroupRegion') ?? src.region;
  if (groupId) resources.push(group(groupId, groupRegion));
  const tags = formTags(params);
  const context = tags.length ? requestTagContext(tags) : {};
  if (resources.length === 0) resources.push('*');
  return resources.map((resource) => ({ action: `elasticache:${action}`, resource, context }));
}

/** CloudWatch signs as `monitoring` but authorises as `cloudwatch:`; reading metrics has no resource. */
function cloudwatchRequests(req: LocalRequest): AuthorizationRequest[] {
  return [{ action: `cloudwatch:${actionName(req) ?? '*'}`, resource: '*', context: {} }];
}

const BY_SERVICE: Record<string, (req: LocalRequest, src: ContextSources) => AuthorizationRequest[]> = {
  scheduler: schedulerRequests,
  elasticache: elasticacheRequests,
  monitoring: cloudwatchRequests,
  rds: rdsRequests,
  kms: kmsRequests,
  secretsmanager: secretsRequests,
  sqs: sqsRequests,
  dynamodb: dynamodbRequests,
  events: eventsRequests,
  ses: sesRequests,
  email: sesRequests,
  sns: snsRequests,
};

/** The authorisations a request needs; `undefined` for calls IAM does not authorise (sts:GetCallerIdentity). */
export function authorizationRequests(
  service: string,
  req: LocalRequest,
  src: ContextSources,
): AuthorizationRequest[] | undefined {
  if (service === 'sts') return undefined;
  const build = BY_SERVICE[service];
  // Resources are named in the account and region the request acts in (its SigV4 scope).
  const here = req.caller ? { ...src, region: req.caller.region, accountId: req.caller.accountId } : src;
  if (build) return build(req, here);
  return [{ action: `${service}:${actionName(req) ?? '*'}`, resource: '*', context: {} }];
}
