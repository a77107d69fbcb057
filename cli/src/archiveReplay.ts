import {
  DescribeArchiveCommand,
  DescribeReplayCommand,
  DescribeRuleCommand,
  StartReplayCommand,
  type DescribeReplayCommandOutput,
} from '@aws-sdk/client-eventbridge';
import { randomBytes } from 'node:crypto';
import type { Clients } from './context';
import { CliError } from './errors';

const RELATIVE = /^(\d+(?:\.\d+)?)(s|m|h|d)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `2026-01-02T03:04:05Z`, `now`, or a time ago: `90s`, `15m`, `2h`, `1d`. Undefined if not a time. */
export function parseTime(text: string, now = Date.now()): Date | undefined {
  if (text === 'now') return new Date(now);
  const rel = RELATIVE.exec(text);
  if (rel) return new Date(now - Number(rel[1]) * UNIT_MS[rel[2] as keyof typeof UNIT_MS]);
  const t = Date.parse(text);
  return /^\d{4}-\d{2}-\d{2}/.test(text) && Number.isFinite(t) ? new Date(t) : undefined;
}

export interface ArchiveReplay {
  name: string;
  state: string;
  stateReason?: string;
  archiveArn: string;
  destination: string;
  rule?: string;
  from: string;
  to: string;
  lastReplayedAt?: string;
}

const DONE = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Replays the bus archive for a window back onto the bus (EventBridge StartReplay), optionally only to
 * one rule. Rewind's own services ignore replayed events; this is for systems hooked onto the bus.
 * Waits up to `waitMs` for the replay to finish.
 */
export async function replayArchive(
  clients: Clients,
  window: { from: Date; to: Date; rule?: string },
  waitMs = 10_000,
): Promise<ArchiveReplay> {
  const { names } = clients.target;
  const archive = await clients.events
    .send(new DescribeArchiveCommand({ ArchiveName: names.archiveName }))
    .catch((err: Error) => {
      if (err.name !== 'ResourceNotFoundException') throw err;
      throw new CliError(
        `no archive ${names.archiveName} on ${clients.target.description}`,
        'is Rewind deployed with this --prefix / --stage?',
      );
    });
  let ruleArn: string | undefined;
  if (window.rule) {
    const rule = window.rule;
    ruleArn = (
      await clients.events
        .send(new DescribeRuleCommand({ Name: rule, EventBusName: names.busName }))
        .catch((err: Error) => {
          if (err.name !== 'ResourceNotFoundException') throw err;
          throw new CliError(
            `no rule ${rule} on bus ${names.busName}`,
            `list the bus's rules with: aws events list-rules --event-bus-name ${names.busName}`,
          );
        })
    ).Arn;
  }
  const name = `rewind-cli-${new Date()
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14)}-${randomBytes(3).toString('hex')}`;
  await clients.events.send(
    new StartReplayCommand({
      ReplayName: name,
      EventSourceArn: archive.ArchiveArn,
      EventStartTime: window.from,
      EventEndTime: window.to,
      Destination: { Arn: archive.EventSourceArn, ...(ruleArn ? { FilterArns: [ruleArn] } : {}) },
      Description: `rewind replay --from ${window.from.toISOString()} --to ${window.to.toISOString()}`,
    }),
  );
  const deadline = Date.now() + waitMs;
  let replay: DescribeReplayCommandOutput;
  for (;;) {
    replay = await clients.events.send(new DescribeReplayCommand({ ReplayName: name }));
    if (DONE.has(replay.State ?? '') || Date.now() > deadline) break;
    await sleep(200);
  }
  return {
    name,
    state: replay.State ?? 'UNKNOWN',
    stateReason: replay.StateReason,
    archiveArn: archive.ArchiveArn!,
    destination: archive.EventSourceArn!,
    rule: ruleArn,
    from: window.from.toISOString(),
    to: window.to.toISOString(),
    lastReplayedAt: replay.EventLastReplayedTime?.toISOString(),
  };
}
