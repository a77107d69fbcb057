import { replicationIdOf, type ReplicationPolicy } from '@rewind/shared';
import { who } from '../../commands/cancel';
import {
  publishReplication,
  replicationRequestOf,
  replicationStatus,
  type ReplicationRequest,
} from '../../commands/replication';
import { CliError } from '../../errors';
import {
  outcomeOfView,
  REPLICATION_OUTCOMES,
  type DestinationState,
  type ReplicationFailure,
  type ReplicationJobView,
  type ReplicationOutcome,
} from '../../replicationJobs';
import type { ConsoleContext } from '../context';
import { html, query, type Html } from '../html';
import { badge, time, type Page } from '../layout';
import { accountOf, destinationText, replicationPolicies, scheduleText } from '../replication';
import { problemPage } from './actions';

/**
 * The replication page: this account's replications as `rewind replication status --json` lists them (the
 * same function), as the source (each destination's answer) and as a destination (the copy, the restore
 * run, the secret, the versions), each failure with its stage, reason, what was cleaned up and what to
 * do; the policies this account is the source of, each with "Replicate now…" (a confirmation, then the
 * request `rewind replicate` publishes).
 */

const LIMIT = 100;

/** A state's badge: its word, coloured as a run's status of the same sense. */
export function stateBadge(state: string): Html {
  const tone = ['completed', 'finished'].includes(state)
    ? 'completed'
    : ['failed', 'bounced', 'no-answer'].includes(state)
      ? 'failed'
      : state === 'pending'
        ? 'pending'
        : 'running';
  return badge(tone, state);
}

const list = (items: readonly string[] | undefined, none = 'nothing') =>
  items?.length ? items.join('; ') : none;

/** A failure: the stage, the reason, what was cleaned up, what to do. */
export function failureBlock(f: ReplicationFailure | DestinationState, label: string): Html {
  return html`<div class="panel bad failure" role="group" aria-label="${label}">
    <dl class="facts">
      <dt>Failed at</dt>
      <dd>${f.stage ?? '-'}${f.rolledBack ? ' (the restore run rolled back)' : ''}</dd>
      <dt>Reason</dt>
      <dd>${f.reason ?? '-'}</dd>
      <dt>Cleaned up</dt>
      <dd>${list(f.cleanedUp)}</dd>
      <dt>What to do</dt>
      <dd>${f.action ?? 'see the alert sent where it failed'}</dd>
    </dl>
  </div>`;
}

function destinationItem(d: DestinationState): Html {
  const failed = ['failed', 'bounced', 'no-answer'].includes(d.state);
  return html`<li data-destination="${d.account}">
    <span class="mono">${d.account}</span>${d.mode ? html` <span class="muted">(${d.mode})</span>` : ''}
    ${stateBadge(d.state)}${d.stage && !failed ? ` at ${d.stage}` : ''}${d.identifier ? html` restored <span class="mono">${d.identifier}</span>` : ''}${d.runId ? html` <span class="muted">run ${d.runId} (in that account)</span>` : ''}
    ${d.at ? html`<span class="muted">${time(d.at)}</span>` : ''}
    ${d.unshared ? html`<span class="muted">no longer shared with it</span>` : ''}
    ${failed ? failureBlock(d, `Failure in account ${d.account}`) : ''}
  </li>`;
}

