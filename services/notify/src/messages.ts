import type { EventDetail } from '@rewind/shared';

/** What a person reads at 3 a.m.: what happened, to which database, what state it is in, what to do. */
export interface Notification {
  severity: 'info' | 'warning' | 'error' | 'critical';
  subject: string;
  lines: [string, string][];
}

const replayHint = (runId: string) => `fix the cause, then run it again: rewind replay ${runId}`;

export function rejectedMessage(e: EventDetail<'RestoreRejected'>): Notification {
  return {
    severity: 'warning',
    subject: `Rewind: request for ${e.identifier ?? '(no identifier)'} rejected (${e.code})`,
    lines: [
      ['Database', e.identifier ?? '(none given)'],
      ['Run', e.runId],
      ['Reason', e.reason],
      ['Database state', 'not touched'],
      ['What to do', replayHint(e.runId)],
    ],
  };
}

export function runFailedMessage(e: EventDetail<'RunFailed'>): Notification {
  // A swap's original is untouched until its set-aside: a failed restore-beside only discards the copy.
  const beside = e.failedStep === 'restore-beside';
  const touched = e.run.plan.includes('set-aside') && e.failedStep !== 'snapshot' && !beside;
  const clone = e.run.task === 'clone';
  const state = clone
    ? e.rolledBack
      ? `the half-made clone ${e.run.identifier} was deleted; its source was never touched`
      : `the half-made clone ${e.run.identifier} may remain: see the rollback alert; its source was never touched`
    : beside
      ? `${e.run.identifier} was not touched: it served throughout${e.rolledBack ? '; the copy restored beside it was discarded' : '; the copy restored beside it may remain: see the rollback alert'}`
      : e.rolledBack
        ? `${e.run.identifier} is back under its name, as it was before the run`
        : touched
          ? `${e.run.identifier} may not be under its name: see the rollback alert`
          : `${e.run.identifier} was not touched`;
  return {
    severity: e.rolledBack || !touched ? 'error' : 'critical',
    subject: `Rewind: ${e.run.task} of ${e.run.identifier} failed at ${e.failedStep}${e.rolledBack ? ' (rolled back)' : ''}`,
    lines: [
      ['Database', `${e.run.identifier} (${e.run.kind})`],
      ['Run', e.run.id],
      ['Task', e.run.task],
      ['Failed step', e.failedStep],
      ['Reason', e.reason],
      ['Database state', state],
      ['What to do', replayHint(e.run.id)],
    ],
  };
}

export function rollbackFailedMessage(e: EventDetail<'RollbackFailed'>): Notification {
  return {
    severity: 'critical',
    subject:
      e.run.task === 'clone'
        ? `URGENT Rewind: the half-made clone ${e.run.identifier} could not be deleted (run ${e.run.id})`
        : `URGENT Rewind: ${e.run.identifier} is NOT back under its name (run ${e.run.id})`,
    lines: [
      ['Database', `${e.run.identifier} (${e.run.kind})`],
      ['Run', e.run.id],
      ['Task', e.run.task],
      ['Failed step', e.failedStep],
      ['Rollback step that failed', e.compensationStep],
      ['Reason', e.reason],
      ['Database state', e.state],
      ['What to do', e.action],
    ],
  };
}

/** The point in time a run restored, as a person reads it (`latest` is resolved by RDS at the restore call). */
const pointInTimeLine = (time: string) =>
  time === 'latest'
    ? 'the latest restorable time when the restore started (about five minutes before it)'
    : time;

export function runCompletedMessage(e: EventDetail<'RunCompleted'>): Notification {
  const warned = e.warnings.length > 0;
  return {
    severity: warned ? 'warning' : 'info',
    subject: `Rewind: ${e.run.task} of ${e.run.identifier} completed${warned ? ' with warnings' : ''}`,
    lines: [
      ['Database', `${e.run.identifier} (${e.run.kind})`],
      ['Run', e.run.id],
      ['Task', e.run.task],
      ['Duration', `${Math.round(e.durationMs / 1000)} s`],
      ...(e.snapshotIdentifier ? ([['Snapshot', e.snapshotIdentifier]] as [string, string][]) : []),
      ...(e.restoreTime ? ([['Point in time', pointInTimeLine(e.restoreTime)]] as [string, string][]) : []),
      ['Database state', `${e.run.identifier} is available under its name`],
      ...e.warnings.map((w) => ['Warning', w] as [string, string]),
    ],
  };
}

