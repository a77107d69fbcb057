import {
  cancelRefusal,
  isAfterSetAside,
  planFor,
  TASKS,
  type EventInput,
  type Kind,
  type Task,
} from '@rewind/shared';
import { requestCancel, who } from '../../commands/cancel';
import { replayRequestOf } from '../../commands/replay';
import { restoreRequestOf } from '../../commands/restore';
import { CliError } from '../../errors';
import { awaitRun, getRunOrExplain, publishRequest } from '../../requests';
import type { ConsoleContext } from '../context';
import { optInTag } from '../databases';
import { html, query, type Html } from '../html';
import type { Page } from '../layout';

type Request = EventInput<'RestoreRequested'> & { requestId: string };

/** The tasks the console starts (a clone needs a target name: `rewind clone`). */
const TASK_LABELS: Record<Exclude<Task, 'clone'>, string> = {
  db_restore: 'db_restore: restore from a snapshot (default: the newest Rewind snapshot)',
  create_snapshot: 'create_snapshot: take a snapshot, then restore from it',
  create_snapshot_only: 'create_snapshot_only: take a snapshot',
};

/** A failed action: what is wrong, and how to fix it. */
export function problemPage(title: string, err: unknown, status = 400): Page {
  const message = err instanceof Error ? err.message : String(err);
  const hint = err instanceof CliError ? err.hint : undefined;
  return {
    title,
    status,
    body: html`<h1>${title}</h1>
      <div class="panel bad" role="alert">
        <p>${message}</p>
        ${hint ? html`<p>${hint}</p>` : ''}
      </div>
      <p><a href="/runs">Runs</a> · <a href="/databases">Databases</a></p>`,
  };
}

/** What the publish does, said exactly: the event, the bus, the plan. */
function requestPanel(ctx: ConsoleContext, request: Request, intro: Html | string): Html {
  const plan = planFor(request.task, request.strategy ?? 'in-place');
  return html`<div class="panel warn">
    <p>${intro}</p>
    <dl class="facts">
      <dt>Event</dt>
      <dd>
        <code>RestoreRequested</code> from source <code>rewind.cli</code> on bus
        <code>${ctx.clients.target.names.busName}</code> (${ctx.clients.target.description})
      </dd>
      <dt>Plan</dt>
      <dd>
        ${plan.join(' → ')}${plan.includes('set-aside') ? ' (the database is renamed aside while it is restored; any failure after that renames it back)' : ''}
      </dd>
      <dt>Checks</dt>
      <dd>
        intake checks it as for any request: the database must exist, be opted in (tag
        <code>${optInTag().key}=${optInTag().value}</code>), have no run under way, and a compatible snapshot;
        otherwise it is rejected with the reason
      </dd>
    </dl>
    <pre>${JSON.stringify(request, null, 2)}</pre>
  </div>`;
}

function fieldsOf(params: URLSearchParams) {
  const task = (params.get('task') || 'db_restore') as Task;
  const kind = (params.get('kind') === 'cluster' ? 'cluster' : 'instance') as Kind;
  const snapshot = (params.get('snapshot') ?? '').trim();
  return {
    identifier: (params.get('identifier') ?? '').trim(),
    kind,
    task,
    snapshot: snapshot || undefined,
    requestId: params.get('requestId') || undefined,
  };
}

function requestOf(fields: ReturnType<typeof fieldsOf>): Request {
  if (!(TASKS as readonly string[]).includes(fields.task))
    throw new CliError(`task must be one of ${TASKS.join(', ')}, not "${fields.task}"`);
  return restoreRequestOf(
    {
      identifier: fields.identifier,
      task: fields.task,
      isCluster: fields.kind === 'cluster',
      snapshotIdentifier: fields.snapshot,
      requestId: fields.requestId,
    },
    (issues) =>
      new CliError(`the request is not valid: ${issues.join('; ')}`, 'correct the form and review again'),
  );
}

