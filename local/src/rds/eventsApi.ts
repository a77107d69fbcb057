/** DescribeEvents and the event subscription calls. */
import { KNOWN_CATEGORIES, VALID_API_SOURCE_TYPES } from './catalog';
import { err, RdsError } from './errors';
import type { EventSubscription } from './model';
import { paginate } from './paging';
import { type Params, type XmlObject, xmlList } from './protocol';
import { renderEvent, renderSubscription } from './render';
import type { RdsState } from './state';

const DAY = 24 * 3600 * 1000;

export function describeEvents(s: RdsState, p: Params): XmlObject {
  const sourceType = p.str('SourceType');
  if (sourceType !== undefined && !VALID_API_SOURCE_TYPES.has(sourceType)) {
    throw err.value(`Invalid SourceType: ${sourceType}`);
  }
  const sourceIdentifier = p.str('SourceIdentifier');
  if (sourceIdentifier !== undefined && sourceType === undefined) {
    throw err.combination('Cannot specify source identifier without source type');
  }
  const now = s.clock.now();
  let startTime = p.date('StartTime');
  let endTime = p.date('EndTime');
  const duration = p.int('Duration');
  if (duration !== undefined && startTime === undefined) {
    endTime ??= new Date(now);
    startTime = new Date(endTime.getTime() - duration * 60_000);
  }
  // Without a window RDS returns the past hour.
  startTime ??= new Date((endTime?.getTime() ?? now) - 3600_000);
  if (startTime.getTime() < now - 14 * DAY) startTime = new Date(now - 14 * DAY);
  const events = s.events.describe({
    sourceType,
    sourceIdentifier:
      sourceIdentifier === undefined ? undefined : s.naming.idFromArnOrId(sourceIdentifier).toLowerCase(),
    startTime,
    endTime,
    categories: p.list('EventCategories'),
  });
  const page = paginate(p, events);
  return { Marker: page.marker, Events: xmlList('Event', page.items.map(renderEvent)) };
}

function validateSubscription(sourceType: string | undefined, categories: string[]): void {
  if (sourceType !== undefined && !VALID_API_SOURCE_TYPES.has(sourceType)) {
    throw new RdsError('SubscriptionCategoryNotFound', `Invalid source type: ${sourceType}`);
  }
  for (const c of categories) {
    if (!KNOWN_CATEGORIES.has(c))
      throw new RdsError('SubscriptionCategoryNotFound', `Category ${c} not found.`);
  }
}

export function createEventSubscription(s: RdsState, p: Params): XmlObject {
  const name = p.req('SubscriptionName');
  const topic = p.req('SnsTopicArn');
  if (!/^arn:aws:sns:/.test(topic)) throw new RdsError('SNSInvalidTopic', `Invalid SNS topic ARN: ${topic}`);
  if (s.subscriptions.has(name))
    throw new RdsError('SubscriptionAlreadyExist', `Subscription ${name} already exists.`);
  const sourceType = p.str('SourceType');
  const categories = p.list('EventCategories') ?? [];
  const sourceIds = (p.list('SourceIds') ?? []).map((i) => i.toLowerCase());
  validateSubscription(sourceType, categories);
  if (sourceIds.length > 0 && sourceType === undefined) {
    throw err.combination('SourceType must be specified when SourceIds are.');
  }
  const sub: EventSubscription = {
    name,
    snsTopicArn: topic,
    sourceType,
    sourceIds,
    categories,
    enabled: p.bool('Enabled') ?? true,
    createdAt: s.clock.date(),
    tags: p.tags() ?? [],
  };
  s.subscriptions.set(name, sub);
  return { EventSubscription: renderSubscription(s, sub) };
}

export function describeEventSubscriptions(s: RdsState, p: Params): XmlObject {
  const name = p.str('SubscriptionName');
  let list = [...s.subscriptions.values()];
  if (name !== undefined) {
    list = list.filter((x) => x.name === name);
    if (list.length === 0) throw new RdsError('SubscriptionNotFound', `Subscription ${name} not found.`);
  }
  const page = paginate(p, list);
  return {
    Marker: page.marker,
    EventSubscriptionsList: xmlList(
      'EventSubscription',
      page.items.map((x) => renderSubscription(s, x)),
    ),
  };
}

export function deleteEventSubscription(s: RdsState, p: Params): XmlObject {
  const name = p.req('SubscriptionName');
  const sub = s.subscriptions.get(name);
  if (!sub) throw new RdsError('SubscriptionNotFound', `Subscription ${name} not found.`);
  s.subscriptions.delete(name);
  return { EventSubscription: { ...renderSubscription(s, sub), Status: 'deleting' } };
}
