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
  const state = beside
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
    subject: `URGENT Rewind: ${e.run.identifier} is NOT back under its name (run ${e.run.id})`,
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
      ['Database state', `${e.run.identifier} is available under its name`],
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
