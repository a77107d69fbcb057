import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  parseEvent,
  replicationPeers,
  type EventInput,
  type PolicyConfig,
  type ReplicationPolicy,
} from '@rewind/shared';
import { replicationKeyRequirements } from '../../../deploy/replicationKeys';
import type { Command } from '../command';
import { createClients, resolveTarget, withClients, type Clients } from '../context';
import { CliError, UsageError } from '../errors';
import type { Io } from '../io';
import { parseCommand, TARGET_USAGE } from '../options';
import { formatTime, Output } from '../output';
import { loadPolicyConfig } from '../policySnapshots';
import {
  filterReplications,
  REPLICATION_OUTCOMES,
  replicationJobs,
  SOURCE_PREFIX,
  type ReplicationOutcome,
  sourceView,
  type JobItem,
  type ReplicationJobView,
} from '../replicationJobs';
import { newRequestId, putClientEvent } from '../requests';

/**
 * `rewind replicate`, `rewind replication status`, `rewind replication key-policy`: cross-account
 * replication (docs/replication.md) from the policy file's `replication` section.
 */

const CONFIG_OPTION = `  --config FILE      the policy file (default: $REWIND_CONFIG_FILE)`;

const REPLICATE_USAGE = `Usage: rewind replicate <db> --to <account> [--policy NAME] [--config FILE] [--request-id ID] [--wait]

  Replicates <db> to another account now, by the replication policy of the policy file whose source is
  <db> and which has that destination: publishes ReplicationRequested on the source account's bus (the
  source account's Rewind snapshots, re-encrypts, shares; the destination's copies and restores).

  --to ACCOUNT       the destination account (12 digits): one of the policy's destinations
  --policy NAME      the policy, when several replicate <db> to that account
${CONFIG_OPTION}
  --request-id ID    idempotency key (default cli-<time>-<random>): the same id starts nothing new
  --wait             follow it until every destination answered; exit 0 only when all completed

${TARGET_USAGE}
  On the local cloud, the request is put in the policy's source account.`;

const STATUS_USAGE = `Usage: rewind replication status [--policy NAME] [--state S] [--peer-endpoint URL | --peer-profile P] [--limit N]

  The replications this account knows (source side: each destination's answer; destination side: the
  copy, the restore run, the secret, the versions), newest first, and with --peer-* the peer account's
  too (the other side of the same replications).

  --policy NAME        only this policy
  --state S            only those ${REPLICATION_OUTCOMES.join(', ')} (failed: this side or a destination)
  --peer-endpoint URL  the peer account's Rewind on an endpoint (the local cloud: --peer-account picks it)
  --peer-profile P     the peer account's AWS profile (with --peer-region if its region differs)
  --peer-region R      the peer's region (default: this target's)
  --peer-account ID    the peer account: on the local cloud, required (its access key is the account id)
  --limit N            at most N replications per account (default 20)

${TARGET_USAGE}`;

const KEY_POLICY_USAGE = `Usage: rewind replication key-policy --policy NAME [--config FILE] [--stage S | --prefix P] [--json]

  The KMS key policy statements a replication policy needs, generated from it: on the source key (the
  destination accounts copy with it), on each destination key (that account's replication role), and the
  IAM statements of each destination's replication role on the source key. Add them to each key's policy
  (aws kms get-key-policy / put-key-policy, in the key's account). No AWS call is made.

  --policy NAME     the replication policy
${CONFIG_OPTION}
  --stage S         the deployed stage (role rewind-<stage>-replication; default dev)
  --prefix P        the resource prefix instead (role <prefix>-replication)
  --json            the statements as JSON`;

function policiesOf(config: PolicyConfig, file: string): ReplicationPolicy[] {
  if (!config.replication.length)
    throw new CliError(
      `${file} has no replication policy`,
      'add a "replication" section (docs/replication.md; example: rewind.config.example.json)',
    );
  return config.replication;
}

