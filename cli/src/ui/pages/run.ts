import { REQUEST_PREFIX } from '../../../../services/replication/src/destinationJobs';
import { cancelRefusal, formatAddress, type LogEntry, type RunRecord } from '@rewind/shared';
import { formatDuration } from '../../output';
import { isActive } from '../../runList';
import { nextStepOf, reasonOf, runDurationMs, taskOf, timelineRows } from '../../runView';
import { ganttOf, type Gantt, type GanttRow } from '../gantt';
import type { ConsoleContext } from '../context';
import { html, type Html } from '../html';
import { badge, runBadge, time, type Page } from '../layout';

/** Runs `rewind replay` accepts: a failed run, a rejection a replay can get past. */
function replayable(run: RunRecord): boolean {
  return (
    run.status === 'failed' || (run.status === 'rejected' && /rewind replay/.test(nextStepOf(run) ?? ''))
  );
}

const pct = (gantt: Gantt, t: number) => ((t - gantt.startMs) / (gantt.endMs - gantt.startMs)) * 100;

function ganttRow(gantt: Gantt, r: GanttRow): Html {
  const total = r.startMs !== undefined && r.endMs !== undefined ? r.endMs - r.startMs : undefined;
  const described = r.segments
    .map((s) => `${s.kind === 'rds' ? 'RDS' : 'Rewind'} ${formatDuration(s.toMs - s.fromMs)}: ${s.label}`)
    .join('; ');
  return html`<div class="label" id="step-${r.step}">
      ${r.step}<small>${r.role === 'compensation' ? 'rollback · ' : ''}${badge(r.state)}</small>
    </div>
    <svg
      class="track"
      viewBox="0 0 1000 24"
      preserveAspectRatio="none"
      role="img"
      aria-label="${r.step}: ${r.state}${described ? `; ${described}` : ''}"
    >
      ${r.segments.map(
        (s) =>
          html`<rect
            class="seg ${s.kind}${r.state === 'failed' ? ' failed' : ''}${r.state === 'waiting' ? ' waiting' : ''}"
            x="${(pct(gantt, s.fromMs) * 10).toFixed(1)}"
            y="3"
            height="18"
            width="${Math.max(2, (pct(gantt, s.toMs) - pct(gantt, s.fromMs)) * 10).toFixed(1)}"
            ><title>
              ${s.kind === 'rds' ? 'RDS' : 'Rewind'} ${formatDuration(s.toMs - s.fromMs)}: ${s.label}
            </title></rect
          >`,
      )}
    </svg>
    <div class="time">
      ${total === undefined ? 'not reached' : html`${formatDuration(total)}<span class="muted"> · RDS ${formatDuration(r.rdsMs)} · Rewind ${formatDuration(r.rewindMs)}</span>`}
    </div>`;
}