function sourceTable(views: ReplicationJobView[]): Html {
  return html`<table aria-label="Replications from this account">
    <thead>
      <tr>
        <th scope="col">Replication</th>
        <th scope="col">Policy</th>
        <th scope="col">Database, snapshot</th>
        <th scope="col">Started (UTC)</th>
        <th scope="col">State</th>
        <th scope="col">Destinations</th>
      </tr>
    </thead>
    <tbody>
      ${views.map(
        (v) =>
          html`<tr data-replication="${v.replicationId}" data-side="source">
              <td class="mono">${v.replicationId}</td>
              <td><a href="/replication${query({ policy: v.policy })}">${v.policy}</a></td>
              <td>
                <span class="mono">${v.sourceIdentifier || '-'}</span
                >${v.snapshot ? html`<br /><span class="muted mono">${v.snapshot}</span>` : ''}
              </td>
              <td>${time(v.startedAt)}</td>
              <td>
                ${stateBadge(v.state)}${v.lastMark ? html`<br /><span class="muted">last: ${v.lastMark.name}</span>` : ''}
              </td>
              <td>
                ${
                  v.destinations.length
                    ? html`<ul class="plain" aria-label="Destinations of ${v.replicationId}">
                        ${v.destinations.map(destinationItem)}
                      </ul>`
                    : html`<span class="muted">none announced</span>`
                }
              </td>
            </tr>
            ${
              v.failure
                ? html`<tr data-failure-of="${v.replicationId}">
                    <td colspan="6">${failureBlock(v.failure, `Failure of ${v.replicationId}`)}</td>
                  </tr>`
                : ''
            }`,
      )}
    </tbody>
  </table>`;
}

function restoredCell(v: ReplicationJobView): Html {
  if (v.result)
    return html`<span class="mono">${v.result.identifier}</span
      >${v.result.address ? html`<br /><span class="muted mono">${v.result.address}${v.result.port ? `:${v.result.port}` : ''}</span>` : ''}`;
  if (v.version !== undefined) return html`version ${v.version} <span class="muted">(not yet)</span>`;
  return html`<span class="muted">-</span>`;
}

function secretCell(v: ReplicationJobView): Html {
  if (!v.secret)
    return html`<span class="muted">${v.secretUpdated === false ? 'not yet updated' : 'none'}</span>`;
  return html`<span class="mono">${v.secret.id}</span> "${v.secret.field}" updated to
    <span class="mono">${v.secret.value}</span>`;
}

function destinationTable(views: ReplicationJobView[]): Html {
  return html`<table aria-label="Replications into this account">
    <thead>
      <tr>
        <th scope="col">Replication</th>
        <th scope="col">Policy</th>
        <th scope="col">From</th>
        <th scope="col">Mode</th>
        <th scope="col">Started (UTC)</th>
        <th scope="col">State</th>
        <th scope="col">Restored</th>
        <th scope="col">Run</th>
        <th scope="col">Secret</th>
        <th scope="col">Versions</th>
      </tr>
    </thead>
    <tbody>
      ${views.map(
        (v) =>
          html`<tr data-replication="${v.replicationId}" data-side="destination">
              <td class="mono">${v.replicationId}</td>
              <td><a href="/replication${query({ policy: v.policy })}">${v.policy}</a></td>
              <td>
                account
                <span class="mono">${v.sourceAccount ?? '?'}</span
                >${v.sourceIdentifier ? html`<br /><span class="mono">${v.sourceIdentifier}</span>` : ''}${v.copy ? html`<br /><span class="muted">copy <span class="mono">${v.copy}</span></span>` : ''}
              </td>
              <td>${v.mode ?? '-'}</td>
              <td>${time(v.startedAt)}</td>
              <td>${stateBadge(v.state)}</td>
              <td>${restoredCell(v)}</td>
              <td>
                ${v.runId ? html`<a class="mono" href="/runs/${encodeURIComponent(v.runId)}">${v.runId}</a>` : html`<span class="muted">-</span>`}
              </td>
              <td>${secretCell(v)}</td>
              <td>
                ${v.versions ? html`kept ${v.versions.kept.join(', ') || '-'}<br />deleted ${v.versions.deleted.join(', ') || '-'}` : html`<span class="muted">-</span>`}
              </td>
            </tr>
            ${
              v.failure || v.warnings.length
                ? html`<tr data-failure-of="${v.replicationId}">
                    <td colspan="10">
                      ${v.failure ? failureBlock(v.failure, `Failure of ${v.replicationId}`) : ''}
                      ${v.warnings.map((w) => html`<p class="panel warn">warning: ${w}</p>`)}
                    </td>
                  </tr>`
                : ''
            }`,
      )}
    </tbody>
  </table>`;
}