/** The policy replicating `db` to `account` (named by --policy when several do). */
export function choosePolicy(
  policies: readonly ReplicationPolicy[],
  db: string,
  account: string,
  name?: string,
): ReplicationPolicy {
  const list = (ps: readonly ReplicationPolicy[]) =>
    ps
      .map((p) => `${p.name} (${p.source.identifier} -> ${p.destinations.map((d) => d.account).join(', ')})`)
      .join('; ');
  if (name) {
    const policy = policies.find((p) => p.name === name);
    if (!policy) throw new CliError(`no replication policy "${name}"`, `the policies: ${list(policies)}`);
    if (policy.source.identifier !== db)
      throw new CliError(
        `policy ${name} replicates ${policy.source.identifier}, not ${db}`,
        `rewind replicate ${policy.source.identifier} --to ${account} --policy ${name}`,
      );
    if (!policy.destinations.some((d) => d.account === account))
      throw new CliError(
        `policy ${name} does not replicate to account ${account}`,
        `its destinations: ${policy.destinations.map((d) => d.account).join(', ')}; add the account to the policy and redeploy in both accounts`,
      );
    return policy;
  }
  const ofDb = policies.filter((p) => p.source.identifier === db);
  if (!ofDb.length)
    throw new CliError(`no replication policy has ${db} as its source`, `the policies: ${list(policies)}`);
  const matching = ofDb.filter((p) => p.destinations.some((d) => d.account === account));
  if (!matching.length)
    throw new CliError(
      `no replication policy replicates ${db} to account ${account}`,
      `those of ${db}: ${list(ofDb)}; add the account to one and redeploy in both accounts`,
    );
  if (matching.length > 1)
    throw new UsageError(
      `several policies replicate ${db} to account ${account}: ${matching.map((p) => p.name).join(', ')}; pass --policy NAME`,
      REPLICATE_USAGE,
    );
  return matching[0]!;
}

export type ReplicationRequest = EventInput<'ReplicationRequested'> & { requestId: string };

/**
 * The `ReplicationRequested` of `rewind replicate` and of the console's "Replicate now": the policy, the
 * destinations asked for (each one of the policy's), a request id (fixed by the caller so that a repeated
 * request starts nothing new), who asks. Checked against the event's contract.
 */
export function replicationRequestOf(
  policy: ReplicationPolicy,
  destinations: readonly string[],
  requestId: string | undefined,
  requestedBy: string,
  invalid: (issues: string[]) => Error = (issues) => new CliError(issues.join('; ')),
): ReplicationRequest {
  const accounts = policy.destinations.map((d) => d.account);
  const unknown = destinations.filter((a) => !accounts.includes(a));
  if (unknown.length)
    throw new CliError(
      `policy ${policy.name} does not replicate to account ${unknown.join(', ')}`,
      `its destinations: ${accounts.join(', ')}; add the account to the policy and redeploy in both accounts`,
    );
  const request = {
    policy: policy.name,
    destinations: [...destinations],
    requestId: requestId ?? newRequestId(),
    requestedBy,
  };
  const parsed = parseEvent('ReplicationRequested', request);
  if (!parsed.ok) throw invalid(parsed.issues);
  return request;
}

/** The source job the replication service keeps for a request (`REPLSRC#<policy>#<requestId>`). */
export const replicationJobKey = (request: ReplicationRequest) =>
  `${SOURCE_PREFIX}${request.policy}#${request.requestId}`;

/** Publishes a replication request on the target's bus (the policy's source account); the event id. */
export const publishReplication = (clients: Clients, request: ReplicationRequest) =>
  putClientEvent(clients, 'ReplicationRequested', request, 'replication request');

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function sourceJob(clients: Clients, pk: string): Promise<ReplicationJobView | undefined> {
  const out = await DynamoDBDocumentClient.from(clients.dynamo).send(
    new GetCommand({
      TableName: clients.target.names.tableName,
      Key: { pk, sk: 'JOB' },
      ConsistentRead: true,
    }),
  );
  return out.Item ? sourceView(out.Item as JobItem) : undefined;
}

