import type { LogEntry, RunRecord } from '@rewind/shared';
import type { Command } from '../command';
import { withClients } from '../context';
import { followRun, runHeader } from '../liveView';
import { parseCommand, TARGET_USAGE } from '../options';
import { clip, formatDuration, formatTime, Output } from '../output';
import { getRunOrExplain } from '../requests';
import {
  describeStep,
  nextStepOf,
  reasonOf,
  runDocument,
  runDurationMs,
  stepsOf,
  timelineRows,
  type TimelineRow,
} from '../runView';

const USAGE = `Usage: rewind status <run-id> [--wait]

  The run (status, steps with their durations, names, reason, what to do next) and its timeline: every
  event once, with the time since the start and since the previous event; for Rewind's own events, how
  long after publishing the service it was for received it (RECEIVED).

  --wait   follow the run live until it ends (any run: one a schedule or another system started too);
           exit 0 only when it completes

${TARGET_USAGE}`;

const STATUS_COLOURS = { completed: 'green', running: 'cyan', 'rolling-back': 'yellow' } as const;

export function paintStatus(out: Output, status: string): string {
  return out.paint(STATUS_COLOURS[status as keyof typeof STATUS_COLOURS] ?? 'red', status);
}

/** For one of Rewind's own events: when the service it was for received it (and if it went out twice). */
const receivedOf = (r: TimelineRow) =>
  [
    r.receivedAfterMs === undefined ? '' : `+${formatDuration(r.receivedAfterMs)}`,
    r.published ? `(sent ${r.published}x)` : '',
  ]
    .filter(Boolean)
    .join(' ');

/** Prints a run and its timeline (also used by the demo). */
export function printRun(out: Output, run: RunRecord, timeline: LogEntry[]): void {
  for (const l of runHeader(out, run)) out.line(l);
  out.line(
    `  status: ${paintStatus(out, run.status)}, ${formatDuration(runDurationMs(run, timeline))} since ${formatTime(run.createdAt)} UTC`,
  );
  const reason = reasonOf(run);
  if (reason) out.line(`  ${out.paint('red', reason)}`);
  const names = Object.entries(run.names);
  if (names.length) out.line(`  names: ${names.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (run.expectation) {
    const e = run.expectation;
    out.line(
      `  waiting: ${e.step} needs ${e.resourceKind} ${e.resourceName} ${e.target} by ${formatTime(e.deadline)} UTC`,
    );
  }
  for (const w of run.warnings) out.line(`  ${out.paint('yellow', `warning: ${w}`)}`);
  const next = nextStepOf(run);
  if (next) out.line(`  next: ${next}`);
  out.line();
  out.table(
    stepsOf(run, timeline),
    [
      { header: 'STEP', value: (s) => s.step },
      { header: 'STATE', value: (s) => describeStep(s) },
      { header: 'OUTCOME', value: (s) => s.outcome ?? '' },
    ],
    '  ',
  );
  out.line();
  out.table(
    timelineRows(timeline),
    [
      { header: 'AT (UTC)', value: (r) => formatTime(r.at) },
      { header: '+START', value: (r) => formatDuration(r.offsetMs), align: 'right' },
      { header: '+PREV', value: (r) => formatDuration(r.deltaMs), align: 'right' },
      { header: 'DIR', value: (r) => r.direction },
      { header: 'EVENT', value: (r) => r.type },
      { header: 'SOURCE', value: (r) => r.source ?? '' },
      { header: 'RECEIVED', value: receivedOf, align: 'right' },
      { header: 'SUMMARY', value: (r) => clip(r.summary ?? '', 100) },
    ],
    '  ',
  );
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'A run and its timeline (--wait to follow it live)',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommand(args, { wait: { type: 'boolean' } }, USAGE, {
      min: 1,
      max: 1,
    });
    const out = new Output(io, values.json === true);
    return withClients(values, async (clients) => {
      const run = await getRunOrExplain(clients, positionals[0]!);
      if (values.wait) {
        const followed = await followRun(clients, out, run.runId);
        const exitCode = followed.run.status === 'completed' ? 0 : 1;
        out.document({ ...runDocument(followed.run, followed.timeline), exitCode });
        return exitCode;
      }
      const timeline = await clients.store.getTimeline(run.runId);
      printRun(out, run, timeline);
      out.document(runDocument(run, timeline));
      return 0;
    });
  },
};
