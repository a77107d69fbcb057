import { ModifyDBClusterCommand, ModifyDBInstanceCommand } from '@aws-sdk/client-rds';
import {
  clusterConfigOf,
  derivedIdentifier,
  describeError,
  FAILED_CLUSTER_STATUSES,
  FAILED_INSTANCE_STATUSES,
  findCluster,
  findInstance,
  instanceConfigOf,
  isRdsError,
  nameOf,
  type OpState,
  type PhaseOp,
  type Phases,
  type RollbackAdvice,
  type RunRecord,
  type ServiceContext,
} from '@rewind/shared';

/**
 * The renames of a run, for both steps of the rename service. An instance run renames the instance; a
 * cluster run renames the cluster, then each member (members keep their names on a cluster rename).
 * Every rename is checked by resource id, never by name alone: the name to leave must be held by the
 * database the run recorded, the name to take must be free or already ours. A rename is done when the
 * new name is available and the old one no longer answers for that database.
 */

export type Purpose = 'set-aside' | 'rename-back';

/** One database to rename. `resourceId`: DbiResourceId or DbClusterResourceId the run recorded. */
export interface Rename {
  kind: 'cluster' | 'instance';
  from: string;
  to: string;
  resourceId?: string;
}

interface Found {
  status: string;
  resourceId?: string;
}

/** How each kind of database is described and renamed. */
interface RenameApi {
  noun: string;
  failedStatuses: Set<string>;
  notFound: string;
  find(ctx: ServiceContext, name: string): Promise<Found | undefined>;
  rename(ctx: ServiceContext, from: string, to: string): Promise<unknown>;
  /** The CLI command a person runs to make the rename by hand. */
  command(from: string, to: string): string;
}

const API: Record<Rename['kind'], RenameApi> = {
  instance: {
    noun: 'instance',
    failedStatuses: FAILED_INSTANCE_STATUSES,
    notFound: 'DBInstanceNotFound',
    find: async (ctx, name) => {
      const db = await findInstance(ctx.rds, name);
      return db && { status: db.DBInstanceStatus ?? 'unknown', resourceId: db.DbiResourceId };
    },
    rename: (ctx, from, to) =>
      ctx.rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: from,
          NewDBInstanceIdentifier: to,
          ApplyImmediately: true,
        }),
      ),
    command: (from, to) =>
      `aws rds modify-db-instance --db-instance-identifier ${from} --new-db-instance-identifier ${to} --apply-immediately`,
  },
  cluster: {
    noun: 'cluster',
    failedStatuses: FAILED_CLUSTER_STATUSES,
    notFound: 'DBClusterNotFoundFault',
    find: async (ctx, name) => {
      const c = await findCluster(ctx.rds, name);
      return c && { status: c.Status ?? 'unknown', resourceId: c.DbClusterResourceId };
    },
    rename: (ctx, from, to) =>
      ctx.rds.send(
        new ModifyDBClusterCommand({
          DBClusterIdentifier: from,
          NewDBClusterIdentifier: to,
          ApplyImmediately: true,
        }),
      ),
    command: (from, to) =>
      `aws rds modify-db-cluster --db-cluster-identifier ${from} --new-db-cluster-identifier ${to} --apply-immediately`,
  },
};

/** What the run renames for `purpose`: the database itself, then the members of a cluster. */
export function renamesOf(run: RunRecord, purpose: Purpose): { main: Rename; members: Rename[] } {
  const aside = (r: Rename): Rename => (purpose === 'set-aside' ? r : { ...r, from: r.to, to: r.from });
  const temporary = nameOf(run, 'temporary');
  if (run.kind === 'instance') {
    const { dbiResourceId } = instanceConfigOf(run);
    return {
      main: aside({ kind: 'instance', from: run.identifier, to: temporary, resourceId: dbiResourceId }),
      members: [],
    };
  }
  const c = clusterConfigOf(run);
  return {
    main: aside({ kind: 'cluster', from: run.identifier, to: temporary, resourceId: c.dbClusterResourceId }),
    members: c.members.map((m) =>
      aside({
        kind: 'instance',
        from: m.identifier,
        to: derivedIdentifier(m.identifier, run.runId, 'old'),
        resourceId: m.dbiResourceId,
      }),
    ),
  };
}

/** Whether a described database is the one the run recorded (a name is not an identity). */
const isOurs = (found: Found | undefined, r: Rename): found is Found =>
  found !== undefined && found.resourceId === r.resourceId;

