import { JobStore, type Job, type Kind, type SnapshotPolicy } from '@rewind/shared';

/**
 * One job per firing and database: what the firing asked (the policy, as fired), and marks of what is done.
 * A mark is claimed by a conditional write before the action it stands for, so two messages working on
 * the same job (a deadline check and an RDS event) never both publish an event or both start a copy.
 * Items live in the state table and expire after 30 days.
 */
export interface PolicyJob extends Job {
  policy: SnapshotPolicy;
  identifier: string;
  kind: Kind;
  scheduledTime: string;
  action: 'snapshot' | 'prune';
  snapshotName: string;
  createdAt: string;
}

export const jobKey = (
  policy: string,
  kind: Kind,
  identifier: string,
  scheduledTime: string,
  action: string,
) => `POLICYJOB#${policy}#${kind}#${identifier}#${scheduledTime}#${action}`;
const snapshotKey = (name: string) => `POLICYSNAP#${name}`;

export class PolicyJobStore extends JobStore<PolicyJob> {
  /** False when the job exists already (a repeated firing). */
  override async create(job: PolicyJob, now: Date): Promise<boolean> {
    if (!(await super.create(job, now))) return false;
    if (job.action === 'snapshot') await this.index(snapshotKey(job.snapshotName), job, now);
    return true;
  }

  /** The job that made a snapshot of this name (RDS events name the snapshot). */
  bySnapshot(name: string): Promise<PolicyJob | undefined> {
    return this.byIndex(snapshotKey(name));
  }
}
