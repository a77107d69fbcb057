import type { ConsoleContext } from '../context';
import { databaseFacets, listDatabases, optInTag, type DatabaseRow } from '../databases';
import { html, query, type Html } from '../html';
import { badge, runBadge, time, type Page } from '../layout';

function actionsOf(row: DatabaseRow): Html {
  if (row.inUseBy) return html`<span class="muted">none while the run uses it</span>`;
  if (!row.optedIn) return html`<span class="muted">not opted in</span>`;
  const base = { identifier: row.identifier, kind: row.kind };
  return html`<a
      href="/actions/request${query({ ...base, task: 'db_restore' })}"
      aria-label="Restore ${row.identifier}…"
      >Restore…</a
    >
    ·
    <a
      href="/actions/request${query({ ...base, task: 'create_snapshot_only', step: 'review' })}"
      aria-label="Snapshot ${row.identifier}…"
      >Snapshot…</a
    >`;
}

/**
 * The databases page: every instance and cluster, opted in or not, its lock and last run. What later
 * capabilities know of each (snapshots and their policies, DR readiness) comes from registered facets, in
 * a row under the database's (side by side: the table stays as wide as a laptop's screen).
 */
export async function databasesPage(ctx: ConsoleContext): Promise<Page> {
  const rows = await listDatabases(ctx.clients);
  const facets = databaseFacets();
  const loaded = await Promise.all(facets.map((f) => f.load(ctx, rows)));
  const tag = optInTag();
  return {
    title: 'Databases',
    section: 'databases',
    liveMs: ctx.liveMs * 3,
    body: html`<h1>Databases</h1>
      <p class="lead">
        Instances and Aurora clusters on ${ctx.clients.target.description} (cluster members under their
        cluster). Rewind touches only those tagged <code>${tag.key}=${tag.value}</code>; one run at a time per
        database (its lock).
      </p>
      ${
        rows.length
          ? html`<table aria-label="Databases">
              <thead>
                <tr>
                  <th scope="col">Database</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Engine</th>
                  <th scope="col">RDS status</th>
                  <th scope="col">Opted in</th>
                  <th scope="col">Lock</th>
                  <th scope="col">Last run</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                ${rows.map(
                  (r) =>
                    html`<tr data-database="${r.identifier}">
                        <th scope="row">
                          <span class="mono">${r.identifier}</span
                          >${r.members.length ? html`<br /><span class="muted">${r.members.join(', ')}</span>` : ''}
                          ${
                            r.inUseBy
                              ? html`<br />${badge('running', `${r.inUseBy.as} of ${r.inUseBy.run.identifier}`)}
                                  by
                                  <a class="mono" href="/runs/${encodeURIComponent(r.inUseBy.run.runId)}"
                                    >${r.inUseBy.run.runId}</a
                                  >`
                              : ''
                          }
                        </th>
                        <td>${r.kind}</td>
                        <td>${r.engine}</td>
                        <td>${r.status}</td>
                        <td>${r.optedIn ? badge('ok', 'yes') : badge('none', 'no')}</td>
                        <td>
                          ${r.lock ? html`${badge('locked', 'locked')} by <a class="mono" href="/runs/${encodeURIComponent(r.lock.runId)}">${r.lock.runId}</a> since ${time(r.lock.acquiredAt)}` : badge('none', 'free')}
                        </td>
                        <td>
                          ${r.lastRun ? html`<a class="mono" href="/runs/${encodeURIComponent(r.lastRun.runId)}">${r.lastRun.runId}</a> ${runBadge(r.lastRun)}<br /><span class="muted">${r.lastRun.task}, ${time(r.lastRun.createdAt)}</span> · <a href="/runs${query({ database: r.identifier })}">all</a>` : html`<span class="muted">none recent</span>`}
                        </td>
                        <td>${actionsOf(r)}</td>
                      </tr>
                      ${
                        facets.length
                          ? html`<tr class="facets" data-facets-of="${r.identifier}">
                              <td colspan="8">
                                <dl class="facets">
                                  ${facets.map(
                                    (f, i) =>
                                      html`<div>
                                        <dt>${f.heading} <span class="sr-only">of ${r.identifier}</span></dt>
                                        <dd>${f.cell(r, loaded[i])}</dd>
                                      </div>`,
                                  )}
                                </dl>
                              </td>
                            </tr>`
                          : ''
                      }`,
                )}
              </tbody>
            </table>`
          : html`<p class="panel">No RDS instances or clusters in ${ctx.clients.target.region}.</p>`
      }
      ${facets.map((f, i) => f.summary?.(loaded[i]))}`,
  };
}
