/**
 * Sharing manual snapshots with other accounts (aws-facts-copies-dr.md §3): `ModifyDBSnapshotAttribute`
 * / `ModifyDBClusterSnapshotAttribute` with `AttributeName` `restore` and account ids (or `all` =
 * public, refused for encrypted snapshots), at most 20 accounts; the other account then lists them
 * (`SnapshotType` `shared`, or `IncludeShared`) and copies or restores them by ARN. Sharing a snapshot
 * encrypted with the default `aws/rds` key succeeds, as in AWS: the other account's copy is what fails.
 */
import { err, RdsError } from './errors';
import type { DbClusterSnapshot, DbSnapshot } from './model';
import { sharedWith } from './places';
import type { Params, XmlObject } from './protocol';
import { xmlList } from './protocol';
import type { RdsState } from './state';

const MAX_SHARED_ACCOUNTS = 20;
const ACCOUNT_ID = /^\d{12}$/;

function modify(s: RdsState, p: Params, snap: DbSnapshot | DbClusterSnapshot, what: string): void {
  const name = p.req('AttributeName');
  if (name !== 'restore') {
    throw err.value(`Invalid AttributeName ${name}: the only attribute you can modify is "restore".`);
  }
  if (snap.snapshotType !== 'manual') {
    throw (snap.kind === 'snapshot' ? err.snapshotState : err.clusterSnapshotState)(
      `Only manual snapshots can be shared; ${snap.id} is automated: copy it to a manual ${what} (CopyDB${what === 'snapshot' ? '' : 'Cluster'}Snapshot) and share the copy.`,
    );
  }
  const add = p.list('ValuesToAdd') ?? [];
  const remove = p.list('ValuesToRemove') ?? [];
  for (const v of [...add, ...remove]) {
    if (v !== 'all' && !ACCOUNT_ID.test(v)) {
      throw err.value(
        `Invalid account id ${v}: give 12-digit AWS account ids, or "all" to make the ${what} public.`,
      );
    }
    if (v === s.identity.accountId)
      throw err.value(`${v} is the owner of ${snap.id}: share it with other accounts.`);
  }
  if (add.includes('all') && snap.source.storageEncrypted) {
    throw err.value(
      `The ${what} ${snap.id} is encrypted: it can be shared only with listed account ids, not with "all".`,
    );
  }
  const next = [...new Set([...snap.sharedWith.filter((a) => !remove.includes(a)), ...add])];
  if (next.filter((a) => a !== 'all').length > MAX_SHARED_ACCOUNTS) {
    throw new RdsError(
      'SharedSnapshotQuotaExceeded',
      `A manual ${what} can be shared with at most ${MAX_SHARED_ACCOUNTS} accounts; ${snap.id} would have ${next.length}.`,
    );
  }
  snap.sharedWith = next;
  s.note(snap, `restore attribute: ${next.join(', ') || '(not shared)'}`);
}

function attributes(snap: DbSnapshot | DbClusterSnapshot, member: string): XmlObject {
  return {
    [`${member}s`]: xmlList(member, [
      { AttributeName: 'restore', AttributeValues: xmlList('AttributeValue', snap.sharedWith) },
    ]),
  };
}

export function modifyDBSnapshotAttribute(s: RdsState, p: Params): XmlObject {
  const snap = s.snapshot(p.req('DBSnapshotIdentifier'));
  modify(s, p, snap, 'snapshot');
  return describeOf(snap);
}

export function describeDBSnapshotAttributes(s: RdsState, p: Params): XmlObject {
  return describeOf(s.snapshot(p.req('DBSnapshotIdentifier')));
}

function describeOf(snap: DbSnapshot): XmlObject {
  return {
    DBSnapshotAttributesResult: { DBSnapshotIdentifier: snap.id, ...attributes(snap, 'DBSnapshotAttribute') },
  };
}

function describeClusterOf(snap: DbClusterSnapshot): XmlObject {
  return {
    DBClusterSnapshotAttributesResult: {
      DBClusterSnapshotIdentifier: snap.id,
      ...attributes(snap, 'DBClusterSnapshotAttribute'),
    },
  };
}

export function modifyDBClusterSnapshotAttribute(s: RdsState, p: Params): XmlObject {
  const snap = s.clusterSnapshot(p.req('DBClusterSnapshotIdentifier'));
  modify(s, p, snap, 'cluster snapshot');
  return describeClusterOf(snap);
}

export function describeDBClusterSnapshotAttributes(s: RdsState, p: Params): XmlObject {
  return describeClusterOf(s.clusterSnapshot(p.req('DBClusterSnapshotIdentifier')));
}

/**
 * Snapshots of other accounts in the caller's region visible to the caller: `shared` (shared with its
 * account), `public` (shared with all). Each with the state it lives in, for rendering.
 */
export function visibleShared<T extends DbSnapshot | DbClusterSnapshot>(
  s: RdsState,
  which: { shared: boolean; public: boolean },
  store: (owner: RdsState) => Map<string, T>,
): { owner: RdsState; item: T }[] {
  const out: { owner: RdsState; item: T }[] = [];
  for (const owner of s.world.all()) {
    if (owner.identity.region !== s.identity.region || owner.identity.accountId === s.identity.accountId)
      continue;
    for (const item of store(owner).values()) {
      if (!sharedWith(item, s.identity.accountId)) continue;
      const isPublic = !item.sharedWith.includes(s.identity.accountId);
      if (isPublic ? which.public : which.shared) out.push({ owner, item });
    }
  }
  return out;
}

/** Which shared snapshots a Describe call asks for (`SnapshotType` / `IncludeShared` / `IncludePublic`). */
export function sharedSelection(p: Params): { shared: boolean; public: boolean; own: boolean } {
  const type = p.str('SnapshotType');
  if (type === 'shared') return { shared: true, public: false, own: false };
  if (type === 'public') return { shared: false, public: true, own: false };
  if (type !== undefined) return { shared: false, public: false, own: true };
  return { shared: p.bool('IncludeShared') === true, public: p.bool('IncludePublic') === true, own: true };
}
