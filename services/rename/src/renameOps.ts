import { ModifyDBClusterCommand, ModifyDBInstanceCommand } from '@aws-sdk/client-rds';
import {
  clusterConfigOf,
  derivedIdentifier,
  FAILED_CLUSTER_STATUSES,
  FAILED_INSTANCE_STATUSES,
  findCluster,
  findInstance,
  instanceConfigOf,
  isRdsError,
  nameOf,
  stagingIdentifier,
  type OpState,
  type PhaseOp,
  type Phases,
  type RunRecord,
  type ServiceContext,
  type StepDefinition,
} from '@rewind/shared';

/**
 * The renames of a run, for the three steps of the rename service. An instance run renames the
 * instance; a cluster run renames the cluster, then each member (members keep their names on a cluster
 * rename). Set-aside and rename-back move the original; take-name (swap) gives the copy restored beside
 * it under staging names the original's names.
 * Every rename is checked by resource id, never by name alone: the name to leave must be held by the
 * database the run recorded, the name to take must be free or already ours. A rename is done when the
 * new name is available and the old one no longer answers for that database.
 */

export type Purpose = 'set-aside' | 'take-name' | 'rename-back';

/** One database to rename. `resourceId`: DbiResourceId or DbClusterResourceId the run recorded. */
export interface Rename {
  kind: 'cluster' | 'instance';
  from: string;
  to: string;
  resourceId?: string;
}

export interface Found {
  status: string;
  resourceId?: string;
}

/** How each kind of database is described and renamed. */
interface RenameApi {
  failedStatuses: Set<string>;
  notFound: string;
  alreadyExists: string;
  find(ctx: ServiceContext, name: string): Promise<Found | undefined>;
  rename(ctx: ServiceContext, from: string, to: string): Promise<unknown>;
}

const API: Record<Rename['kind'], RenameApi> = {
  instance: {
    failedStatuses: FAILED_INSTANCE_STATUSES,
    notFound: 'DBInstanceNotFound',
    alreadyExists: 'DBInstanceAlreadyExists',
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
  },
  cluster: {
    failedStatuses: FAILED_CLUSTER_STATUSES,
    notFound: 'DBClusterNotFoundFault',
    alreadyExists: 'DBClusterAlreadyExistsFault',
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
  },
};

/** The CLI command a person runs to make a rename by hand (`modify-db-instance` / `modify-db-cluster`). */
export const command = (r: Rename) =>
  `aws rds modify-db-${r.kind} --db-${r.kind}-identifier ${r.from} --new-db-${r.kind}-identifier ${r.to} --apply-immediately`;

/** The database under `name`, described as the kind of `r`. */
export const findDatabase = (ctx: ServiceContext, r: Rename, name: string) => API[r.kind].find(ctx, name);

/** The copy restored beside the original (swap), from its staging names to the original's. */
function takeNameOf(run: RunRecord): { main: Rename; members: Rename[] } {
  const created = run.resources.createdIds ?? {};
  const staged = (kind: Rename['kind'], name: string, from: string): Rename => ({
    kind,
    from,
    to: name,
    resourceId: created[from],
  });
  const staging = nameOf(run, 'staging');
  if (run.kind === 'instance') return { main: staged('instance', run.identifier, staging), members: [] };
  return {
    main: staged('cluster', run.identifier, staging),
    members: clusterConfigOf(run).members.map((m) =>
      staged('instance', m.identifier, stagingIdentifier(m.identifier, run.runId)),
    ),
  };
}