/** The timeline as a Gantt chart, RDS time and Rewind's own time told apart. */
function ganttSection(gantt: Gantt): Html {
  return html`<section aria-labelledby="h-gantt">
    <h2 id="h-gantt">Timeline</h2>
    <div class="legend">
      <span><span class="key rds"></span>RDS working</span
      ><span><span class="key rewind"></span>Rewind's own time: delivering events, checking, verifying</span>
      <span
        >Total ${formatDuration(gantt.endMs - gantt.startMs)}: RDS ${formatDuration(gantt.rdsMs)}, Rewind
        ${formatDuration(gantt.rewindMs)}</span
      >
    </div>
    <svg width="0" height="0" aria-hidden="true" focusable="false">
      <defs>
        <pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
          <rect width="8" height="8" fill="#b35900"></rect>
          <rect width="3" height="8" fill="#e39a4f"></rect>
        </pattern>
      </defs>
    </svg>
    <div class="gantt">${gantt.rows.map((r) => ganttRow(gantt, r))}</div>
    <table aria-label="Steps">
      <thead>
        <tr>
          <th scope="col">Step</th>
          <th scope="col">State</th>
          <th scope="col" class="num">Took</th>
          <th scope="col" class="num">RDS</th>
          <th scope="col" class="num">Rewind</th>
          <th scope="col" class="num">RDS events</th>
          <th scope="col">Ended with</th>
        </tr>
      </thead>
      <tbody>
        ${gantt.rows.map(
          (r) =>
            html`<tr data-step="${r.step}">
              <td>
                ${r.step}${r.role === 'compensation' ? html` <span class="muted">(rollback)</span>` : ''}
              </td>
              <td>${badge(r.state)}</td>
              <td class="num">
                ${r.startMs === undefined || r.endMs === undefined ? '-' : formatDuration(r.endMs - r.startMs)}
              </td>
              <td class="num">${r.state === 'pending' ? '-' : formatDuration(r.rdsMs)}</td>
              <td class="num">${r.state === 'pending' ? '-' : formatDuration(r.rewindMs)}</td>
              <td class="num">
                ${r.role === 'intake' || r.state === 'pending' ? '-' : r.confirmedByDescribe ? '0 (confirmed by describe calls)' : String(r.rdsEvents)}
              </td>
              <td>${r.outcome ?? ''}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

/** The failure, the rollback that followed and how it ended. */
function failureSection(run: RunRecord, timeline: readonly LogEntry[], gantt: Gantt): Html {
  if (run.status === 'rejected') {
    return html`<section class="panel bad" aria-labelledby="h-failure">
      <h2 id="h-failure">Rejected</h2>
      <p>${reasonOf(run)}</p>
      <p>Next: <code>${nextStepOf(run)}</code></p>
    </section>`;
  }
  if (!run.failure) return html``;
  const detailOf = (type: string) =>
    timeline.find((e) => e.direction === 'out' && e.type === type)?.detail as
      Record<string, unknown> | undefined;
  const rolledBack = detailOf('RollbackCompleted');
  const rollbackFailed = detailOf('RollbackFailed');
  const compensation = gantt.rows.filter((r) => r.role === 'compensation');
  return html`<section class="panel ${rollbackFailed ? 'bad' : 'warn'}" aria-labelledby="h-failure">
    <h2 id="h-failure">Failure and rollback</h2>
    <dl class="facts">
      <dt>Failed step</dt>
      <dd>
        <a href="#step-${run.failure.step}">${run.failure.step}</a
        >${run.failure.errorCode ? html` <code>${run.failure.errorCode}</code>` : ''}
      </dd>
      <dt>Reason</dt>
      <dd>${run.failure.reason}</dd>
      <dt>Rollback</dt>
      <dd>
        ${
          compensation.length
            ? html`<ol class="inline">
                ${compensation.map((r) => html`<li>${r.step}: ${badge(r.state)}${r.outcome ? ` ${r.outcome}` : ''}</li>`)}
              </ol>`
            : 'none needed: the original was not touched'
        }
      </dd>
      ${
        rolledBack
          ? html`<dt>Outcome</dt>
              <dd>
                ${badge('ok', 'RollbackCompleted')} ${String(rolledBack.restoredIdentifier ?? run.identifier)}
                is back under its name.
              </dd>`
          : ''
      }
      ${
        rollbackFailed
          ? html`<dt>Outcome</dt>
              <dd>${badge('failed', 'RollbackFailed')} ${String(rollbackFailed.state ?? '')}</dd>
              <dt>What to do</dt>
              <dd><pre>${String(rollbackFailed.action ?? '')}</pre></dd>`
          : ''
      }
      ${
        isActive(run)
          ? html`<dt>Now</dt>
              <dd>${badge('rolling-back')} rolling back</dd>`
          : ''
      }
    </dl>
  </section>`;
}

function alertsSection(run: RunRecord, timeline: readonly LogEntry[]): Html {
  const notes = timeline.filter((e) => e.direction === 'note');
  return html`<section aria-labelledby="h-alerts">
    <h2 id="h-alerts">Alerts</h2>
    ${
      notes.length
        ? html`<ul>
            ${notes.map((n) => html`<li>${time(n.at)} <strong>${n.type === 'NotificationSent' ? 'Alert sent' : n.type}</strong>: ${n.summary ?? ''}</li>`)}
          </ul>`
        : html`<p class="muted">
            ${isActive(run) ? 'None yet: alerts go out when the run ends (failures, rejections, and completions with warnings or when success notifications are on).' : 'No alert was sent for this run (success notifications are off, or none is configured).'}
          </p>`
    }
  </section>`;
}

function eventsSection(timeline: readonly LogEntry[]): Html {
  const rows = timelineRows(timeline);
  return html`<section aria-labelledby="h-events">
    <h2 id="h-events">Events in and out</h2>
    <p class="muted">
      Every event once; RECEIVED: how long after publishing the service it was for received one of Rewind's
      own events.
    </p>
    <table aria-label="Events">
      <thead>
        <tr>
          <th scope="col">At (UTC)</th>
          <th scope="col" class="num">+start</th>
          <th scope="col">Dir</th>
          <th scope="col">Event</th>
          <th scope="col">Source</th>
          <th scope="col" class="num">Received</th>
          <th scope="col">Summary</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (r) =>
            html`<tr data-event="${r.type}">
              <td>${time(r.at)}</td>
              <td class="num">${formatDuration(r.offsetMs)}</td>
              <td>${r.direction}</td>
              <td><strong>${r.type}</strong></td>
              <td>${r.source ?? ''}</td>
              <td class="num">
                ${r.receivedAfterMs === undefined ? '' : `+${formatDuration(r.receivedAfterMs)}`}${r.published ? ` (sent ${r.published}x)` : ''}
              </td>
              <td>${r.summary ?? ''}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

export async function runPage(ctx: ConsoleContext, runId: string): Promise<Page> {
  const run = await ctx.clients.store.getRun(runId);
  if (!run) {
    return {
      title: 'No such run',
      section: 'runs',
      status: 404,
      body: html`<h1>No run ${runId}</h1>
        <p class="panel bad">
          There is no run ${runId} in table ${ctx.clients.target.names.tableName}.
          <a href="/runs">All runs</a>
        </p>`,
    };
  }
  const timeline = await ctx.clients.store.getTimeline(runId);
  const gantt = ganttOf(run, timeline);
  const task = taskOf(run);
  const e = run.expectation;
  const next = nextStepOf(run);
  return {
    title: `Run ${run.runId}`,
    section: 'runs',
    liveMs: isActive(run) ? ctx.liveMs : 0,
    body: html`<h1>Run <span class="mono">${run.runId}</span> ${runBadge(run)}</h1>
      <p class="lead">
        ${task ? `${task} of ${run.kind} ${run.identifier}` : `an invalid request for ${run.identifier}`} ·
        ${formatDuration(runDurationMs(run, timeline))} since ${time(run.createdAt)} UTC
      </p>
      <div class="actions">
        ${replayable(run) ? html`<a class="button" href="/runs/${encodeURIComponent(run.runId)}/replay">Replay…</a>` : ''}
        ${cancelRefusal(run) ? '' : html`<a class="button secondary" href="/runs/${encodeURIComponent(run.runId)}/cancel">Cancel…</a>`}
        <a class="button secondary" href="/choreography?run=${encodeURIComponent(run.runId)}"
          >Where it is in the choreography</a
        >
        <a class="button secondary" href="/runs/${encodeURIComponent(run.runId)}.json"
          >JSON (as rewind status --json)</a
        >
      </div>
      <dl class="facts">
        ${
          run.source && run.target && JSON.stringify(run.source) !== JSON.stringify(run.target)
            ? html`<dt>From</dt>
                <dd class="mono">${formatAddress(run.source)}</dd>
                <dt>To</dt>
                <dd class="mono">${formatAddress(run.target)}</dd>`
            : run.target
              ? html`<dt>Database</dt>
                  <dd class="mono">${formatAddress(run.target)}</dd>`
              : ''
        }
        <dt>Plan</dt>
        <dd>${run.run.plan.join(' → ') || '-'}</dd>
        ${
          run.requestId
            ? html`<dt>Request</dt>
                <dd class="mono">${run.requestId}</dd>`
            : ''
        }
        ${
          run.requestId?.startsWith(REQUEST_PREFIX)
            ? html`<dt>Replication</dt>
                <dd>
                  the restore of replication
                  <a class="mono" href="/replication">${run.requestId.slice(REQUEST_PREFIX.length)}</a>
                  (from another account)
                </dd>`
            : ''
        }
        ${
          run.replayOf
            ? html`<dt>Replay of</dt>
                <dd><a class="mono" href="/runs/${encodeURIComponent(run.replayOf)}">${run.replayOf}</a></dd>`
            : ''
        }
        ${Object.entries(run.names).map(
          ([k, v]) =>
            html`<dt>${k}</dt>
              <dd class="mono">${v}</dd>`,
        )}
        ${
          e && isActive(run)
            ? html`<dt>Waiting</dt>
                <dd>
                  ${e.step} needs ${e.resourceKind} <span class="mono">${e.resourceName}</span> ${e.target} by
                  ${time(e.deadline)} UTC
                </dd>`
            : ''
        }
        ${run.warnings.map(
          (w) =>
            html`<dt>Warning</dt>
              <dd>${badge('warning', 'warning')} ${w}</dd>`,
        )}
        ${
          next
            ? html`<dt>Next</dt>
                <dd><code>${next}</code></dd>`
            : ''
        }
      </dl>
      ${failureSection(run, timeline, gantt)} ${ganttSection(gantt)} ${alertsSection(run, timeline)}
      ${eventsSection(timeline)}`,
  };
}
