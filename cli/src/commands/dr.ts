import { readFileSync } from 'node:fs';
import {
  choosePlan,
  drPlansOf,
  DrPlanError,
  parseEvent,
  type DrLayer,
  type DrPlansSection,
  type EventDetail,
  type LogEntry,
  type RunRecord,
} from '@rewind/shared';
import type { Command } from '../command';
import { withClients, type Clients } from '../context';
import { planReadiness } from '../drReadiness';
import { CliError, UsageError } from '../errors';
import type { Io } from '../io';
import { parseCommand, TARGET_USAGE } from '../options';
import { Output } from '../output';
import { newRequestId, awaitRun, putClientEvent } from '../requests';

/**
 * `rewind dr check`, `rewind failover`, `rewind failback`: the DR plans of the configuration file
 * (REWIND_CONFIG_FILE or --config, its `drPlans` section), their readiness, and DR runs with a live view.
 */

const PLAN_OPTIONS = `  --plan NAME        a plan of the configuration (default: drPlans.failover / drPlans.failback)
  --config FILE      the configuration file (default: $REWIND_CONFIG_FILE); with it the plan's layers are
                     sent in the request (the deployment need not know the plan)`;

const CHECK_USAGE = `Usage: rewind dr check [--plan NAME] [--failback] [--unplanned] [--config FILE]

  Where every resource of a DR plan stands (primary, replica state, members), and whether a planned
  failover (or failback) would start; exit 1 when it would be refused.

${PLAN_OPTIONS}
  --failback         check the failback plan
  --unplanned        check as for an unplanned move (only existence, membership, opt-in)

${TARGET_USAGE}`;

const moveUsage = (
  direction: 'failover' | 'failback',
) => `Usage: rewind ${direction} [--plan NAME] [--unplanned] [--config FILE] [--request-id ID] [--wait]

  Publishes FailoverRequested (direction ${direction}): the plan's layers in order, the resources of a layer
  in parallel. Planned (default): refused unless every resource is ready (rewind dr check); --unplanned:
  the primary region is down, data loss allowed (Aurora: FailoverGlobalCluster with AllowDataLoss).

${PLAN_OPTIONS}
  --unplanned        the primary region is down
  --request-id ID    idempotency key (default cli-<time>-<random>)
  --wait             follow the run live until it ends; exit 0 only when every resource moved

${TARGET_USAGE}`;

function readPlans(file: string | undefined): DrPlansSection | undefined {
  if (!file) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CliError(
      `cannot read ${file} as JSON: ${(err as Error).message}`,
      'pass the configuration file with --config',
    );
  }
  try {
    return drPlansOf(json);
  } catch (err) {
    if (err instanceof DrPlanError)
      throw new CliError(`${file}: ${err.message}`, 'fix the plans and run it again');
    throw err;
  }
}

function planFrom(section: DrPlansSection, direction: 'failover' | 'failback', name?: string) {
  try {
    return choosePlan(section, direction, name);
  } catch (err) {
    if (err instanceof DrPlanError)
      throw new CliError(err.problems.join('; '), 'see the drPlans section of the configuration file');
    throw err;
  }
}

async function check(args: string[], io: Io): Promise<number> {
  const { values } = parseCommand(
    args,
    {
      plan: { type: 'string' },
      config: { type: 'string' },
      failback: { type: 'boolean' },
      unplanned: { type: 'boolean' },
    },
    CHECK_USAGE,
    { min: 0, max: 0 },
  );
  const file = values.config ?? io.env.REWIND_CONFIG_FILE;
  const section = readPlans(file);
  if (!section)
    throw new UsageError('no configuration file: pass --config FILE or set REWIND_CONFIG_FILE', CHECK_USAGE);
  const direction = values.failback ? 'failback' : 'failover';
  const mode = values.unplanned ? 'unplanned' : 'planned';
  const { name, plan } = planFrom(section, direction, values.plan);
  const out = new Output(io, values.json === true);
  return withClients(values, async (clients) => {
    const readiness = await planReadiness(clients, plan.layers, direction, mode);
    out.line(`Plan ${name} (${mode} ${direction}) on ${clients.target.description}:`);
    for (const r of readiness.resources) {
      const state = r.inspection.atTarget
        ? out.paint('green', 'already moved')
        : r.inspection.problems.length
          ? out.paint('red', `not ready: ${r.inspection.problems.join('; ')}`)
          : out.paint('green', 'ready');
      out.line(`  layer ${r.layer}  ${r.type} ${r.id} -> ${r.region}: ${r.inspection.detail}; ${state}`);
    }
    out.line(
      readiness.ready
        ? `Ready: rewind ${direction} --plan ${name}${mode === 'unplanned' ? ' --unplanned' : ''}`
        : 'Not ready: a planned move would be refused.',
    );
    const exitCode = readiness.ready ? 0 : 1;
    out.document({
      plan: name,
      direction,
      mode,
      ready: readiness.ready,
      resources: readiness.resources.map((r) => ({
        layer: r.layer,
        type: r.type,
        id: r.id,
        region: r.region,
        atTarget: r.inspection.atTarget,
        detail: r.inspection.detail,
        problems: r.inspection.problems,
      })),
      exitCode,
    });
    return exitCode;
  });
}

type Terminal = EventDetail<'FailoverCompleted'> | EventDetail<'FailoverFailed'>;

