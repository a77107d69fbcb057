import { isActive, recentRuns } from '../../runList';
import { choreographySvg, clientEvents, ownerOf, runPath, serviceNodes } from '../choreography';
import type { ConsoleContext } from '../context';
import { html } from '../html';
import { runBadge, time, type Page } from '../layout';

/** The choreography page: the topology as a graph; with ?run=ID, where that run went and where it is. */
export async function choreographyPage(ctx: ConsoleContext, params: URLSearchParams): Promise<Page> {
  const runId = params.get('run') ?? '';
  const run = runId ? await ctx.clients.store.getRun(runId) : undefined;
  const timeline = run ? await ctx.clients.store.getTimeline(run.runId) : [];
  const path = run ? runPath(timeline) : [];
  const current = run && isActive(run) ? ownerOf(run.run.next) : undefined;
  const recent = await recentRuns(ctx.clients, { limit: 20 });
  return {
    title: 'Choreography',
    section: 'choreography',
    liveMs: !run || isActive(run) ? ctx.liveMs : 0,
    body: html`<h1>Choreography</h1>
      <p class="lead">
        The services and events of <code>shared/src/topology.ts</code>: each service receives what its rules
        match on the bus and publishes its own events to it; nobody calls anybody.
      </p>
      <form class="filters" method="get" action="/choreography" aria-label="Show a run">
        <label for="c-run"
          >Run (a recent one, or any run id)<input
            id="c-run"
            name="run"
            value="${runId}"
            placeholder="run id"
            autocomplete="off"
            size="40"
            list="c-recent"
        /></label>
        <datalist id="c-recent">
          ${recent.map((r) => html`<option value="${r.runId}">${r.status}: ${r.task} of ${r.identifier}</option>`)}
        </datalist>
        <button type="submit">Show</button
        >${runId ? html` <a class="button secondary" href="/choreography">Clear</a>` : ''}
      </form>
      ${
        !runId && recent.some(isActive)
          ? html`<p>
              Under way:
              ${recent
                .filter(isActive)
                .map(
                  (r, i) =>
                    html`${i ? ', ' : ''}<a
                        class="mono"
                        href="/choreography?run=${encodeURIComponent(r.runId)}"
                        >${r.runId}</a
                      >
                      (${r.identifier})`,
                )}
            </p>`
          : ''
      }
      ${runId && !run ? html`<p class="panel bad" role="alert">No run ${runId} in ${ctx.clients.target.names.tableName}.</p>` : ''}
      ${
        run
          ? html`<p class="panel">
              Run
              <a class="mono" href="/runs/${encodeURIComponent(run.runId)}">${run.runId}</a> ${runBadge(run)}:
              ${run.task} of ${run.identifier}.
              ${current ? html`Now at <strong>${current}</strong> (step ${run.run.next}).` : ''} Green: the
              services its events went
              through${run.failure ? html`; red: where step ${run.failure.step} failed` : ''}.
            </p>`
          : ''
      }
      ${choreographySvg(run, timeline)}
      ${
        run
          ? html`<h2>The run's path</h2>
              <ol aria-label="The run's path">
                ${path.map(
                  (h) =>
                    html`<li>${time(h.at)} <strong>${h.from}</strong> published <strong${h.failed ? html` class="badge s-failed"` : ''}>${h.event}</strong>${h.next ? html` (next: ${h.next})` : ''} → ${h.to.length ? h.to.join(', ') : 'no service (clients on the bus)'}</li>`,
                )}
              </ol>`
          : ''
      }
      <h2>Services</h2>
      <table aria-label="Services">
        <thead>
          <tr>
            <th scope="col">Service</th>
            <th scope="col">Steps</th>
            <th scope="col">Receives (its rules)</th>
            <th scope="col">Publishes</th>
          </tr>
        </thead>
        <tbody>
          <tr id="service-clients">
            <th scope="row">clients</th>
            <td>-</td>
            <td>-</td>
            <td>${clientEvents().join(', ')} (CLI, aws events put-events, schedules, other systems)</td>
          </tr>
          ${serviceNodes().map(
            (n) =>
              html`<tr id="service-${n.name}">
                <th scope="row">${n.name}<br /><span class="muted">${n.description}</span></th>
                <td>${n.steps.join(', ') || '-'}</td>
                <td>
                  <ul>
                    ${n.receives.map((r) => html`<li>${r}</li>`)}
                  </ul>
                </td>
                <td>${n.publishes.join(', ') || '- (email and Slack)'}</td>
              </tr>`,
          )}
        </tbody>
      </table>`,
  };
}
