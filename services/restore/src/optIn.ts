import type { Tag } from '@aws-sdk/client-rds';
import { Rejection } from './rejection';

/** A database (instance, cluster, or a cluster's member instance) as the opt-in check sees it. */
export interface OptInSubject {
  /** `DB instance orders-db`, `member ledger-2 of cluster ledger`, ... */
  what: string;
  identifier: string;
  arn?: string;
  tags?: Tag[];
}

function tagValue(subject: OptInSubject, key: string): string | undefined {
  return subject.tags?.find((t) => t.Key === key)?.Value;
}

/**
 * Rewind touches only databases carrying the opt-in tag with exactly the configured value: its IAM
 * policies (`aws:ResourceTag/<key>` with `StringEquals`) compare case-sensitively, so `True` would pass a
 * lenient check here and then fail the run at its first change with AccessDenied. A cluster is touched
 * through its member instances too (each is renamed and deleted, each authorised on its own tags), so
 * the cluster and every member need the tag. The rejection names every database missing it and the
 * commands that fix them.
 */
export function checkOptedIn(
  subjects: readonly OptInSubject[],
  optIn: { key: string; value: string },
  identifier: string,
): void {
  const { key, value } = optIn;
  const missing = subjects.filter((s) => tagValue(s, key) !== value);
  if (!missing.length) return;
  const found = missing.map((s) => {
    const v = tagValue(s, key);
    if (v === undefined) return `${s.what}: no ${key} tag`;
    const hint = v.toLowerCase() === value.toLowerCase() ? ' (IAM compares tag values case-sensitively)' : '';
    return `${s.what}: ${key}=${v}${hint}`;
  });
  const commands = missing.map(
    (s) =>
      `aws rds add-tags-to-resource --resource-name ${s.arn ?? s.identifier} --tags Key=${key},Value=${value}`,
  );
  const names = missing.map((s) => s.identifier).join(', ');
  throw new Rejection(
    'not-opted-in',
    `${identifier} is not opted in: ${names} need${missing.length === 1 ? 's' : ''} the tag ${key}=${value} ` +
      `(found ${found.join('; ')}). Add it with: ${commands.join(' && ')}`,
  );
}
