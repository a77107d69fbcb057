import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_PORT, runAgainst, startLocalCloud, type FunctionStatus } from '@rewind/local';
import { POLICY_FILE_ENV, policyFileFromEnv, readPolicyFile, schedulerSchedules } from '@rewind/shared';
import type { Command } from '../command';
import { CliError, UsageError } from '../errors';

const DEFAULT_TIME_SCALE = 0.01;

const USAGE = `Usage: rewind local up [--port N] [--time-scale F] [--state-dir DIR] [--config FILE] [--accounts ID,ID...] [--endpoint URL | --aws] [--prefix NAME] [--verbose] [--quiet]

  Starts the Rewind local cloud in the foreground: one AWS-compatible endpoint (SQS, SNS, DynamoDB,
  EventBridge, RDS, SES and a webhook sink), the resources of the topology, and the function runtime.
  Ctrl-C stops it. Without --state-dir everything it holds is lost when it stops.

  --port N         edge port on 127.0.0.1 (default ${DEFAULT_PORT}; 0 = any free port)
  --time-scale F   RDS and ElastiCache durations x F (default ${DEFAULT_TIME_SCALE}: a ten-minute restore takes ${(600 * DEFAULT_TIME_SCALE).toFixed(0)} s; 1 = real time)
  --state-dir DIR  keep the state in DIR and start from it next time, for every account and region:
                   queues and their messages (delayed and in flight too), tables and items, buses,
                   rules, archives, pending deliveries, KMS keys, RDS resources and their lifecycle steps
                   (resumed at their due times). Saved every second and at stop; not kept: injected
                   faults, histories and call counts, the invocation log
  --config FILE    the policy file (default $${POLICY_FILE_ENV}): provisioning creates its schedules
                   (scheduled runs, snapshot policies) through the Scheduler API as the deployment does,
                   and the lifecycle role reaches the regions its policies copy to
  --accounts IDS   install Rewind in each of these accounts (comma-separated 12-digit ids; the first is the
                   default account, the one the test key acts in; AWS_ACCESS_KEY_ID=<id> acts in another):
                   each its own bus, table, queues, schedules and roles, the policy file's replication
                   policies wired between their buses (cross-account replication)
  --endpoint URL   start no emulators: provision and run the functions against this endpoint
  --aws            start no emulators: provision and run the functions against the real account
  --prefix NAME    resource name prefix (default rewind-local)
  --no-functions   start no function runtime (inspect the inboxes yourself)
  --verbose        one log line per request
  --quiet          no log line per function invocation`;

/** Resolves on a stop signal, or when the parent process is gone (e.g. `npx` killed): nothing is left orphaned on the port. */
function waitForStop(): Promise<string> {
  return new Promise((resolve) => {
    // Listeners stay: a terminal's Ctrl-C reaches this process twice (directly, and forwarded by the
    // `rewind` wrapper), and a second signal without a listener would kill it before it stopped cleanly
    // (and saved its --state-dir). Further signals are ignored; the stop is bounded.
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => resolve(signal));
    const parent = process.ppid;
    const watch = setInterval(() => {
      if (process.ppid === parent) return;
      clearInterval(watch);
      resolve(`parent process ${parent} exited`);
    }, 500);
    watch.unref();
  });
}

/** `--accounts 111111111111,222222222222`: distinct 12-digit ids. */
function accountList(text: string): string[] {
  const ids = text.split(',').map((x) => x.trim());
  const wrong = ids.filter((id) => !/^\d{12}$/.test(id));
  if (wrong.length)
    throw new UsageError(
      `--accounts takes 12-digit account ids separated by commas (e.g. 111111111111,222222222222), not ${wrong.map((w) => `"${w}"`).join(', ')}`,
      USAGE,
    );
  if (new Set(ids).size !== ids.length) throw new UsageError('--accounts names an account twice', USAGE);
  return ids;
}

function describeFunctions(functions: FunctionStatus[]): string[] {
  const label = (f: FunctionStatus) => (f.accountId ? `${f.name} (${f.accountId})` : f.name);
  const running = functions.filter((f) => f.state === 'running').map(label);
  const skipped = functions.filter((f) => f.state === 'skipped').map(label);
  return [
    `  functions running: ${running.length ? running.join(', ') : 'none'}`,
    ...(skipped.length ? [`  not running (handler not loadable, see above): ${skipped.join(', ')}`] : []),
  ];
}

