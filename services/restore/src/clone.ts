import {
  brokenIdentifierRule,
  findCluster,
  findInstance,
  type CapturedConfig,
  type EventDetail,
  type Kind,
  type ServiceContext,
} from '@rewind/shared';
import { Rejection } from './rejection';

type Request = EventDetail<'RestoreRequested'>;

/** The source of events Rewind's own services publish (their typed publisher's). */
const REWIND_SOURCE = 'rewind';

/**
 * Intake rules of clones and point-in-time restores that the request alone decides: the fields that go
 * together, and those that make no sense together, each rejected with the fix. `source`: the event's.
 */
export function checkRequestShape(req: Request, raw: unknown, source?: string): void {
  const invalid = (reason: string) => new Rejection('invalid-input', reason);
  const example = `{"identifier": "${req.identifier}", "task": "clone", "targetIdentifier": "${req.identifier}-copy"}`;
  if (req.task === 'clone') {
    if (!req.targetIdentifier) {
      throw invalid(`task "clone" needs "targetIdentifier", the name of the new database: ${example}`);
    }
    if (req.targetIdentifier === req.identifier) {
      throw invalid(
        `targetIdentifier must differ from identifier: a clone creates a new database and never replaces its source; to restore ${req.identifier} itself use task "db_restore"`,
      );
    }
    // The schema defaults the strategy: whether the client sent one is read from what it sent. A Rewind
    // service (the replication's versions) publishes through the typed publisher, which fills the default in.
    const sent = raw && typeof raw === 'object' ? (raw as { strategy?: unknown }).strategy : undefined;
    if (sent !== undefined && !(source === REWIND_SOURCE && sent === 'in-place')) {
      throw invalid(
        `"strategy" does not apply to task "clone": a clone creates a new database and never touches the source; remove "strategy"`,
      );
    }
  } else if (req.targetIdentifier) {
    throw invalid(
      `"targetIdentifier" applies to task "clone" only: send ${example} to restore under a new name, or remove "targetIdentifier"`,
    );
  }
  const fromGivenSnapshot =
    (req.task === 'db_restore' || req.task === 'clone') && req.snapshotIdentifier && !req.restoreTime;
  if (req.snapshotOf && !fromGivenSnapshot) {
    throw invalid(
      `"snapshotOf" names the database a given snapshot was taken of: send it with "snapshotIdentifier" (task "db_restore" or "clone"), or remove it`,
    );
  }
  if (req.restoreTime) {
    if (req.task === 'create_snapshot' || req.task === 'create_snapshot_only') {
      throw invalid(
        `"restoreTime" restores from automated backups, not from a snapshot, so task "${req.task}" takes none: ` +
          `send task "db_restore" (or "clone") with "restoreTime" (no snapshot is taken), or remove "restoreTime"`,
      );
    }
    if (req.snapshotIdentifier) {
      throw invalid(
        `give "snapshotIdentifier" or "restoreTime", not both: a restore reads either a snapshot or the automated backups at a time`,
      );
    }
  }
}

/**
 * The names a clone creates must be free and legal: the clone itself and, for a cluster, each member
 * (named after the source's members). RDS would refuse a taken name only after the run started.
 */
export async function checkCloneTarget(
  ctx: ServiceContext,
  kind: Kind,
  config: CapturedConfig,
): Promise<void> {
  const taken = (what: string, name: string) =>
    new Rejection(
      'target-exists',
      `${what} ${name} already exists: a clone creates a new database and never overwrites one. Pick another targetIdentifier, or restore ${name} in place (task "db_restore")`,
    );
  if (kind === 'instance') {
    if (await findInstance(ctx.rds, config.identifier)) throw taken('DB instance', config.identifier);
    return;
  }
  if (await findCluster(ctx.rds, config.identifier)) throw taken('cluster', config.identifier);
  const members = 'members' in config ? config.members.map((m) => m.identifier) : [];
  for (const name of members) {
    const broken = brokenIdentifierRule(name);
    if (broken || members.indexOf(name) !== members.lastIndexOf(name)) {
      throw new Rejection(
        'invalid-input',
        `the clone's member name ${name} (derived from the source's members) ${broken ? broken.message(name) : 'is given twice'}; pick a shorter targetIdentifier`,
      );
    }
    if (await findInstance(ctx.rds, name)) throw taken('DB instance', name);
  }
}

/**
 * The request as a run keeps it (and `rewind replay` sends it again): a clone's without the strategy the
 * contract defaults (a clone takes none, and a replay carrying one would be refused).
 */
export function storedRequest(req: Request): Record<string, unknown> {
  if (req.task !== 'clone') return { ...req };
  const { strategy: _strategy, ...rest } = req;
  return rest;
}