const destinationLine = (d: ReplicationJobView['destinations'][number]) =>
  `${d.account}: ${d.state}${d.stage ? ` at ${d.stage}` : ''}${d.identifier ? ` (${d.identifier})` : ''}${d.reason ? `: ${d.reason}` : ''}`;

/** Follows a source job until every destination answered (or the source failed); its last view. */
async function follow(
  clients: Clients,
  out: Output,
  pk: string,
  intervalMs: number,
): Promise<ReplicationJobView> {
  const pickedUpBy = Date.now() + 60_000;
  let said = '';
  for (;;) {
    const view = await sourceJob(clients, pk);
    if (!view && Date.now() > pickedUpBy)
      throw new CliError(
        'the replication service has not picked up the request after 60 s',
        'is the replication stack deployed in this account? see rewind dlq replication',
      );
    if (view) {
      const line = [
        `  ${view.state}${view.lastMark ? ` (${view.lastMark.name})` : ''}`,
        ...view.destinations.map((d) => `    ${destinationLine(d)}`),
      ].join('\n');
      if (line !== said) out.line(line);
      said = line;
      if (view.state !== 'running') return view;
    }
    await sleep(intervalMs);
  }
}

async function replicate(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(
    args,
    {
      to: { type: 'string' },
      policy: { type: 'string' },
      config: { type: 'string' },
      'request-id': { type: 'string' },
      wait: { type: 'boolean' },
    },
    REPLICATE_USAGE,
    { min: 1, max: 1 },
  );
  const db = positionals[0]!;
  if (!values.to) throw new UsageError('--to ACCOUNT is required (the destination account)', REPLICATE_USAGE);
  if (!/^\d{12}$/.test(values.to))
    throw new UsageError(`--to must be a 12-digit account id, not "${values.to}"`, REPLICATE_USAGE);
  const { config, file } = loadPolicyConfig(values.config, io.env);
  const policy = choosePolicy(policiesOf(config, file), db, values.to, values.policy);
  const request = replicationRequestOf(
    policy,
    [values.to],
    values['request-id'],
    'rewind-cli',
    (issues) => new UsageError(issues.join('; '), REPLICATE_USAGE),
  );
  const out = new Output(io, values.json === true);
  const pk = replicationJobKey(request);
  return withClients(
    values,
    async (clients) => {
      await publishReplication(clients, request);
      out.line(
        `Requested replication of ${db} (account ${policy.source.account}) to account ${values.to} by policy ${policy.name} (request ${request.requestId}) on ${clients.target.description}`,
      );
      if (!values.wait) {
        out.line(`  follow it with: rewind replication status --policy ${policy.name}`);
        out.document({ ...request, status: 'requested', exitCode: 0 });
        return 0;
      }
      const view = await follow(clients, out, pk, clients.target.local ? 200 : 5000);
      const completed = view.state === 'finished' && view.destinations.every((d) => d.state === 'completed');
      if (view.failure) {
        out.line(`${out.paint('red', 'ReplicationFailed')} at ${view.failure.stage}: ${view.failure.reason}`);
        if (view.failure.action) out.line(`  ${view.failure.action}`);
      } else if (completed) out.line(out.paint('green', 'replication completed'));
      else out.line(out.paint('red', 'replication ended without completing in every destination'));
      const exitCode = completed ? 0 : 1;
      out.document({ ...request, replication: view, exitCode });
      return exitCode;
    },
    policy.source.account,
  );
}