/** Where a rename stands, from the name it takes (`target`) and, when needed, the name it leaves. */
async function lookAt(ctx: ServiceContext, r: Rename, begun: boolean): Promise<OpState> {
  const api = API[r.kind];
  const target = await api.find(ctx, r.to);
  if (target) {
    if (target.resourceId !== r.resourceId) {
      return {
        state: 'failed',
        reason: `${r.to} is held by another database (${target.resourceId}), not the ${api.noun} this run recorded (${r.resourceId}); ${r.from} cannot take its name`,
        errorCode: 'NameTaken',
      };
    }
    if (api.failedStatuses.has(target.status)) {
      return {
        state: 'failed',
        reason: `${api.noun} ${r.to} is in status ${target.status}`,
        errorCode: target.status,
      };
    }
    if (target.status !== 'available') return { state: 'busy', status: target.status };
    // Another database under the old name is not ours: only the same resource id still answering waits.
    const left = await api.find(ctx, r.from);
    return isOurs(left, r) ? { state: 'busy', status: `${r.from} still answers` } : { state: 'done' };
  }
  const source = await api.find(ctx, r.from);
  if (!source) {
    // Right after a rename call, neither name may answer for a moment; before any call, the database is gone.
    if (begun) return { state: 'busy', status: 'renaming' };
    return {
      state: 'failed',
      reason: `neither ${r.from} nor ${r.to} exists: the ${api.noun} this run recorded (${r.resourceId}) is not under either name`,
      errorCode: 'NotFound',
    };
  }
  if (source.resourceId !== r.resourceId) {
    return {
      state: 'failed',
      reason: `${r.from} is not the ${api.noun} this run recorded (${r.resourceId}) but ${source.resourceId}`,
      errorCode: 'NotOriginal',
    };
  }
  // RDS renames only an available database: a busy one is renamed once it is available again.
  return source.status === 'available'
    ? { state: 'todo' }
    : { state: 'busy', status: `${r.from} is ${source.status}` };
}

function renameOp(ctx: ServiceContext, run: RunRecord, purpose: Purpose, r: Rename): PhaseOp {
  const api = API[r.kind];
  return {
    kind: r.kind,
    name: r.to,
    label: `rename ${api.noun} ${r.from} to ${r.to}`,
    look: () => lookAt(ctx, r, run.expectation?.step === purpose),
    act: async () => {
      try {
        await api.rename(ctx, r.from, r.to);
      } catch (err) {
        // Already renamed by an earlier call whose answer was lost.
        if (!isRdsError(err, api.notFound) || !isOurs(await api.find(ctx, r.to), r)) throw err;
      }
    },
  };
}

/** Set-aside: the database first, then (a cluster) its members. Rename-back: all at once, each when it can. */
export function renamePhases(ctx: ServiceContext, run: RunRecord, purpose: Purpose): Phases {
  const { main, members } = renamesOf(run, purpose);
  const op = (r: Rename) => renameOp(ctx, run, purpose, r);
  if (purpose === 'rename-back') return [[main, ...members].map(op)];
  return members.length ? [[op(main)], members.map(op)] : [[op(main)]];
}

/** Where one database of a failed rename-back stands, and whether it is back under its name. */
async function standing(
  ctx: ServiceContext,
  r: Rename,
): Promise<{ back: boolean; state: string; taken?: string }> {
  const api = API[r.kind];
  const who = `the original ${api.noun} ${r.to} (${r.resourceId})`;
  try {
    const atName = await api.find(ctx, r.to);
    const taken = atName && atName.resourceId !== r.resourceId ? atName.resourceId : undefined;
    const holder = taken ? `${r.to} is held by another database (${taken})` : `nothing answers as ${r.to}`;
    if (atName && !taken) return { back: true, state: `${who} is ${atName.status} under its name` };
    const aside = await api.find(ctx, r.from);
    if (isOurs(aside, r)) {
      return {
        back: false,
        state: `${who} is ${aside.status} under the temporary name ${r.from}; ${holder}`,
        taken,
      };
    }
    return { back: false, state: `${who} is neither under ${r.from} nor under its name; ${holder}`, taken };
  } catch (err) {
    return { back: false, state: `${who} could not be described: ${describeError(err)}` };
  }
}

/** For `RollbackFailed`: where each database stands and the exact commands that finish the rename-back. */
export async function renameBackAdvice(ctx: ServiceContext, run: RunRecord): Promise<RollbackAdvice> {
  const { main, members } = renamesOf(run, 'rename-back');
  const all = [main, ...members];
  const found = await Promise.all(all.map((r) => standing(ctx, r)));
  const left = all.filter((_, i) => !found[i]!.back);
  const freeFirst = all.flatMap((r, i) => {
    const taken = found[i]!.taken;
    return taken
      ? [`${r.to} is held by another database (${taken}): find out what it is and move it away first`]
      : [];
  });
  const commands = left.map((r) => API[r.kind].command(r.from, r.to));
  const action = commands.length
    ? [...freeFirst, `rename what is still under a temporary name back by hand: ${commands.join('; ')}`].join(
        '; ',
      )
    : 'every database is back under its name: check its status and endpoint before sending traffic to it';
  return { state: found.map((f) => f.state).join('; '), action };
}
