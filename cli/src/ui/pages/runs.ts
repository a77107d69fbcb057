import { RUN_STATUSES, type RunStatus } from '@rewind/shared';
import { parseTime } from '../../archiveReplay';
import { formatDuration } from '../../output';
import { isActive, noteOf, recentRuns } from '../../runList';
import { isInvalidRequest, taskOf } from '../../runView';
import type { ConsoleContext } from '../context';
import { html, query } from '../html';
import { runBadge, time, type Page } from '../layout';

const SINCE = [
  ['', 'any time'],
  ['15m', 'last 15 minutes'],
  ['1h', 'last hour'],
  ['6h', 'last 6 hours'],
  ['1d', 'last day'],
  ['7d', 'last 7 days'],
] as const;

/** The runs page: what `rewind list` shows, filtered by status, database and time, live. */
export async function runsPage(ctx: ConsoleContext, params: URLSearchParams): Promise<Page> {
  const status = params.get('status') ?? '';
  const database = (params.get('database') ?? '').trim();
  const sinceText = params.get('since') ?? '';
  const limit = Math.min(Math.max(Number(params.get('limit')) || 50, 1), 500);
  const errors: string[] = [];
  if (status && !(RUN_STATUSES as readonly string[]).includes(status))
    errors.push(`status must be one of ${RUN_STATUSES.join(', ')}, not "${status}"`);
  const since = sinceText ? parseTime(sinceText) : undefined;
  if (sinceText && !since) errors.push(`since: not a time: "${sinceText}" (ISO time, 15m, 2h, 1d)`);
  const runs = errors.length
    ? []
    : await recentRuns(ctx.clients, {
        status: (status || undefined) as RunStatus | undefined,
        identifier: database || undefined,
        since: since?.toISOString(),
        limit,
      });
  const now = Date.now();
  const durationOf = (r: (typeof runs)[number]) =>
    isActive(r)
      ? `${formatDuration(now - Date.parse(r.createdAt))}…`
      : formatDuration(Date.parse(r.updatedAt) - Date.parse(r.createdAt));
  const active = runs.filter(isActive).length;
  const filtered = Boolean(status || database || sinceText);
  return {
    title: 'Runs',
    section: 'runs',
    liveMs: ctx.liveMs,
    body: html`<h1>Runs</h1>
      <p class="lead">
        Newest first, the same as
        <code
          >rewind
          list${status ? ` --status ${status}` : ''}${database ? ` --database ${database}` : ''}${sinceText ? ` --since ${sinceText}` : ''}
          --limit ${limit}</code
        >. ${active} under way.
      </p>
      <form class="filters" method="get" action="/runs" aria-label="Filter runs">
        <label for="f-status"
          >Status
          <select id="f-status" name="status">
            <option value="">all</option>
            ${RUN_STATUSES.map((s) => html`<option value="${s}" ${s === status ? html` selected` : ''}>${s}</option>`)}
          </select></label
        >
        <label for="f-database"
          >Database
          <input
            id="f-database"
            name="database"
            value="${database}"
            placeholder="identifier"
            autocomplete="off"
        /></label>
        <label for="f-since"
          >Created
          <select id="f-since" name="since">
            ${SINCE.map(([v, label]) => html`<option value="${v}" ${v === sinceText ? html` selected` : ''}>${label}</option>`)}
            ${sinceText && !SINCE.some(([v]) => v === sinceText) ? html`<option value="${sinceText}" selected>since ${sinceText}</option>` : ''}
          </select></label
        >
        <label for="f-limit"
          >At most <input id="f-limit" name="limit" type="number" min="1" max="500" value="${limit}"
        /></label>
        <button type="submit">Filter</button>
        ${filtered ? html`<a class="button secondary" href="/runs">Clear</a>` : ''}
      </form>
      ${errors.map((e) => html`<div class="panel bad" role="alert">${e}</div>`)}
      ${
        runs.length
          ? html`<table aria-label="Runs">
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">Status</th>
                  <th scope="col">Task</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Database</th>
                  <th scope="col">Created (UTC)</th>
                  <th scope="col" class="num">Duration</th>
                  <th scope="col">Note</th>
                </tr>
              </thead>
              <tbody>
                ${runs.map(
                  (r) =>
                    html`<tr data-run="${r.runId}">
                      <td class="nowrap">
                        <a class="mono" href="/runs/${encodeURIComponent(r.runId)}">${r.runId}</a>
                      </td>
                      <td>${runBadge(r)}</td>
                      <td>${taskOf(r) ?? '-'}</td>
                      <td>${isInvalidRequest(r) ? '-' : r.kind}</td>
                      <td class="nowrap">
                        <a href="/runs${query({ database: r.identifier })}">${r.identifier}</a>
                      </td>
                      <td>${time(r.createdAt)}</td>
                      <td class="num">${durationOf(r)}</td>
                      <td>${noteOf(r)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
          : html`<p class="panel">
              No
              ${status ? `${status} ` : ''}runs${database ? ` of ${database}` : ''}${sinceText ? ` in that time` : ''}
              in ${ctx.clients.target.names.tableName}.
            </p>`
      }`,
  };
}