export function snapshotFailedMessage(e: EventDetail<'SnapshotFailed'>): Notification {
  const what = e.identifier ? `${e.identifier} (${e.kind})` : `(${e.kind}s of the policy)`;
  return {
    severity: e.stage === 'quota' || e.stage === 'snapshot' ? 'error' : 'warning',
    subject: `Rewind: snapshot policy ${e.policy}: ${e.stage} failed for ${e.identifier ?? 'its databases'} in ${e.region}`,
    lines: [
      ['Policy', e.policy],
      ['Database', what],
      ['Region', e.region],
      ['Stage', e.stage],
      ...(e.snapshotIdentifier ? ([['Snapshot', e.snapshotIdentifier]] as [string, string][]) : []),
      ['Firing', e.scheduledTime],
      ['Reason', e.reason],
      ['Database state', 'not touched: snapshot policies never change a database'],
      ['What to do', e.action],
    ],
  };
}

type DrResourceLine = EventDetail<'FailoverFailed'>['resources'][number];
const resourceLine = (r: DrResourceLine): [string, string] => [
  `Layer ${r.layer}: ${r.type} ${r.id}`,
  `${r.outcome} (${r.region}): ${r.detail}`,
];

export function failoverRejectedMessage(e: EventDetail<'FailoverRejected'>): Notification {
  return {
    severity: 'warning',
    subject: `Rewind: DR request${e.plan ? ` for plan ${e.plan}` : ''} rejected (${e.code})`,
    lines: [
      ['Plan', e.plan ?? '(none given)'],
      ['Run', e.runId],
      ['Reason', e.reason],
      ...(e.notReady ?? []).map(
        (r) => [`Not ready: ${r.type} ${r.id}`, `${r.region}: ${r.reason}`] as [string, string],
      ),
      ['State', 'nothing was moved'],
    ],
  };
}

export function failoverFailedMessage(e: EventDetail<'FailoverFailed'>): Notification {
  const moved = e.resources.filter((r) => r.outcome === 'moved').length;
  return {
    severity: 'critical',
    subject: `URGENT Rewind: ${e.mode} ${e.direction} of plan ${e.plan} failed at layer ${e.failedLayer} (${moved} of ${e.resources.length} moved${e.rolledBack ? ', switchover rolled back' : ''})`,
    lines: [
      ['Plan', `${e.plan} (${e.mode} ${e.direction})`],
      ['Run', e.run.id],
      ['Failed layer', `${e.failedLayer}; later layers never started`],
      ['Reason', e.reason],
      // Before the resources: Slack shows the first ten lines.
      ['What to do', e.action],
      ...e.resources.map(resourceLine),
    ],
  };
}

export function failoverCompletedMessage(e: EventDetail<'FailoverCompleted'>): Notification {
  return {
    severity: e.warnings.length ? 'warning' : 'info',
    subject: `Rewind: ${e.mode} ${e.direction} of plan ${e.plan} completed (${e.resources.length} resources moved)`,
    lines: [
      ['Plan', `${e.plan} (${e.mode} ${e.direction})`],
      ['Run', e.run.id],
      ['Duration', `${Math.round(e.durationMs / 1000)} s`],
      ...e.resources.map(resourceLine),
      ...e.keptSnapshots.map((s) => ['Kept snapshot', s] as [string, string]),
      ...e.warnings.map((w) => ['Warning', w] as [string, string]),
    ],
  };
}

type ReplicationStage = EventDetail<'ReplicationFailed'>['stage'];
const SOURCE_STAGES: readonly ReplicationStage[] = ['select', 'snapshot', 'encrypt', 'share', 'announce'];

