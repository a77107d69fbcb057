/** AddTagsToResource, RemoveTagsFromResource, ListTagsForResource. */
import { err, RdsError } from './errors';
import { type Params, type XmlObject, xmlList } from './protocol';
import { mergeTags, type RdsState } from './state';

function target(s: RdsState, p: Params): { tags: { Key: string; Value: string }[] } {
  const arn = p.req('ResourceName');
  if (!arn.startsWith('arn:')) throw err.value(`Invalid resource name: ${arn}`);
  const t = s.taggable(arn);
  if (t) return t;
  const type = /^arn:aws:rds:[^:]*:[^:]*:([a-z-]+):/.exec(arn)?.[1];
  const id = s.naming.idFromArnOrId(arn);
  switch (type) {
    case 'db':
      throw err.instanceNotFound(id);
    case 'cluster':
      throw err.clusterNotFound(id);
    case 'snapshot':
      throw err.snapshotNotFound(id);
    case 'cluster-snapshot':
      throw err.clusterSnapshotNotFound(id);
    case 'es':
      throw new RdsError('SubscriptionNotFound', `Subscription ${id} not found.`);
    default:
      throw err.value(`Unsupported resource type in ${arn}`);
  }
}

export function addTagsToResource(s: RdsState, p: Params): undefined {
  const t = target(s, p);
  t.tags = mergeTags(t.tags, p.tags() ?? []);
  return undefined;
}

export function removeTagsFromResource(s: RdsState, p: Params): undefined {
  const t = target(s, p);
  const keys = p.list('TagKeys') ?? [];
  t.tags = t.tags.filter((tag) => !keys.includes(tag.Key));
  return undefined;
}

export function listTagsForResource(s: RdsState, p: Params): XmlObject {
  const t = target(s, p);
  return { TagList: xmlList('Tag', t.tags) };
}
