import {
  isRdsError,
  REWIND_TAGS,
  StaleWriteError,
  taggedByRun,
  type PhaseOp,
  type RunRecord,
  type ServiceContext,
} from '@rewind/shared';
import { removeTags, type Database, type DatabaseApi } from './databases';

/**
 * What a run created, and how it knows: by the resource ids the create and restore calls returned,
 * recorded in `run.resources.createdIds` (a name is not an identity). A call whose answer was lost is
 * recognised by the tag `rewind:run-id` put on the resource at creation; that tag is removed once the
 * database is restored (after its id is recorded), so the restored database's tags are the original's.
 */

export const runTagOf = (run: RunRecord) => ({ Key: REWIND_TAGS.runId, Value: run.runId });

/**
 * Whether this run created the database now under `db.name` (never one carrying an original's id): its
 * resource id is one the run recorded, under whatever name it was created (a swap's copy takes the
 * original's names), or it still carries the run's tag.
 */
export function createdByRun(run: RunRecord, db: Database, originalId: string | undefined): boolean {
  if (db.resourceId !== undefined && db.resourceId === originalId) return false;
  const recorded = Object.values(run.resources.createdIds ?? {});
  return (db.resourceId !== undefined && recorded.includes(db.resourceId)) || taggedByRun(db.tags, run.runId);
}

/** Records the resource id of a database the run created (a conditional write; lost races re-read). */
export async function recordCreated(
  ctx: ServiceContext,
  runId: string,
  name: string,
  resourceId: string,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const run = await ctx.store.getRun(runId);
    if (!run) throw new Error(`run ${runId} disappeared while recording ${name} (${resourceId})`);
    const createdIds = run.resources.createdIds ?? {};
    if (createdIds[name] === resourceId) return;
    try {
      await ctx.store.updateRun(run, {
        resources: { ...run.resources, createdIds: { ...createdIds, [name]: resourceId } },
      });
      return;
    } catch (err) {
      if (!(err instanceof StaleWriteError) || attempt >= 5) throw err;
    }
  }
}

export interface CreateSpec {
  api: DatabaseApi;
  name: string;
  label: string;
  /** How messages call it: "restored instance", "member". */
  what: string;
  /** The resource id of the original that had this name (it must never be taken for the copy). */
  originalId: string | undefined;
  /** Statuses in which the creation is over. */
  doneWhen: ReadonlySet<string>;
  /** The run has moved past this operation: any status but creating or failed counts as done. */
  passed: boolean;
  /** The call; answers the new resource's id. */
  create(): Promise<string | undefined>;
  /** Further conditions for it to be the one this run created (a member: in the restored cluster). */
  belongs?(db: Database): boolean;
  notNow?: readonly string[];
}

/** Creates a database under a name (a restore, or a member of a restored cluster) and waits for it. */
export function createOp(ctx: ServiceContext, run: RunRecord, spec: CreateSpec): PhaseOp {
  const { api, name } = spec;
  const ours = (db: Database) => createdByRun(run, db, spec.originalId) && (spec.belongs?.(db) ?? true);
  return {
    kind: api.kind,
    name,
    label: spec.label,
    notNow: spec.notNow,
    look: async () => {
      const db = await api.find(ctx, name);
      if (!db) return { state: 'todo' };
      if (db.resourceId !== undefined && db.resourceId === spec.originalId) {
        return {
          state: 'failed',
          reason: `the original still holds the name ${name}; nothing was restored`,
          errorCode: 'NameNotFree',
        };
      }
      if (!ours(db)) {
        return {
          state: 'failed',
          reason: `${name} is held by a database this run did not create (${db.resourceId})`,
          errorCode: 'NameNotFree',
        };
      }
      if (api.failedStatuses.has(db.status)) {
        return {
          state: 'failed',
          reason: `${spec.what} ${name} ended in status ${db.status}`,
          errorCode: db.status,
        };
      }
      const done = spec.doneWhen.has(db.status) || (spec.passed && db.status !== 'creating');
      return done ? { state: 'done' } : { state: 'busy', status: db.status };
    },
    act: async () => {
      let id: string | undefined;
      try {
        id = await spec.create();
      } catch (err) {
        // An earlier call of ours whose answer was lost: recognised by its tag, else the name is not free.
        if (!isRdsError(err, api.alreadyExists)) throw err;
        const db = await api.find(ctx, name);
        if (!db || !ours(db)) throw err;
        id = db.resourceId;
      }
      if (id) await recordCreated(ctx, run.runId, name, id);
    },
  };
}

/**
 * Removes the run's tag from a database it created, recording its id first (a call whose answer was
 * lost left only the tag to recognise it by): the restored database keeps exactly the original's tags.
 */
export function untagOp(ctx: ServiceContext, run: RunRecord, api: DatabaseApi, name: string): PhaseOp {
  return {
    kind: api.kind,
    name,
    label: `remove the tag ${REWIND_TAGS.runId} from ${name}`,
    look: async () => {
      const db = await api.find(ctx, name);
      if (!db) {
        return { state: 'failed', reason: `restored ${api.noun} ${name} disappeared`, errorCode: 'Missing' };
      }
      return taggedByRun(db.tags, run.runId) ? { state: 'todo' } : { state: 'done' };
    },
    act: async () => {
      const db = await api.find(ctx, name);
      if (!db || !taggedByRun(db.tags, run.runId)) return;
      if (db.resourceId) await recordCreated(ctx, run.runId, name, db.resourceId);
      await removeTags(ctx, db, [REWIND_TAGS.runId]);
    },
  };
}
