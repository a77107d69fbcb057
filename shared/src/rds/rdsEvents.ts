import type { ResourceKind } from '../state/types';

/** An RDS event reduced to what Rewind needs, from EventBridge (`aws.rds`) or the SNS adapter. */
export interface RdsEvent {
  kind: ResourceKind;
  /** Resource name, from the ARN when there is one (automated snapshot names start with `rds:`). */
  name: string;
  eventId?: string;
  message: string;
  categories: string[];
  date?: string;
  /** Where the resource lives, from its ARN (or the envelope's account and region). */
  account?: string;
  region?: string;
}

const SOURCE_TYPES: Record<string, ResourceKind> = {
  DB_INSTANCE: 'instance',
  SNAPSHOT: 'snapshot',
  CLUSTER: 'cluster',
  CLUSTER_SNAPSHOT: 'cluster-snapshot',
};

const DETAIL_TYPES: Record<string, ResourceKind> = {
  'RDS DB Instance Event': 'instance',
  'RDS DB Snapshot Event': 'snapshot',
  'RDS DB Cluster Event': 'cluster',
  'RDS DB Cluster Snapshot Event': 'cluster-snapshot',
};

const ARN_KINDS: Record<string, ResourceKind> = {
  db: 'instance',
  snapshot: 'snapshot',
  cluster: 'cluster',
  'cluster-snapshot': 'cluster-snapshot',
};

/** Message patterns for events that arrive without an EventID. */
const MESSAGE_IDS: [RegExp, string][] = [
  [/^DB instance created/i, 'RDS-EVENT-0005'],
  [/^DB instance deleted/i, 'RDS-EVENT-0003'],
  [/^DB instance restarted/i, 'RDS-EVENT-0006'],
  [/^Restored from snapshot/i, 'RDS-EVENT-0043'],
  [/^Manual snapshot created/i, 'RDS-EVENT-0042'],
  [/^Creating manual snapshot/i, 'RDS-EVENT-0040'],
  [/^Deleted manual snapshot/i, 'RDS-EVENT-0041'],
  [/^DB cluster created/i, 'RDS-EVENT-0170'],
  [/^DB cluster deleted/i, 'RDS-EVENT-0171'],
  [/^Renamed cluster from/i, 'RDS-EVENT-0172'],
  [/^Manual cluster snapshot created/i, 'RDS-EVENT-0075'],
  [/^Creating manual cluster snapshot/i, 'RDS-EVENT-0074'],
];

function parseArn(
  arn: string | undefined,
): { kind: ResourceKind; name: string; region?: string; account?: string } | undefined {
  const m = /^arn:[^:]+:rds:([^:]*):(\d*):(db|snapshot|cluster|cluster-snapshot):(.+)$/.exec(arn ?? '');
  return m
    ? { kind: ARN_KINDS[m[3]!]!, name: m[4]!, region: m[1] || undefined, account: m[2] || undefined }
    : undefined;
}

/**
 * Normalises an `aws.rds` EventBridge envelope. Returns undefined for events Rewind cannot place
 * (unknown source type, no identifier).
 */
export function normaliseRdsEvent(envelope: {
  'detail-type'?: string;
  detail?: Record<string, unknown>;
  resources?: string[];
  account?: string;
  region?: string;
}): RdsEvent | undefined {
  const d = envelope.detail ?? {};
  const fromArn = parseArn(d.SourceArn as string | undefined) ?? parseArn(envelope.resources?.[0]);
  const kind =
    fromArn?.kind ?? SOURCE_TYPES[String(d.SourceType)] ?? DETAIL_TYPES[envelope['detail-type'] ?? ''];
  let name = fromArn?.name;
  if (!name && typeof d.SourceIdentifier === 'string') {
    // Without an ARN, `rds:` is a prefix for instances and clusters but part of automated snapshot names.
    name =
      kind === 'snapshot' || kind === 'cluster-snapshot'
        ? d.SourceIdentifier
        : d.SourceIdentifier.replace(/^rds:/, '');
  }
  if (!kind || !name) return undefined;
  const message = String(d.Message ?? '');
  const eventId =
    (typeof d.EventID === 'string' && d.EventID) ||
    MESSAGE_IDS.find(([re]) => re.test(message))?.[1] ||
    undefined;
  return {
    kind,
    name: name.toLowerCase(),
    eventId,
    message,
    categories: Array.isArray(d.EventCategories) ? (d.EventCategories as string[]) : [],
    date: typeof d.Date === 'string' ? d.Date : undefined,
    account: fromArn?.account ?? envelope.account,
    region: fromArn?.region ?? envelope.region,
  };
}