const terminalOf = (timeline: LogEntry[]) =>
  timeline.find(
    (e) => e.direction === 'out' && (e.type === 'FailoverCompleted' || e.type === 'FailoverFailed'),
  );

const TERMINAL_ENTRY_WAIT_MS = 30_000;

/** Follows a DR run: a line per layer as it starts, where it waits, and every resource's outcome at the end. */
async function follow(
  clients: Clients,
  out: Output,
  runId: string,
): Promise<{ run: RunRecord; terminal?: Terminal }> {
  let said = '';
  let endedAt: number | undefined;
  for (;;) {
    const run = (await clients.store.getRun(runId))!;
    const phase = run.expectation?.phase;
    const line = phase
      ? `  phase ${phase.index + 1}: ${phase.watch.join(', ')} ${run.expectation?.acted ? '(sent)' : ''}`.trimEnd()
      : '';
    if (line && line !== said) out.line(line);
    said = line || said;
    if (run.status !== 'running') {
      // The run's status is written before its terminal event is published and logged: wait for the
      // entry a little, so the outcome of every resource is printed (not only the status).
      const entry = terminalOf(await clients.store.getTimeline(runId));
      endedAt ??= Date.now();
      if (entry || Date.now() - endedAt > TERMINAL_ENTRY_WAIT_MS) {
        return { run, terminal: entry?.detail as Terminal | undefined };
      }
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function move(direction: 'failover' | 'failback', args: string[], io: Io): Promise<number> {
  const usage = moveUsage(direction);
  const { values } = parseCommand(
    args,
    {
      plan: { type: 'string' },
      config: { type: 'string' },
      unplanned: { type: 'boolean' },
      'request-id': { type: 'string' },
      wait: { type: 'boolean' },
    },
    usage,
    { min: 0, max: 0 },
  );
  const section = readPlans(values.config ?? io.env.REWIND_CONFIG_FILE);
  let layers: DrLayer[] | undefined;
  let plan = values.plan;
  if (section) {
    const chosen = planFrom(section, direction, values.plan);
    plan = chosen.name;
    layers = chosen.plan.layers;
  }
  const request = {
    ...(plan ? { plan } : {}),
    ...(layers ? { layers } : {}),
    direction,
    mode: values.unplanned ? 'unplanned' : 'planned',
    requestId: values['request-id'] ?? newRequestId(),
  };
  const parsed = parseEvent('FailoverRequested', request);
  if (!parsed.ok) throw new UsageError(parsed.issues.join('; '), usage);
  const out = new Output(io, values.json === true);
  return withClients(values, async (clients) => {
    const eventId = await putClientEvent(clients, 'FailoverRequested', request, 'DR request');
    out.line(
      `Requested ${request.mode} ${direction} of plan ${plan ?? '(deployment default)'} (request ${request.requestId}) on ${clients.target.description}`,
    );
    const started = await awaitRun(clients, eventId);
    if (started.status === 'rejected') {
      out.line(`${out.paint('red', 'FailoverRejected')}: ${started.rejection?.reason}`);
      out.document({
        runId: started.runId,
        status: 'rejected',
        code: started.rejection?.code,
        reason: started.rejection?.reason,
        exitCode: 1,
      });
      return 1;
    }
    out.line(`Run ${started.runId}: ${started.dr?.layers.length ?? 0} layer(s)`);
    if (!values.wait) {
      out.line(`  follow it with: rewind status ${started.runId}`);
      out.document({ runId: started.runId, status: started.status, exitCode: 0 });
      return 0;
    }
    const { run, terminal } = await follow(clients, out, started.runId);
    for (const r of terminal?.resources ?? []) {
      const colour = r.outcome === 'moved' ? 'green' : 'red';
      out.line(
        `  layer ${r.layer}  ${r.type} ${r.id} -> ${r.region}: ${out.paint(colour, r.outcome)} (${r.detail})`,
      );
    }
    const failed = terminal && 'action' in terminal ? terminal : undefined;
    if (failed) {
      out.line(`${out.paint('red', 'FailoverFailed')} at layer ${failed.failedLayer}: ${failed.reason}`);
      out.line(`  ${failed.action}`);
    } else out.line(out.paint('green', `${direction} completed`));
    const exitCode = run.status === 'completed' ? 0 : 1;
    out.document({ runId: run.runId, status: run.status, ...(terminal ?? {}), exitCode });
    return exitCode;
  });
}

export const drCommand: Command = {
  name: 'dr',
  summary: 'DR plans: rewind dr check [--plan NAME] (readiness of a failover or failback)',
  usage: CHECK_USAGE,
  run: (args, io) => {
    const [sub, ...rest] = args;
    if (sub !== 'check') throw new UsageError(`unknown dr subcommand "${sub ?? ''}"`, CHECK_USAGE);
    return check(rest, io);
  },
};

export const failoverCommand: Command = {
  name: 'failover',
  summary: 'Move a DR plan to its DR region, layer after layer (--unplanned, --wait)',
  usage: moveUsage('failover'),
  run: (args, io) => move('failover', args, io),
};

export const failbackCommand: Command = {
  name: 'failback',
  summary: 'Move a DR plan back to its original region (--wait)',
  usage: moveUsage('failback'),
  run: (args, io) => move('failback', args, io),
};
