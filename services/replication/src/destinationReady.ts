import type { RDSClient, Tag } from '@aws-sdk/client-rds';
import { findCluster, findInstance, type Kind } from '@rewind/shared';
import { fail, type Look } from './destinationLook';
import { cloneSource, noCloneSource } from './destinationVersions';

/**
 * Before copying (a copy can take hours, and is wasted when the restore is refused), the database the
 * restore will change or clone must be there and opted in, as the restore run will check after the copy:
 * in place, the destination database; versioned, the newest version or else the template. A cluster is
 * changed through its member instances too (each renamed and deleted, or cloned, under its own tags):
 * the cluster and every member need the opt-in tag. Otherwise the replication fails at `receive`, with
 * the commands that fix it, having copied nothing.
 */

/** What a restore touches under its own tags: a DB instance, or a cluster and each of its members. */
interface Touched {
  what: string;
  arn: string;
  tags: Tag[];
}

async function touched(rds: RDSClient, kind: Kind, identifier: string): Promise<Touched[] | undefined> {
  if (kind === 'instance') {
    const i = await findInstance(rds, identifier);
    return (
      i && [{ what: `instance ${identifier}`, arn: i.DBInstanceArn ?? identifier, tags: i.TagList ?? [] }]
    );
  }
  const c = await findCluster(rds, identifier);
  if (!c) return undefined;
  const members = await Promise.all(
    (c.DBClusterMembers ?? []).map(async ({ DBInstanceIdentifier: id }) => {
      const m = await findInstance(rds, id!);
      return { what: `member ${id}`, arn: m?.DBInstanceArn ?? id!, tags: m?.TagList ?? [] };
    }),
  );
  return [
    { what: `cluster ${identifier}`, arn: c.DBClusterArn ?? identifier, tags: c.TagList ?? [] },
    ...members,
  ];
}

/** True when the restore can go ahead; false when the replication failed (nothing copied). */
export async function destinationReady(l: Look): Promise<boolean> {
  const { ctx, deps, job } = l;
  const d = job.destination;
  const again = 'then run the replication again (rewind replicate)';
  let identifier: string;
  let role: string;
  let create: string;
  if (d.mode === 'in-place') {
    identifier = d.identifier;
    role = 'the destination';
    create = `create it (restored in place, it keeps its name and endpoint), or correct destinations[].identifier of policy ${job.policy} and redeploy`;
  } else {
    const from = await cloneSource(l, d);
    if (!from) {
      const { reason, action } = noCloneSource(job, d);
      await fail(l, 'receive', `${reason}: nothing was copied`, action);
      return false;
    }
    identifier = from.identifier;
    role = from.version ? `the newest version (the next one's source)` : `the template`;
    create = `create it (the first version takes its configuration), or correct destinations[].template of policy ${job.policy} and redeploy`;
  }
  const subjects = await touched(deps.rdsIn(job.region), job.kind, identifier);
  const where = `account ${deps.accountId} (${job.region})`;
  if (!subjects) {
    await fail(
      l,
      'receive',
      `${role} ${job.kind} ${identifier} of policy ${job.policy} does not exist in ${where}: nothing was copied`,
      `${create}; ${again}`,
    );
    return false;
  }
  const { key, value } = ctx.config.optIn;
  const untagged = subjects.filter((s) => !s.tags.some((t) => t.Key === key && t.Value === value));
  if (!untagged.length) return true;
  const alone = untagged.length === 1 && untagged[0] === subjects[0];
  const which = alone
    ? 'has'
    : `is not opted in: ${untagged.map((s) => s.what).join(', ')} ${untagged.length > 1 ? 'have' : 'has'}`;
  const members =
    job.kind === 'cluster' ? ' (a restore changes each member of a cluster under its own tags)' : '';
  await fail(
    l,
    'receive',
    `${role} ${job.kind} ${identifier} of policy ${job.policy} ${which} no tag ${key}=${value}${members}: Rewind does not restore it; nothing was copied`,
    `tag ${untagged.length > 1 ? 'them' : 'it'}: ${untagged
      .map((s) => `aws rds add-tags-to-resource --resource-name ${s.arn} --tags Key=${key},Value=${value}`)
      .join(' && ')}; ${again}`,
  );
  return false;
}
