import {
  clusterConfigOf,
  completeRollback,
  completeStep,
  defineStep,
  DELETE_BLOCKING_STATUSES,
  event,
  instanceConfigOf,
  nameOf,
  stagingIdentifier,
  type PhaseOp,
  type Phases,
  type RunRecord,
  type ServiceContext,
} from '@rewind/shared';
import { createdByRun } from './created';
import { CLUSTER, DATABASES, INSTANCE, type Database, type DatabaseApi } from './databases';

/**
 * Compensation `discard`: delete what the restore created (a cluster's members first: RDS deletes a
 * cluster only once its instances are gone). In place the copy holds the original names, and the
 * original is renamed back next. A swap's copy holds its staging names, or, when take-name failed half
 * way, some of the original's: each name is looked at, and the original (which may hold its name) is
 * recognised by its resource id and left alone. Only what this run recorded as created (or tagged at
 * creation) is deleted, never an original; a copy still being created is waited out, then deleted.
 */

interface Target {
  api: DatabaseApi;
  name: string;
  originalId: string | undefined;
  /** Further conditions for it to be the run's (a member: in the restored cluster). */
  belongs?(db: Database): boolean;
}

/** The database under the name if this run created it, else undefined (left alone). */
async function createdCopy(ctx: ServiceContext, run: RunRecord, t: Target): Promise<Database | undefined> {
  const db = await t.api.find(ctx, t.name);
  if (!db) return undefined;
  if (createdByRun(run, db, t.originalId) && (t.belongs?.(db) ?? true)) return db;
  // A swap's original serves under its name while its copy is discarded: expected, nothing to say.
  if (db.resourceId !== undefined && db.resourceId === t.originalId) return undefined;
  ctx.log.warn('a database this run did not create holds the name: left alone', {
    runId: run.runId,
    name: t.name,
    resourceId: db.resourceId,
  });
  return undefined;
}

function unprotectOp(ctx: ServiceContext, run: RunRecord, t: Target): PhaseOp {
  return {
    kind: t.api.kind,
    name: t.name,
    label: `lift deletion protection of the restored ${t.api.noun} ${t.name}`,
    notNow: [t.api.busyError],
    look: async () => {
      const db = await createdCopy(ctx, run, t);
      if (!db?.deletionProtection) return { state: 'done' };
      return db.status === 'available' ? { state: 'todo' } : { state: 'busy', status: db.status };
    },
    act: async () => {
      await t.api.unprotect(ctx, t.name);
    },
  };
}

function deleteOp(ctx: ServiceContext, run: RunRecord, t: Target): PhaseOp {
  return {
    kind: t.api.kind,
    name: t.name,
    label: `delete the half-restored ${t.api.noun} ${t.name}`,
    notNow: [t.api.busyError],
    look: async () => {
      const db = await createdCopy(ctx, run, t);
      if (!db) return { state: 'done' };
      return DELETE_BLOCKING_STATUSES.has(db.status)
        ? { state: 'busy', status: db.status }
        : { state: 'todo' };
    },
    act: () => t.api.remove(ctx, t.name),
  };
}

/** The names the copy of `identifier` may hold: the original's (in place); swap: its staging name too. */
const copyNames = (run: RunRecord, identifier: string) =>
  run.strategy === 'swap' ? [stagingIdentifier(identifier, run.runId), identifier] : [identifier];

function phases(ctx: ServiceContext, run: RunRecord): Phases {
  if (run.kind === 'instance') {
    const originalId = instanceConfigOf(run).dbiResourceId;
    const copies = copyNames(run, run.identifier).map((name) => ({ api: INSTANCE, name, originalId }));
    return [copies.map((c) => unprotectOp(ctx, run, c)), copies.map((c) => deleteOp(ctx, run, c))];
  }
  const config = clusterConfigOf(run);
  const clusterNames = copyNames(run, run.identifier);
  const copies = clusterNames.map((name) => ({
    api: CLUSTER,
    name,
    originalId: config.dbClusterResourceId,
  }));
  const members = config.members.flatMap((m) =>
    copyNames(run, m.identifier).map((name) => ({
      api: INSTANCE,
      name,
      originalId: m.dbiResourceId,
      belongs: (db: Database) => db.cluster !== undefined && clusterNames.includes(db.cluster),
    })),
  );
  // Aurora members carry no deletion protection of their own (the cluster does).
  return [
    members.map((m) => deleteOp(ctx, run, m)),
    copies.map((c) => unprotectOp(ctx, run, c)),
    copies.map((c) => deleteOp(ctx, run, c)),
  ];
}

/** Where the database stands when the discard fails, and the commands that finish it by hand. */
function advice(run: RunRecord) {
  const api = DATABASES[run.kind];
  const temp = nameOf(run, 'temporary');
  // The copy of a swap is recorded under its staging name, and may hold the original's by now.
  const recorded = (name: string) => {
    const ids = run.resources.createdIds ?? {};
    const id = ids[name] ?? (run.strategy === 'swap' ? ids[stagingIdentifier(name, run.runId)] : undefined);
    return id ? ` (check that its resource id is ${id}, the one this run created)` : '';
  };
  const members = run.kind === 'cluster' ? clusterConfigOf(run).members.map((m) => m.identifier) : [];
  // The names the copy may hold, each with the resource id to check before deleting it.
  const where = (id: string) =>
    copyNames(run, id).filter((n) => n === id || run.resources.createdIds?.[n] !== undefined);
  const memberCopies = members.flatMap((m) => (run.strategy === 'swap' ? where(m) : [m]));
  const copies = run.strategy === 'swap' ? where(run.identifier) : [run.identifier];
  const plan = run.run.plan;
  // Swap: the original went back first (a failed set-aside) or never left (a failed restore-beside).
  const originalAway = plan.indexOf('rename-back') > plan.indexOf('discard');
  const steps = [
    ...(memberCopies.length
      ? [
          `delete the half-restored members (${memberCopies.map((m) => `${INSTANCE.deleteCommand(m)}${recorded(m)}`).join('; ')})`,
        ]
      : []),
    `delete the half-restored ${api.noun} ${copies.map((c) => `(${api.deleteCommand(c)})${recorded(c)}`).join('; ')}`,
    ...(originalAway
      ? [
          `rename the original back (${api.renameCommand(temp, run.identifier)}${members.length ? ', then each member likewise' : ''})`,
        ]
      : []),
  ];
  return {
    state: `a half-restored ${api.noun} may still hold the name ${copies.join(' or ')}; ${
      originalAway
        ? `the original is safe under ${temp}`
        : `the original serves under its name ${run.identifier}: check its resource id before deleting anything`
    }`,
    action: steps.join(', then '),
  };
}

/** The discard is over: DiscardCompleted (the rename-back follows), or the rollback is complete. */
async function finish(ctx: ServiceContext, run: RunRecord): Promise<void> {
  // A phase was claimed only if something was there to delete.
  const copy = run.strategy === 'swap' ? nameOf(run, 'staging') : run.identifier;
  const discarded = run.expectation?.phase ? copy : null;
  const after = run.run.plan[run.run.plan.indexOf('discard') + 1];
  if (!after) {
    await completeRollback(ctx, run, 'discard', run.identifier);
    return;
  }
  await completeStep(ctx, run, 'discard', (block) =>
    event('DiscardCompleted', { run: block, discardedIdentifier: discarded }),
  );
}

export const discard = defineStep({
  step: 'discard',
  role: 'compensation',
  target: 'deleted',
  deadlineSeconds: (ctx) => ctx.config.wait.deadlines.rollback,
  phases,
  complete: finish,
  advice: (_ctx, run) => advice(run),
});
