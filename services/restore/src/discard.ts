import {
  clusterConfigOf,
  completeRollback,
  completeStep,
  defineStep,
  DELETE_BLOCKING_STATUSES,
  event,
  instanceConfigOf,
  nameOf,
  type PhaseOp,
  type Phases,
  type RunRecord,
  type ServiceContext,
} from '@rewind/shared';
import { createdByRun } from './created';
import { CLUSTER, DATABASES, INSTANCE, type Database, type DatabaseApi } from './databases';

/**
 * Compensation `discard`: delete what the restore (or a clone's restore-new) created under its names (a cluster's members
 * first: RDS deletes a cluster only once its instances are gone), so the original can be renamed back.
 * Only what this run recorded as created (or tagged at creation) is deleted, never an original; a copy
 * still being created is waited out, then deleted.
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

function phases(ctx: ServiceContext, run: RunRecord): Phases {
  if (run.kind === 'instance') {
    const copy = { api: INSTANCE, name: run.identifier, originalId: instanceConfigOf(run).dbiResourceId };
    return [[unprotectOp(ctx, run, copy)], [deleteOp(ctx, run, copy)]];
  }
  const config = clusterConfigOf(run);
  const copy = { api: CLUSTER, name: run.identifier, originalId: config.dbClusterResourceId };
  const members = config.members.map((m) => ({
    api: INSTANCE,
    name: m.identifier,
    originalId: m.dbiResourceId,
    belongs: (db: Database) => db.cluster === run.identifier,
  }));
  // Aurora members carry no deletion protection of their own (the cluster does).
  return [
    members.map((m) => deleteOp(ctx, run, m)),
    [unprotectOp(ctx, run, copy)],
    [deleteOp(ctx, run, copy)],
  ];
}

/** Where the database stands when the discard fails, and the commands that finish it by hand. */
function advice(run: RunRecord) {
  const api = DATABASES[run.kind];
  const temp = nameOf(run, 'temporary');
  const recorded = (name: string) => {
    const id = run.resources.createdIds?.[name];
    return id ? ` (check that its resource id is ${id}, the one this run created)` : '';
  };
  const members = run.kind === 'cluster' ? clusterConfigOf(run).members.map((m) => m.identifier) : [];
  if (run.cloneOf) {
    // A clone never touched its source: only what the run created is left to delete.
    return {
      state: `a half-made clone may still hold the name ${run.identifier}; the source ${run.cloneOf} was never touched`,
      action: [
        ...members.map((m) => `${INSTANCE.deleteCommand(m)}${recorded(m)}`),
        `${api.deleteCommand(run.identifier)}${recorded(run.identifier)}`,
      ].join(', then '),
    };
  }
  const steps = [
    ...(members.length
      ? [
          `delete the half-restored members (${members.map((m) => `${INSTANCE.deleteCommand(m)}${recorded(m)}`).join('; ')})`,
        ]
      : []),
    `delete the half-restored ${api.noun} (${api.deleteCommand(run.identifier)})${recorded(run.identifier)}`,
    `rename the original back (${api.renameCommand(temp, run.identifier)}${members.length ? ', then each member likewise' : ''})`,
  ];
  return {
    state: `a half-restored ${api.noun} may still hold the name ${run.identifier}; the original is safe under ${temp}`,
    action: steps.join(', then '),
  };
}

/** The discard is over: DiscardCompleted (the rename-back follows), or the rollback is complete. */
async function finish(ctx: ServiceContext, run: RunRecord): Promise<void> {
  // A phase was claimed only if something was there to delete.
  const discarded = run.expectation?.phase ? run.identifier : null;
  const after = run.run.plan[run.run.plan.indexOf('discard') + 1];
  if (!after) {
    // Nothing to rename back: a clone's source never left its name.
    await completeRollback(ctx, run, 'discard', run.cloneOf ?? run.identifier);
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
