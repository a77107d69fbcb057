import { POLICY_FILE_ENV, policyFileFromEnv } from '@rewind/shared';
import type { Command } from '../command';
import { createClients, resolveTarget } from '../context';
import { UsageError } from '../errors';
import { untilStopped } from '../io';
import { intOption, parseCommand, TARGET_USAGE } from '../options';
import { Output } from '../output';
import { loadPolicyConfig } from '../policySnapshots';
import { startConsole } from '../ui/server';

const USAGE = `Usage: rewind ui [--port N] [--refresh MS] [--config FILE]

  The operations console: a web page on http://127.0.0.1:<port>/ that reads what the CLI reads (runs and
  their timelines, databases, replications, dead-letter queues, the topology) and acts as the CLI does
  (replay, cancel, redrive, restore, snapshot, replicate), each action after a confirmation that says
  exactly what it does. It creates nothing
  in the account, listens on 127.0.0.1 only, answers only to that address (not to another host name: DNS
  rebinding) and to whoever opened the address it prints (it carries the session: keep it to yourself),
  sends no CORS headers, and acts only on a POST carrying this session's token. Ctrl-C stops it.

  --port N       the port (default: a free one, printed)
  --refresh MS   how often live pages refresh (default 1000 on an endpoint, 5000 on AWS)
  --config FILE  the policy file (default: $${POLICY_FILE_ENV}): the databases page shows which snapshot
                 policy keeps each snapshot, the DR plans' readiness and the replication policies; the
                 replication page, the policies to replicate now (read again at every refresh)

${TARGET_USAGE}`;

export const uiCommand: Command = {
  name: 'ui',
  summary:
    'The operations console: runs, timelines, choreography, databases, replication, dead letters (web, localhost)',
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommand(
      args,
      { port: { type: 'string' }, refresh: { type: 'string' }, config: { type: 'string' } },
      USAGE,
      { min: 0, max: 0 },
    );
    const port = intOption(values.port, 'port', 0, USAGE, 0);
    if (port > 65535) throw new UsageError(`--port must be 0-65535, not "${values.port}"`, USAGE);
    // Checked now, as rewind snapshots list and rewind dr check do: a mistake is said at once.
    const policyFile =
      values.config || policyFileFromEnv(io.env) ? loadPolicyConfig(values.config, io.env).file : undefined;
    const out = new Output(io, values.json === true);
    const clients = createClients(await resolveTarget(values));
    const liveMs = intOption(values.refresh, 'refresh', clients.target.endpoint ? 1000 : 5000, USAGE, 200);
    try {
      const web = await startConsole(clients, { port, liveMs, policyFile }).catch(
        (err: NodeJS.ErrnoException) => {
          if (err.code === 'EADDRINUSE')
            throw new UsageError(
              `port ${port} is in use on 127.0.0.1: pass another --port, or none for a free one`,
              USAGE,
            );
          throw err;
        },
      );
      out.line(
        `Rewind console on ${web.url} (reading ${clients.target.description}, prefix ${clients.target.names.prefix})`,
      );
      if (policyFile) out.line(`Snapshot policies and DR plans from ${policyFile}.`);
      out.line('Open it in a browser on this machine. Ctrl-C to stop.');
      out.document({
        url: web.url,
        target: clients.target.description,
        prefix: clients.target.names.prefix,
        policyFile: policyFile ?? null,
      });
      const signal = await untilStopped();
      out.line(`${signal}: console stopped.`);
      await web.close();
      return 0;
    } finally {
      clients.close();
    }
  },
};