/**
 * Starting a restore or a snapshot of a database: a form (task, snapshot), then a confirmation that shows
 * the exact request, then a POST that publishes it as `rewind restore` / `rewind snapshot` do.
 */
export function requestPage(ctx: ConsoleContext, params: URLSearchParams): Page {
  const fields = fieldsOf(params);
  const what = fields.task === 'create_snapshot_only' ? 'Snapshot' : 'Restore';
  if (params.get('step') !== 'review') {
    return {
      title: `${what} ${fields.identifier}`,
      section: 'databases',
      body: html`<h1>${what} ${fields.kind} <span class="mono">${fields.identifier}</span></h1>
        <form class="stack" method="get" action="/actions/request">
          <input type="hidden" name="identifier" value="${fields.identifier}" /><input
            type="hidden"
            name="kind"
            value="${fields.kind}"
          />
          <input type="hidden" name="step" value="review" />
          <label for="r-task"
            >Task<select id="r-task" name="task">
              ${TASKS.filter((t) => t !== 'clone').map((t) => html`<option value="${t}" ${t === fields.task ? html` selected` : ''}>${TASK_LABELS[t]}</option>`)}
            </select></label
          >
          <label for="r-snapshot"
            >Snapshot to restore from (db_restore only; empty: the newest Rewind snapshot, else
            ${fields.identifier}-snapshot)
            <input id="r-snapshot" name="snapshot" value="${fields.snapshot ?? ''}" autocomplete="off"
          /></label>
          <div class="actions">
            <button type="submit">Review…</button><a class="button secondary" href="/databases">Cancel</a>
          </div>
        </form>`,
    };
  }
  let request: Request;
  try {
    request = requestOf(fields);
  } catch (err) {
    return problemPage(`${what} ${fields.identifier}: not valid`, err);
  }
  return {
    title: `${what} ${fields.identifier}: confirm`,
    section: 'databases',
    body: html`<h1>${what} ${fields.kind} <span class="mono">${fields.identifier}</span>?</h1>
      ${requestPanel(ctx, request, html`Publishes this request, as <code>rewind ${fields.task === 'create_snapshot_only' ? 'snapshot' : 'restore'} ${fields.identifier}${fields.kind === 'cluster' ? ' --cluster' : ''}${fields.task !== 'create_snapshot_only' ? ` --task ${fields.task}` : ''}${fields.snapshot ? ` --snapshot ${fields.snapshot}` : ''} --request-id ${request.requestId}</code> would:`)}
      <form method="post" action="/actions/request" class="actions">
        <input type="hidden" name="token" value="${ctx.token}" />
        ${(['identifier', 'kind', 'task'] as const).map((k) => html`<input type="hidden" name="${k}" value="${fields[k]}" />`)}
        <input type="hidden" name="snapshot" value="${fields.snapshot ?? ''}" /><input
          type="hidden"
          name="requestId"
          value="${request.requestId}"
        />
        <button type="submit">${what} ${fields.identifier}</button>
        <a
          class="button secondary"
          href="/actions/request${query({ identifier: fields.identifier, kind: fields.kind, task: fields.task, snapshot: fields.snapshot })}"
          >Change</a
        >
        <a class="button secondary" href="/databases">Cancel</a>
      </form>`,
  };
}

/** Publishes a confirmed request and answers with the run it started (or the rejection). */
export async function requestPost(ctx: ConsoleContext, form: URLSearchParams): Promise<string> {
  const request = requestOf(fieldsOf(form));
  const eventId = await publishRequest(ctx.clients, request, 'the console');
  return (await awaitRun(ctx.clients, eventId)).runId;
}