function printJobs(out: Output, title: string, views: ReplicationJobView[]): void {
  out.line(title);
  if (!views.length) {
    out.line('  no replication');
    return;
  }
  for (const v of views) {
    const colour = /failed|bounced|no-answer/.test(v.state)
      ? 'red'
      : /finished|completed/.test(v.state)
        ? 'green'
        : 'yellow';
    out.line(
      `  ${v.side.padEnd(11)} ${v.replicationId}  ${out.paint(colour, v.state)}  started ${formatTime(v.startedAt)}${v.lastMark ? `, last ${v.lastMark.name} ${formatTime(v.lastMark.at)}` : ''}`,
    );
    if (v.failure) {
      out.line(`    failed at ${v.failure.stage}: ${v.failure.reason}`);
      if (v.failure.cleanedUp?.length) out.line(`    cleaned up: ${v.failure.cleanedUp.join('; ')}`);
      if (v.failure.action) out.line(`    what to do: ${v.failure.action}`);
    }
    for (const d of v.destinations) {
      out.line(`    -> ${destinationLine(d)}`);
      if (d.cleanedUp?.length) out.line(`       cleaned up: ${d.cleanedUp.join('; ')}`);
      if (d.action) out.line(`       what to do: ${d.action}`);
    }
    if (v.side === 'destination') {
      const parts = [
        v.copy ? `copy ${v.copy}` : '',
        v.runId ? `run ${v.runId}` : '',
        v.result ? `restored ${v.result.identifier}${v.result.address ? ` (${v.result.address})` : ''}` : '',
        v.mode ? `mode ${v.mode}` : '',
        v.secret ? `secret ${v.secret.id}.${v.secret.field} updated` : '',
        v.versions
          ? `versions kept ${v.versions.kept.join(', ') || '-'}, deleted ${v.versions.deleted.join(', ') || '-'}`
          : '',
      ].filter(Boolean);
      if (parts.length) out.line(`    ${parts.join('; ')}`);
      for (const w of v.warnings) out.line(`    warning: ${w}`);
    }
  }
}

/**
 * One account's replications as `rewind replication status --json` lists them (and the console shows):
 * newest first, filtered, at most `limit`.
 */
export async function replicationStatus(
  clients: Pick<Clients, 'dynamo' | 'target'>,
  filter: { policy?: string; state?: ReplicationOutcome },
  limit: number,
): Promise<ReplicationJobView[]> {
  const views = await replicationJobs(clients.dynamo, clients.target.names.tableName, filter.policy);
  return filterReplications(views, filter).slice(0, limit);
}

/** --peer-account, checked. */
function peerAccount(value: string | undefined): string | undefined {
  if (value !== undefined && !/^\d{12}$/.test(value))
    throw new UsageError(`--peer-account must be a 12-digit account id, not "${value}"`, STATUS_USAGE);
  return value;
}

async function status(args: string[], io: Io): Promise<number> {
  const { values } = parseCommand(
    args,
    {
      policy: { type: 'string' },
      state: { type: 'string' },
      'peer-endpoint': { type: 'string' },
      'peer-profile': { type: 'string' },
      'peer-region': { type: 'string' },
      'peer-account': { type: 'string' },
      limit: { type: 'string' },
    },
    STATUS_USAGE,
    { min: 0, max: 0 },
  );
  if (values['peer-endpoint'] && values['peer-profile'])
    throw new UsageError('give --peer-endpoint or --peer-profile, not both', STATUS_USAGE);
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError(`--limit must be an integer >= 1, not "${values.limit}"`, STATUS_USAGE);
  const state = values.state as ReplicationOutcome | undefined;
  if (state !== undefined && !REPLICATION_OUTCOMES.includes(state))
    throw new UsageError(
      `--state must be one of ${REPLICATION_OUTCOMES.join(', ')}, not "${values.state}"`,
      STATUS_USAGE,
    );
  const out = new Output(io, values.json === true);
  const peerWanted = Boolean(values['peer-endpoint'] || values['peer-profile']);
  const peer = peerAccount(values['peer-account']);
  return withClients(values, async (clients) => {
    const own = await replicationStatus(clients, { policy: values.policy, state }, limit);
    printJobs(out, `This account (${clients.target.description}):`, own);
    let peerViews: ReplicationJobView[] | undefined;
    let peerDescription: string | undefined;
    if (peerWanted) {
      const target = await resolveTarget({
        endpoint: values['peer-endpoint'],
        profile: values['peer-profile'],
        region: values['peer-region'] ?? (values['peer-profile'] ? clients.target.region : undefined),
        prefix: values.prefix,
        stage: values.stage,
      });
      if (target.local && !peer)
        throw new UsageError(
          'on the local cloud the peer account must be named (its access key is the account id): --peer-account ID',
          STATUS_USAGE,
        );
      const peerClients = createClients(target, peer);
      try {
        peerDescription = `${peer ? `account ${peer} on ` : ''}${target.description}`;
        peerViews = await replicationStatus(peerClients, { policy: values.policy, state }, limit);
      } finally {
        peerClients.close();
      }
      out.line();
      printJobs(out, `Peer ${peerDescription}:`, peerViews);
    }
    out.document({
      replications: own,
      ...(peerViews ? { peer: { target: peerDescription, replications: peerViews } } : {}),
      exitCode: 0,
    });
    return 0;
  });
}