/** What the run renames for `purpose`: the database itself, then the members of a cluster. */
export function renamesOf(run: RunRecord, purpose: Purpose): { main: Rename; members: Rename[] } {
  if (purpose === 'take-name') return takeNameOf(run);
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
export const isOurs = (found: Found | undefined, r: Rename): found is Found =>
  found !== undefined && found.resourceId === r.resourceId;

/**
 * Where a rename stands, from the name it takes (`target`) and, when needed, the name it leaves.
 * `nameFreed`: done as soon as the database is under its new name (any status but a failed one) and the
 * old name no longer answers for it; RDS frees the old name at the call, before the rename's reboot.
 */
async function lookAt(ctx: ServiceContext, r: Rename, begun: boolean, nameFreed = false): Promise<OpState> {
  const api = API[r.kind];
  const target = await api.find(ctx, r.to);
  if (target) {
    if (target.resourceId !== r.resourceId) {
      return {
        state: 'failed',
        reason: `${r.to} is held by another database (${target.resourceId}), not the ${r.kind} this run recorded (${r.resourceId}); ${r.from} cannot take its name`,
        errorCode: 'NameTaken',
      };
    }
    if (api.failedStatuses.has(target.status)) {
      return {
        state: 'failed',
        reason: `${r.kind} ${r.to} is in status ${target.status}`,
        errorCode: target.status,
      };
    }
    if (target.status !== 'available' && !nameFreed) return { state: 'busy', status: target.status };
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
      reason: `neither ${r.from} nor ${r.to} exists: the ${r.kind} this run recorded (${r.resourceId}) is not under either name`,
      errorCode: 'NotFound',
    };
  }
  if (source.resourceId !== r.resourceId) {
    return {
      state: 'failed',
      reason: `${r.from} is not the ${r.kind} this run recorded (${r.resourceId}) but ${source.resourceId}`,
      errorCode: 'NotOriginal',
    };
  }
  // RDS renames only an available database: a busy one is renamed once it is available again.
  return source.status === 'available'
    ? { state: 'todo' }
    : { state: 'busy', status: `${r.from} is ${source.status}` };
}

function renameOp(
  ctx: ServiceContext,
  run: RunRecord,
  purpose: Purpose,
  r: Rename,
  nameFreed = false,
): PhaseOp {
  const api = API[r.kind];
  return {
    kind: r.kind,
    name: r.to,
    label: `rename ${r.kind} ${r.from} to ${r.to}`,
    look: () => lookAt(ctx, r, run.expectation?.step === purpose, nameFreed),
    // Taking a name its old holder left a moment ago: should RDS still hold it back, the call is sent again.
    ...(purpose === 'take-name' && { notNow: [api.alreadyExists] }),
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

/**
 * What both rename steps share: the operations (see `renamePhases`), and completion on two looks in a
 * row that find every new name available (an instance rename emits no RDS event; describe calls can
 * show the new name available before the rename's reboot).
 */
export function renameStep(purpose: Purpose) {
  return {
    step: purpose,
    target: 'available',
    confirmations: 2,
    // Checked often while in flight: a rename emits no RDS event, and the name is unavailable meanwhile.
    checkEverySeconds: (ctx: ServiceContext) => ctx.config.wait.renameCheckSeconds,
    phases: (ctx: ServiceContext, run: RunRecord) => renamePhases(ctx, run, purpose),
  } satisfies Partial<StepDefinition>;
}

/**
 * Set-aside and take-name: the database first, then (a cluster) its members. Rename-back: all at once,
 * each when it can.
 * A swap's set-aside ends its last phase (the instance, or a cluster's members) once the original's names
 * are free and it is found under its temporary names by resource id, whatever its status: take-name
 * overlaps the original's reboot instead of following it. The original is not renamed again before
 * rename-back or cleanup, and both wait until it can be renamed or deleted. A cluster's own rename is
 * still confirmed available before its members are renamed.
 */
export function renamePhases(ctx: ServiceContext, run: RunRecord, purpose: Purpose): Phases {
  const { main, members } = renamesOf(run, purpose);
  const early = purpose === 'set-aside' && run.strategy === 'swap';
  const op = (r: Rename, last: boolean) => renameOp(ctx, run, purpose, r, early && last);
  if (purpose === 'rename-back') return [[main, ...members].map((r) => op(r, false))];
  return members.length ? [[op(main, false)], members.map((r) => op(r, true))] : [[op(main, true)]];
}