async function up(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      'time-scale': { type: 'string' },
      'state-dir': { type: 'string' },
      endpoint: { type: 'string' },
      aws: { type: 'boolean' },
      prefix: { type: 'string' },
      config: { type: 'string' },
      accounts: { type: 'string' },
      verbose: { type: 'boolean' },
      quiet: { type: 'boolean' },
      'no-functions': { type: 'boolean' },
    },
    strict: true,
  });
  if (values.endpoint && values.aws) throw new UsageError('--endpoint and --aws exclude each other', USAGE);
  if (values['state-dir'] !== undefined && (values.endpoint || values.aws))
    throw new UsageError(
      '--state-dir keeps the state of the local emulators; with --endpoint or --aws there are none (that endpoint keeps its own state)',
      USAGE,
    );
  if (values['state-dir'] === '') throw new UsageError('--state-dir needs a directory', USAGE);
  const accounts = values.accounts === undefined ? undefined : accountList(values.accounts);
  if (accounts && (values.endpoint || values.aws))
    throw new UsageError(
      '--accounts installs Rewind in accounts of the local cloud; not with --endpoint or --aws',
      USAGE,
    );
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be 0-65535, not "${values.port}"`, USAGE);
  const timeScale = values['time-scale'] === undefined ? DEFAULT_TIME_SCALE : Number(values['time-scale']);
  if (!Number.isFinite(timeScale) || timeScale <= 0)
    throw new UsageError(`--time-scale must be a positive number, not "${values['time-scale']}"`, USAGE);
  // The policy file, checked before anything starts; the roles are generated from it (its copy regions).
  const configFile = values.config ?? policyFileFromEnv(process.env);
  let policies;
  try {
    policies = readPolicyFile(configFile);
  } catch (err) {
    throw new CliError((err as Error).message, 'fix the file; every mistake is listed above');
  }
  if (configFile) process.env[POLICY_FILE_ENV] = resolve(configFile);
  const log = (line: string) => console.log(line);
  // Listening before anything is printed: a signal sent as soon as the banner shows stops it cleanly.
  const stopRequested = waitForStop();

  if (values.endpoint || values.aws) {
    const target = values.endpoint ?? 'the AWS account of the current credentials';
    const run = await runAgainst({
      endpoint: values.endpoint,
      prefix: values.prefix,
      quiet: values.quiet,
      verbose: values.verbose,
      log,
    });
    console.log(`Provisioned ${run.resources.prefix} on ${target}`);
    for (const line of describeFunctions(run.runtime.status())) console.log(line);
    console.log('Ctrl-C to stop.');
    console.log(`${await stopRequested}: stopping`);
    await run.stop();
    return 0;
  }

  const cloud = await startLocalCloud({
    port,
    prefix: values.prefix,
    verbose: values.verbose,
    quiet: values.quiet,
    functions: !values['no-functions'],
    stateDir: values['state-dir'],
    rds: { profile: 'realistic', timeScale },
    ...(accounts
      ? { identity: { accountId: accounts[0]! }, installs: accounts.map((accountId) => ({ accountId })) }
      : {}),
    log,
  });
  const { identity, endpoint, names } = cloud;
  const others = cloud.installs.slice(1).map((i) => i.accountId);
  const schedules = schedulerSchedules(policies);
  console.log(
    [
      `Rewind local cloud on ${endpoint} (account ${identity.accountId}, region ${identity.region})`,
      `  bus ${names.busName}, table ${names.tableName}, inboxes ${names.prefix}-<service>-inbox`,
      ...(others.length
        ? [
            `  Rewind also installed in account${others.length > 1 ? 's' : ''} ${others.join(', ')} (same names there; AWS_ACCESS_KEY_ID=<account id> acts in it)`,
          ]
        : []),
      ...describeFunctions(await cloud.admin.functions()),
      ...(schedules.length
        ? [
            `  schedules from ${configFile}: ${schedules.map((s) => s.name).join(', ')} (rewind schedules --config ... lists them)`,
          ]
        : []),
      '',
      'Point the AWS CLI at it:',
      `  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=${identity.region}`,
      `  aws --endpoint-url ${endpoint} events list-event-buses`,
      `  (or export AWS_ENDPOINT_URL=${endpoint} and drop --endpoint-url)`,
      `RDS runs at ${timeScale}x real time (--time-scale); admin API: ${endpoint}/_rewind/health`,
      values['state-dir']
        ? `State kept in ${resolve(values['state-dir'])} (saved every second and at stop)`
        : 'State in memory only: lost when this stops (--state-dir DIR keeps it)',
      'Ctrl-C to stop.',
    ].join('\n'),
  );
  console.log(`${await stopRequested}: stopping`);
  await cloud.stop();
  return 0;
}

export const localCommand: Command = {
  name: 'local',
  summary: 'Run the local cloud (rewind local up)',
  usage: USAGE,
  async run(args) {
    // `local up` runs in the foreground and prints to the process streams.
    const [sub, ...rest] = args;
    if (sub === 'up') return up(rest);
    throw new UsageError(sub ? `Unknown subcommand "local ${sub}"` : 'Missing subcommand', USAGE);
  },
};