/** Confirming a replay: the request it publishes, linked to the old run. */
export async function replayConfirmPage(ctx: ConsoleContext, runId: string): Promise<Page> {
  let request: Request;
  try {
    request = await replayRequestOf(ctx.clients, runId);
  } catch (err) {
    return problemPage(`Replay ${runId}: refused`, err, 409);
  }
  const old = await getRunOrExplain(ctx.clients, runId);
  return {
    title: `Replay ${runId}: confirm`,
    section: 'runs',
    body: html`<h1>Replay run <span class="mono">${runId}</span>?</h1>
      ${requestPanel(ctx, request, html`Runs the request of ${runId} (${old.status}: ${old.failure?.reason ?? old.rejection?.reason ?? ''}) again as a new run linked to it, as <code>rewind replay ${runId}</code> would. Fix the cause first.`)}
      <form method="post" action="/runs/${encodeURIComponent(runId)}/replay" class="actions">
        <input type="hidden" name="token" value="${ctx.token}" />
        <input type="hidden" name="requestId" value="${request.requestId}" />
        <button type="submit">Replay ${runId}</button>
        <a class="button secondary" href="/runs/${encodeURIComponent(runId)}">Cancel</a>
      </form>`,
  };
}

/** Publishes the replay; the new run's id. */
export async function replayPost(ctx: ConsoleContext, runId: string, form: URLSearchParams): Promise<string> {
  const request = await replayRequestOf(ctx.clients, runId, form.get('requestId') ?? undefined);
  const eventId = await publishRequest(ctx.clients, request, 'the console');
  return (await awaitRun(ctx.clients, eventId)).runId;
}

/** Confirming a cancel: what it does at the step the run is at. */
export async function cancelConfirmPage(ctx: ConsoleContext, runId: string): Promise<Page> {
  const run = await getRunOrExplain(ctx.clients, runId).catch((err: unknown) => err as Error);
  if (run instanceof Error) return problemPage(`Cancel ${runId}`, run, 404);
  const refused = cancelRefusal(run);
  if (refused) return problemPage(`Cancel ${runId}: refused`, new CliError(`cannot cancel: ${refused}`), 409);
  const next = run.run.next!;
  const rollsBack = isAfterSetAside(run.run, next);
  return {
    title: `Cancel ${runId}: confirm`,
    section: 'runs',
    body: html`<h1>Cancel run <span class="mono">${runId}</span>?</h1>
      <div class="panel warn">
        <p>
          Publishes <code>CancelRequested</code> for ${runId} on bus
          <code>${ctx.clients.target.names.busName}</code>, as <code>rewind cancel ${runId}</code> would. The
          run is at step <strong>${next}</strong>, so:
        </p>
        <p>
          ${
            rollsBack
              ? html`${run.identifier} has been renamed aside: Rewind <strong>rolls back</strong> as after a
                  failure: it deletes the half-restored copy, then renames ${run.identifier} back under its
                  name (RollbackCompleted, then RunFailed).`
              : html`${run.identifier} has not been touched: the run <strong>ends at once</strong> (RunFailed)
                  and its lock is released${next === 'snapshot' ? '; a snapshot being created is kept' : ''}.`
          }
        </p>
      </div>
      <form method="post" action="/runs/${encodeURIComponent(runId)}/cancel" class="stack">
        <input type="hidden" name="token" value="${ctx.token}" />
        <label for="c-reason"
          >Why (kept in the run, its RunFailed event and the alert)<input
            id="c-reason"
            name="reason"
            autocomplete="off"
        /></label>
        <div class="actions">
          <button type="submit" class="danger">Cancel ${runId}</button>
          <a class="button secondary" href="/runs/${encodeURIComponent(runId)}">Keep it running</a>
        </div>
      </form>`,
  };
}

/** Publishes the cancel and waits until the run took it. */
export async function cancelPost(ctx: ConsoleContext, runId: string, form: URLSearchParams): Promise<void> {
  const reason = (form.get('reason') ?? '').trim();
  await requestCancel(ctx.clients, runId, reason || undefined, `${who()} (rewind ui)`);
}