/** What state a failed replication leaves the databases in, by the stage it failed at. */
function replicationState(e: EventDetail<'ReplicationFailed'>): string {
  const destination = e.destinationAccount ? `account ${e.destinationAccount}` : 'the destinations';
  if (SOURCE_STAGES.includes(e.stage) || e.stage === 'receive' || e.stage === 'copy')
    return `no database was changed: the source is only snapshotted, and ${destination} restored nothing`;
  switch (e.stage) {
    case 'restore':
      if (e.rolledBack === true)
        return `the destination database is back as it was (run ${e.runId} rolled back)`;
      if (e.rolledBack === false)
        return `the destination database may not be as it was: see the alert of run ${e.runId} in ${destination}`;
      return `the restore run${e.runId ? ` ${e.runId}` : ''} in ${destination} did not complete; nothing was kept of it`;
    case 'secret':
      return 'the new version is restored and available, but the secret still points at the previous one';
    case 'prune':
      return 'the new version is in use; versions beyond the number kept remain';
    default:
      return 'the data was replicated; something this replication made may remain (see what was cleaned up)';
  }
}

export function replicationFailedMessage(e: EventDetail<'ReplicationFailed'>): Notification {
  const route = `${e.sourceAccount} -> ${e.destinationAccount ?? 'every destination'}`;
  return {
    severity: e.rolledBack === false ? 'critical' : 'error',
    subject: `Rewind: replication ${e.policy} (${route}) failed at ${e.stage} in account ${e.account}`,
    lines: [
      ['Policy', e.policy],
      ['Replication', e.replicationId],
      ['Accounts', route],
      ['Failed in', `account ${e.account} (its Rewind alerted there)`],
      ['Stage', e.stage],
      ['Reason', `${e.reason}${e.errorCode ? ` (${e.errorCode})` : ''}`],
      ['Database state', replicationState(e)],
      ['Cleaned up', e.cleanedUp.length ? e.cleanedUp.join('; ') : 'nothing needed removing'],
      ['What to do', e.action],
      ...(e.runId
        ? ([['Run', `${e.runId} (rewind status ${e.runId}, in that account)`]] as [string, string][])
        : []),
    ],
  };
}

export function replicationCompletedMessage(e: EventDetail<'ReplicationCompleted'>): Notification {
  const versions = e.versions;
  return {
    severity: e.warnings.length ? 'warning' : 'info',
    subject: `Rewind: replication ${e.policy} completed: ${e.sourceIdentifier} (${e.sourceAccount}) -> ${e.identifier} (${e.destinationAccount})`,
    lines: [
      ['Policy', `${e.policy} (${e.mode})`],
      ['Replication', e.replicationId],
      ['Destination', `${e.identifier} in ${e.destinationAccount} (${e.destinationRegion})`],
      ...(e.endpoint
        ? ([['Endpoint', `${e.endpoint.address}${e.endpoint.port ? `:${e.endpoint.port}` : ''}`]] as [
            string,
            string,
          ][])
        : []),
      ['Run', e.runId],
      ['Restored from', e.lineage.copySnapshotArn],
      ['Source snapshot', e.lineage.sourceSnapshotArn],
      ...(e.secret
        ? ([['Secret', `${e.secret.id}: ${e.secret.field} = ${e.secret.value}`]] as [string, string][])
        : []),
      ...(versions
        ? ([
            ['Versions kept', versions.kept.join(', ') || '(none)'],
            ['Versions deleted', versions.deleted.join(', ') || '(none)'],
          ] as [string, string][])
        : []),
      ['Duration', `${Math.round(e.durationMs / 1000)} s`],
      ...e.warnings.map((w) => ['Warning', w] as [string, string]),
    ],
  };
}

export function renderText(n: Notification): string {
  return [n.subject, '', ...n.lines.map(([k, v]) => `${k}: ${v}`)].join('\n');
}

const EMOJI = {
  info: ':white_check_mark:',
  warning: ':warning:',
  error: ':x:',
  critical: ':rotating_light:',
};

/** Slack incoming-webhook payload (text fallback plus blocks). */
export function renderSlack(n: Notification): Record<string, unknown> {
  return {
    text: `${EMOJI[n.severity]} ${n.subject}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: n.subject.slice(0, 150) } },
      {
        type: 'section',
        fields: n.lines
          .slice(0, 10)
          .map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}*\n${v}`.slice(0, 2000) })),
      },
    ],
  };
}