/** The policies this account is the source of, each with "Replicate now…". */
async function policiesSection(ctx: ConsoleContext): Promise<Html> {
  const loaded = replicationPolicies(ctx);
  if ('error' in loaded) return html`<p class="panel bad" role="alert">policy file: ${loaded.error}</p>`;
  if (!loaded.file)
    return html`<p class="panel">
      No policy file (<code>rewind ui --config FILE</code>, or <code>REWIND_CONFIG_FILE</code>): the policies
      and "Replicate now" need it.
    </p>`;
  const account = await accountOf(ctx.clients);
  const mine = loaded.policies.filter((p) => p.source.account === account);
  if (!mine.length)
    return html`<p class="panel">
      No replication policy of ${loaded.file} has its source in
      ${account ? `account ${account}` : 'this account (which could not be read)'}.
    </p>`;
  return html`<table aria-label="Replication policies of this account">
    <thead>
      <tr>
        <th scope="col">Policy</th>
        <th scope="col">Source database</th>
        <th scope="col">Destinations</th>
        <th scope="col">When</th>
        <th scope="col">Actions</th>
      </tr>
    </thead>
    <tbody>
      ${mine.map(
        (p) =>
          html`<tr data-policy="${p.name}">
            <td>${p.name}</td>
            <td>${p.kind} <span class="mono">${p.source.identifier}</span> (${p.source.region})</td>
            <td>
              <ul class="plain">
                ${p.destinations.map((d) => html`<li><span class="mono">${d.account}</span>: ${destinationText(d)}</li>`)}
              </ul>
            </td>
            <td>${scheduleText(p)}</td>
            <td>
              <a
                href="/replication/replicate${query({ policy: p.name })}"
                aria-label="Replicate ${p.name} now…"
                >Replicate now…</a
              >
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** GET /replication?policy=&state=&requested= */
export async function replicationPage(ctx: ConsoleContext, params: URLSearchParams): Promise<Page> {
  const policy = (params.get('policy') ?? '').trim();
  const state = params.get('state') ?? '';
  const requested = params.get('requested');
  const errors: string[] = [];
  if (state && !(REPLICATION_OUTCOMES as readonly string[]).includes(state))
    errors.push(`state must be one of ${REPLICATION_OUTCOMES.join(', ')}, not "${state}"`);
  const views = errors.length
    ? []
    : await replicationStatus(
        ctx.clients,
        { policy: policy || undefined, state: (state || undefined) as ReplicationOutcome | undefined },
        LIMIT,
      );
  const known = replicationPolicies(ctx);
  const policyNames = [
    ...new Set([
      ...('error' in known ? [] : known.policies.map((p) => p.name)),
      ...views.map((v) => v.policy),
      ...(policy ? [policy] : []),
    ]),
  ].sort();
  const asSource = views.filter((v) => v.side === 'source');
  const asDestination = views.filter((v) => v.side === 'destination');
  const counts = REPLICATION_OUTCOMES.map(
    (o) => `${views.filter((v) => outcomeOfView(v) === o).length} ${o}`,
  );
  return {
    title: 'Replication',
    section: 'replication',
    liveMs: ctx.liveMs * 2,
    body: html`<h1>Replication</h1>
      <p class="lead">
        The replications ${ctx.clients.target.description} knows, newest first: as the source (snapshotted,
        shared, each destination's answer) and as a destination (copied, restored). The same as
        <code
          >rewind replication status${policy ? ` --policy ${policy}` : ''}${state ? ` --state ${state}` : ''}
          --limit ${LIMIT} --json</code
        >; the other account's side: <code>--peer-profile</code>. ${counts.join(', ')}.
      </p>
      ${
        requested
          ? html`<p class="panel ok" role="status">
              Requested (request id <span class="mono">${requested}</span>): the replication service of this
              account takes it; its row appears below.
            </p>`
          : ''
      }
      <form class="filters" method="get" action="/replication" aria-label="Filter replications">
        <label for="f-policy"
          >Policy
          <select id="f-policy" name="policy">
            <option value="">all</option>
            ${policyNames.map((n) => html`<option value="${n}" ${n === policy ? html` selected` : ''}>${n}</option>`)}
          </select></label
        >
        <label for="f-state"
          >State
          <select id="f-state" name="state">
            <option value="">all</option>
            ${REPLICATION_OUTCOMES.map((o) => html`<option value="${o}" ${o === state ? html` selected` : ''}>${o}</option>`)}
          </select></label
        >
        <button type="submit">Filter</button>
        ${policy || state ? html`<a class="button secondary" href="/replication">Clear</a>` : ''}
      </form>
      ${errors.map((e) => html`<div class="panel bad" role="alert">${e}</div>`)}
      <section aria-labelledby="h-as-source">
        <h2 id="h-as-source">As the source (${asSource.length})</h2>
        ${asSource.length ? sourceTable(asSource) : html`<p class="muted">None.</p>`}
      </section>
      <section aria-labelledby="h-as-destination">
        <h2 id="h-as-destination">As a destination (${asDestination.length})</h2>
        ${asDestination.length ? destinationTable(asDestination) : html`<p class="muted">None.</p>`}
      </section>
      <section aria-labelledby="h-policies">
        <h2 id="h-policies">Policies with this account as the source</h2>
        ${await policiesSection(ctx)}
      </section>`,
  };
}

/** The policy a replicate-now form names, checked: in the file, with its source in this account. */
async function sourcePolicy(ctx: ConsoleContext, name: string): Promise<ReplicationPolicy> {
  const loaded = replicationPolicies(ctx);
  if ('error' in loaded)
    throw new CliError(`policy file: ${loaded.error}`, 'correct the file, then try again');
  if (!loaded.file)
    throw new CliError('no policy file', 'start the console with --config FILE (or REWIND_CONFIG_FILE)');
  const policy = loaded.policies.find((p) => p.name === name);
  if (!policy)
    throw new CliError(
      `no replication policy "${name}" in ${loaded.file}`,
      `the policies: ${loaded.policies.map((p) => p.name).join(', ') || 'none'}`,
    );
  const account = await accountOf(ctx.clients);
  if (account !== policy.source.account)
    throw new CliError(
      `policy ${name} replicates from account ${policy.source.account}, and this console reads ${account ? `account ${account}` : 'an account it could not read'}`,
      `start the console against account ${policy.source.account} (its Rewind takes the request), or run rewind replicate ${policy.source.identifier} --to <account> --policy ${name} with its credentials`,
    );
  return policy;
}

/** The request of a replicate-now form (`to`: only those destinations; none: all). */
function requestOf(policy: ReplicationPolicy, params: URLSearchParams): ReplicationRequest {
  const to = params.getAll('to').filter(Boolean);
  return replicationRequestOf(
    policy,
    to.length ? to : policy.destinations.map((d) => d.account),
    params.get('requestId') || undefined,
    `${who()} (rewind ui)`,
    (issues) => new CliError(`the request is not valid: ${issues.join('; ')}`),
  );
}

const retentionText = (r: ReplicationPolicy['retention']) =>
  [
    r.keepLast !== undefined ? `the newest ${r.keepLast}` : '',
    r.maxAgeDays !== undefined ? `those under ${r.maxAgeDays} days old` : '',
  ]
    .filter(Boolean)
    .join(' and ') || 'the newest';

/** GET /replication/replicate?policy=[&to=]: what a replication now does, exactly; then a POST. */
export async function replicateConfirmPage(ctx: ConsoleContext, params: URLSearchParams): Promise<Page> {
  const name = params.get('policy') ?? '';
  let policy: ReplicationPolicy;
  let request: ReplicationRequest;
  try {
    policy = await sourcePolicy(ctx, name);
    request = requestOf(policy, params);
  } catch (err) {
    return problemPage(`Replicate ${name}: refused`, err, 409);
  }
  const destinations = policy.destinations.filter((d) => request.destinations!.includes(d.account));
  const replicationId = replicationIdOf(policy.name, {
    requestId: request.requestId,
    eventId: request.requestId,
    now: new Date(),
  });
  const cli =
    destinations.length === 1
      ? html`, as
          <code
            >rewind replicate ${policy.source.identifier} --to ${destinations[0]!.account} --policy
            ${policy.name} --request-id ${request.requestId}</code
          >
          would`
      : html` (for all its destinations, as a scheduled firing does; <code>rewind replicate</code> names one)`;
  return {
    title: `Replicate ${policy.name}: confirm`,
    section: 'replication',
    body: html`<h1>
        Replicate <span class="mono">${policy.source.identifier}</span> now, by policy ${policy.name}?
      </h1>
      <div class="panel warn">
        <p>
          Publishes <code>ReplicationRequested</code> from source <code>rewind.cli</code> on bus
          <code>${ctx.clients.target.names.busName}</code> (${ctx.clients.target.description})${cli}. As
          replication <span class="mono">${replicationId}</span>:
        </p>
        <ol>
          <li>
            In account ${policy.source.account} (${policy.source.region}), Rewind snapshots ${policy.kind}
            <span class="mono">${policy.source.identifier}</span
            >${policy.source.kmsKeyId ? html`, re-encrypted with <span class="mono">${policy.source.kmsKeyId}</span> when its key is <code>aws/rds</code> or another one` : ''},
            shares the snapshot with ${destinations.map((d) => d.account).join(', ')} and announces it on
            their buses.
          </li>
          <li>
            Each destination copies it with its own key, then:
            <ul data-destinations>
              ${destinations.map((d) => html`<li data-destination="${d.account}"><span class="mono">${d.account}</span>: ${destinationText(d)}</li>`)}
            </ul>
          </li>
          <li>
            The snapshot stops being shared with each destination once it answered; then retention, of
            Rewind's replication snapshots only: the source keeps ${retentionText(policy.retention)} shared
            snapshots, each destination
            ${destinations.map((d) => `${d.account} ${retentionText(d.retention)}`).join(', ')} copies.
          </li>
        </ol>
        <p>
          The replication service checks it as any request: the policy in this account's own configuration,
          the database present and opted in, its key shareable; otherwise <code>ReplicationFailed</code> at
          <code>select</code> with the fix, on the replication page. An in-place restore is a run like any
          other (the opt-in tag, the lock, rollback on failure).
        </p>
        <pre>${JSON.stringify(request, null, 2)}</pre>
      </div>
      <form method="post" action="/replication/replicate" class="actions">
        <input type="hidden" name="token" value="${ctx.token}" />
        <input type="hidden" name="policy" value="${policy.name}" />
        ${destinations.map((d) => html`<input type="hidden" name="to" value="${d.account}" />`)}
        <input type="hidden" name="requestId" value="${request.requestId}" />
        <button type="submit">Replicate ${policy.name} now</button>
        <a class="button secondary" href="/replication">Cancel</a>
      </form>`,
  };
}

/** POST /replication/replicate: publishes the confirmed request (its request id: sent twice, one replication). */
export async function replicatePost(ctx: ConsoleContext, form: URLSearchParams): Promise<string> {
  const policy = await sourcePolicy(ctx, form.get('policy') ?? '');
  if (!form.get('requestId'))
    throw new CliError(
      'the form carries no request id',
      'open the confirmation again and send it from there',
    );
  const request = requestOf(policy, form);
  await publishReplication(ctx.clients, request);
  return `/replication${query({ policy: policy.name, requested: request.requestId })}`;
}