function keyPolicy(args: string[], io: Io): number {
  const { values } = parseCommand(
    args,
    { policy: { type: 'string' }, config: { type: 'string' } },
    KEY_POLICY_USAGE,
    { min: 0, max: 0 },
  );
  if (!values.policy) throw new UsageError('--policy NAME is required', KEY_POLICY_USAGE);
  const { config, file } = loadPolicyConfig(values.config, io.env);
  const policies = policiesOf(config, file);
  const policy = policies.find((p) => p.name === values.policy);
  if (!policy)
    throw new CliError(
      `no replication policy "${values.policy}" in ${file}`,
      `the policies: ${policies.map((p) => p.name).join(', ')}`,
    );
  const prefix = values.prefix ?? `rewind-${values.stage ?? 'dev'}`;
  const req = replicationKeyRequirements(policy, prefix);
  const out = new Output(io, values.json === true);
  out.line(
    `Replication policy ${policy.name}: ${policy.source.identifier} (${policy.source.account}, ${policy.source.region})`,
  );
  for (const key of req.keys) {
    out.line();
    out.line(
      `${key.side === 'source' ? 'Source' : 'Destination'} key ${key.key} (account ${key.account}, ${key.region}): ${key.purpose}.`,
    );
    out.line('Add these statements to its key policy:');
    out.line(JSON.stringify(key.statements, null, 2));
  }
  for (const d of req.destinationIam) {
    out.line();
    out.line(
      `Account ${d.account}: its replication role (${prefix}-replication) is given these by the deployment (REWIND_ACCOUNT_ID=${d.account}):`,
    );
    out.line(JSON.stringify(d.statements, null, 2));
  }
  for (const note of req.notes) {
    out.line();
    out.line(`Note: ${note}`);
  }
  const peers = replicationPeers([policy], policy.source.account);
  out.line();
  out.line(
    `Bus policies: generated by the deployment in each account (the source admits ${peers.destinations.join(', ')}; each destination admits ${policy.source.account}).`,
  );
  out.document({ ...req, prefix });
  return 0;
}

export const replicateCommand: Command = {
  name: 'replicate',
  summary: 'Replicate a database to another account now, by its replication policy (--wait)',
  usage: REPLICATE_USAGE,
  run: (args, io) => replicate(args, io),
};

export const replicationCommand: Command = {
  name: 'replication',
  summary: 'Replications: status [--peer-endpoint|--peer-profile], key-policy --policy NAME',
  usage: `${STATUS_USAGE}\n\n${KEY_POLICY_USAGE}`,
  run: async (args, io) => {
    const [sub, ...rest] = args;
    if (sub === 'status') return status(rest, io);
    if (sub === 'key-policy') return keyPolicy(rest, io);
    throw new UsageError(
      `unknown replication subcommand "${sub ?? ''}" (status, key-policy)`,
      `${STATUS_USAGE}\n\n${KEY_POLICY_USAGE}`,
    );
  },
};
