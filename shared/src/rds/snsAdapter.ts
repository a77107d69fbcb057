/**
 * Normalises RDS event-subscription notifications (delivered through SNS) into the shape of the
 * `aws.rds` events RDS sends to the default EventBridge bus, so the services handle both channels alike.
 *
 * The SNS message is a JSON string with keys `Event Source` (`db-instance`, `db-snapshot`, `db-cluster`,
 * `db-cluster-snapshot`, ...), `Event Time` (`2023-09-19 15:45:00.123`, UTC), `Identifier Link`,
 * `Source ID`, `Event ID` (a documentation URL ending in `#RDS-EVENT-0002`), `Event Message`, and in
 * newer messages `Source ARN`.
 *
 * EventBridge refuses `PutEvents` entries whose source starts with `aws.` (NotAuthorizedForSourceException),
 * so these events keep the `detail-type`, `detail` and `resources` of the RDS originals but carry the
 * source `RDS_SUBSCRIPTION_SOURCE`.
 */

export const RDS_SUBSCRIPTION_SOURCE = 'rewind.rds-subscription';

interface SourceKind {
  detailType: string;
  sourceType: string;
  arnType: string;
}

const SOURCES: Record<string, SourceKind> = {
  'db-instance': { detailType: 'RDS DB Instance Event', sourceType: 'DB_INSTANCE', arnType: 'db' },
  'db-snapshot': { detailType: 'RDS DB Snapshot Event', sourceType: 'SNAPSHOT', arnType: 'snapshot' },
  'db-cluster': { detailType: 'RDS DB Cluster Event', sourceType: 'CLUSTER', arnType: 'cluster' },
  'db-cluster-snapshot': {
    detailType: 'RDS DB Cluster Snapshot Event',
    sourceType: 'CLUSTER_SNAPSHOT',
    arnType: 'cluster-snapshot',
  },
};

/** The `detail` of an `aws.rds` event. */
interface RdsEventDetail {
  EventCategories: string[];
  SourceType: string;
  SourceArn: string;
  SourceIdentifier: string;
  Date: string;
  Message: string;
  EventID?: string;
}

interface NormalisedRdsEvent {
  source: typeof RDS_SUBSCRIPTION_SOURCE;
  detailType: string;
  time: Date;
  resources: string[];
  detail: RdsEventDetail;
}

/** Where the notification came from: the SNS topic's ARN gives partition, region and account. */
export interface NotificationOrigin {
  topicArn: string;
}

export type NormaliseResult =
  | { kind: 'event'; event: NormalisedRdsEvent }
  /** Not an event Rewind uses (another source type, a test message): nothing to publish. */
  | { kind: 'ignored'; reason: string };

function text(message: Record<string, unknown>, key: string): string | undefined {
  const value = message[key];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** `2023-09-19 15:45:00.123` (UTC, as RDS writes it) or any ISO-8601 time -> ISO-8601 with milliseconds. */
export function parseEventTime(raw: string): Date | undefined {
  const isoish = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(raw) ? raw.replace(' ', 'T') : raw;
  const withZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(isoish) ? isoish : `${isoish}Z`;
  const date = new Date(withZone);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** `http://docs.../USER_Events.html#RDS-EVENT-0002` -> `RDS-EVENT-0002`. */
export function eventIdFromUrl(raw: string | undefined): string | undefined {
  return raw?.match(/RDS-EVENT-\d+/i)?.[0]?.toUpperCase();
}

function arnParts(topicArn: string): { partition: string; region: string; account: string } | undefined {
  const parts = topicArn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn' || !parts[1] || !parts[3] || !parts[4]) return undefined;
  return { partition: parts[1], region: parts[3], account: parts[4] };
}

/**
 * Normalises one SNS message (the `Sns.Message` string of a Lambda SNS record). Never throws: a message
 * it cannot use (retrying would not help) comes back as `ignored` with the reason, for the handler to log.
 */
export function normaliseRdsNotification(message: string, origin: NotificationOrigin): NormaliseResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return { kind: 'ignored', reason: `not JSON: ${message.slice(0, 120)}` };
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { kind: 'ignored', reason: 'not a JSON object' };
  }
  const fields = parsed as Record<string, unknown>;
  const sourceName = text(fields, 'Event Source');
  if (!sourceName) return { kind: 'ignored', reason: 'no "Event Source"' };
  const kind = SOURCES[sourceName];
  if (!kind) return { kind: 'ignored', reason: `event source "${sourceName}" is not one Rewind uses` };

  const rawId = text(fields, 'Source ID');
  if (!rawId) return { kind: 'ignored', reason: 'no "Source ID"' };
  const rawTime = text(fields, 'Event Time');
  const time = rawTime ? parseEventTime(rawTime) : undefined;
  if (!time) return { kind: 'ignored', reason: `unreadable "Event Time": ${rawTime ?? '(missing)'}` };

  let sourceArn = text(fields, 'Source ARN');
  if (!sourceArn) {
    const where = arnParts(origin.topicArn);
    if (!where)
      return { kind: 'ignored', reason: `cannot derive the source ARN from topic ${origin.topicArn}` };
    // Automated snapshot names really start with `rds:`; the ARN keeps the name as RDS reports it.
    sourceArn = `arn:${where.partition}:rds:${where.region}:${where.account}:${kind.arnType}:${rawId}`;
  }
  const eventId = eventIdFromUrl(text(fields, 'Event ID'));
  const detail: RdsEventDetail = {
    // SNS notifications carry no categories; services match on EventID first (see docs/aws-facts.md).
    EventCategories: [],
    SourceType: kind.sourceType,
    SourceArn: sourceArn,
    SourceIdentifier: rawId,
    Date: time.toISOString(),
    Message: text(fields, 'Event Message') ?? '',
    ...(eventId ? { EventID: eventId } : {}),
  };
  return {
    kind: 'event',
    event: {
      source: RDS_SUBSCRIPTION_SOURCE,
      detailType: kind.detailType,
      time,
      resources: [sourceArn],
      detail,
    },
  };
}
