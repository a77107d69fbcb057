import { EMPTY_POLICY_CONFIG, readPolicyFile, snapshotsInUse, type PolicyConfig } from '@rewind/shared';
import {
  notReadyLines,
  type PlanReadiness,
  type ResourceReadiness,
} from '../../../services/failover/src/readiness';
import { planReadiness, plansToCheck, type PlanToCheck } from '../drReadiness';
import { formatDuration } from '../output';
import { policiesFor, regionsOf, snapshotRows, type SnapshotRow } from '../policySnapshots';
import type { ConsoleContext } from './context';
import { registerDatabaseFacet, type DatabaseRow } from './databases';
import { html, type Html } from './html';
import { badge } from './layout';

/**
 * What the databases page shows under each database from the policy file (`rewind ui --config`, else REWIND_CONFIG_FILE): each
 * database's snapshots with the policy that keeps each (what `rewind snapshots list` shows), and the DR
 * plans that move it with their readiness (what `rewind dr check` shows). Both read the file at every
 * refresh, so an edited file shows without a restart; a file with a mistake shows the mistake.
 */

type Policies = { config: PolicyConfig; file?: string } | { error: string };

/** The console's policy file, read now (an edited file shows without a restart), or what is wrong with it. */
export function policiesOfConsole(ctx: ConsoleContext): Policies {
  if (!ctx.policyFile) return { config: EMPTY_POLICY_CONFIG };
  try {
    return { config: readPolicyFile(ctx.policyFile), file: ctx.policyFile };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

const keyOf = (row: { kind: string; identifier: string }) => `${row.kind}/${row.identifier}`;

/** `f(item)` for every item, at most `width` at a time (a page of many databases does not burst RDS). */
async function eachLimited<T, R>(
  items: readonly T[],
  width: number,
  f: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}

const problemOf = (err: unknown) => (err as Error).message || String(err);

// ---- Snapshots and their policies ----

interface SnapshotsOfDatabase {
  policies: string[];
  rows: SnapshotRow[];
  error?: string;
}

type LoadedSnapshots =
  { error: string } | { file?: string; home: string; byDatabase: Map<string, SnapshotsOfDatabase> };

/** How many policy snapshots a database shows; the rest are counted (rewind snapshots list shows all). */
const SHOWN = 3;

function snapshotsCell(row: DatabaseRow, loaded: LoadedSnapshots): Html {
  if ('error' in loaded) return html`<span class="problem">policy file: ${loaded.error}</span>`;
  const mine = loaded.byDatabase.get(keyOf(row));
  if (!mine) return html`<span class="muted">-</span>`;
  if (mine.error) return html`<span class="problem">${mine.error}</span>`;
  const decided = mine.rows.filter((r) => r.policy);
  const others = mine.rows.length - decided.length;
  return html`<div class="facet-snapshots">
    <div class="muted">
      ${
        mine.policies.length
          ? `policies ${mine.policies.join(', ')}`
          : loaded.file
            ? 'no snapshot policy'
            : 'no policy file (--config)'
      }
    </div>
    ${
      decided.length
        ? html`<ul class="plain" aria-label="Policy snapshots of ${row.identifier}">
            ${decided.slice(0, SHOWN).map(
              (r) =>
                html`<li data-snapshot="${r.s.snapshotIdentifier}">
                  <span class="mono">${r.s.snapshotIdentifier}</span
                  >${r.region === loaded.home ? '' : html` <span class="muted">(${r.region})</span>`}
                  ${r.expires ? badge('warning', `expires (${r.policy})`) : badge('ok', `kept by ${r.policy}`)}
                  <span class="muted"
                    >${r.s.status}, ${formatDuration(r.age)} old; ${r.verdict.replace(/^[^:]*: /, '')}</span
                  >
                </li>`,
            )}
          </ul>`
        : ''
    }
    ${
      decided.length > SHOWN || others
        ? html`<div class="muted">
            ${decided.length > SHOWN ? `${decided.length - SHOWN} more of its policies; ` : ''}${others ? `${others} other snapshot${others > 1 ? 's' : ''} (automated, runs', not Rewind's); ` : ''}all:
            <code>rewind snapshots list ${row.identifier}${row.kind === 'cluster' ? ' --cluster' : ''}</code>
          </div>`
        : ''
    }
  </div>`;
}

registerDatabaseFacet<LoadedSnapshots>({
  id: 'snapshots',
  heading: 'Snapshots and policies',
  async load(ctx, rows) {
    const policies = policiesOfConsole(ctx);
    if ('error' in policies) return policies;
    const asOf = new Date();
    const inUse = await snapshotsInUse(ctx.clients.store);
    const byDatabase = new Map<string, SnapshotsOfDatabase>();
    await eachLimited(rows, 4, async (row) => {
      const mine = policiesFor(policies.config, row.identifier, row.kind, row.tags);
      try {
        const views = await regionsOf(ctx.clients, mine, row.identifier, row.kind, asOf, inUse);
        byDatabase.set(keyOf(row), { policies: mine.map((p) => p.name), rows: snapshotRows(views, asOf) });
      } catch (err) {
        byDatabase.set(keyOf(row), { policies: mine.map((p) => p.name), rows: [], error: problemOf(err) });
      }
    });
    return { file: policies.file, home: ctx.clients.target.region, byDatabase };
  },
  cell: snapshotsCell,
});

// ---- DR plans and their readiness ----

interface CheckedPlan extends PlanToCheck {
  readiness?: PlanReadiness;
  error?: string;
}

type LoadedPlans = { error: string } | { plans: CheckedPlan[]; home: string; file?: string };

/** The resources of a plan that are this database (by their address, their target, or the primary they move away from). */
function resourcesOf(plan: CheckedPlan, row: DatabaseRow, home: string): ResourceReadiness[] {
  const here = (id: string | undefined, region: string | undefined) =>
    id === row.identifier && region === home;
  return (plan.readiness?.resources ?? []).filter((r) => {
    const res = r.resource;
    const origin = r.inspection.origin;
    if (res.type === 'elasticache-global') return false;
    if (here(origin?.id, origin?.region)) return true;
    if (res.type === 'aurora-global')
      return row.kind === 'cluster' && here(res.targetClusterId, res.targetRegion);
    return (
      row.kind === 'instance' &&
      (here(res.replicaId, res.replicaRegion) || here(res.sourceId, res.sourceRegion))
    );
  });
}

function drCell(row: DatabaseRow, loaded: LoadedPlans): Html {
  if ('error' in loaded) return html`<span class="problem">policy file: ${loaded.error}</span>`;
  const mine = loaded.plans
    .map((plan) => ({ plan, resources: resourcesOf(plan, row, loaded.home) }))
    .filter((p) => p.resources.length);
  if (!mine.length) return html`<span class="muted">in no DR plan</span>`;
  return html`<ul class="plain" aria-label="DR plans of ${row.identifier}">
    ${mine.map(({ plan, resources }) => {
      const problems = resources.flatMap((r) => r.inspection.problems);
      const moved = resources.every((r) => r.inspection.atTarget);
      return html`<li data-plan="${plan.name}">
        <span class="mono">${plan.name}</span> (${plan.direction})
        ${
          moved
            ? badge('done', 'already moved')
            : problems.length
              ? badge('failed', 'not ready')
              : badge('ok', 'ready')
        }
        ${plan.readiness && !plan.readiness.ready && !problems.length ? html`<span class="muted">(another resource of the plan is not)</span>` : ''}
        <br /><span class="muted"
          >${resources.map((r) => `${r.type} ${r.id} (${r.region}): ${r.inspection.detail}`).join('; ')}</span
        >
        ${
          problems.length
            ? html`<ul>
                ${problems.map((p) => html`<li>${p}</li>`)}
              </ul>`
            : ''
        }
        <span class="muted">check: <code>${plan.command}</code></span>
      </li>`;
    })}
  </ul>`;
}

/** Every plan of the file, ready or not and why (its resources in other regions and caches included). */
function drSummary(loaded: LoadedPlans): Html | undefined {
  if ('error' in loaded) return undefined;
  if (!loaded.file)
    return html`<p class="panel">
      No policy file: start the console with <code>--config FILE</code> (or set
      <code>REWIND_CONFIG_FILE</code>) to see what the snapshot policies keep and the DR plans' readiness.
    </p>`;
  if (!loaded.plans.length) return undefined;
  return html`<h2 id="h-dr">DR plans</h2>
    <table aria-labelledby="h-dr">
      <thead>
        <tr>
          <th scope="col">Plan</th>
          <th scope="col">Checked as</th>
          <th scope="col">Readiness</th>
          <th scope="col">What is not ready</th>
          <th scope="col">The same from the CLI</th>
        </tr>
      </thead>
      <tbody>
        ${loaded.plans.map(
          (plan) =>
            html`<tr data-plan="${plan.name}">
              <th scope="row" class="mono">${plan.name}</th>
              <td>planned ${plan.direction}</td>
              <td>
                ${plan.readiness ? (plan.readiness.ready ? badge('ok', 'ready') : badge('failed', 'not ready')) : badge('failed', 'not checked')}
              </td>
              <td>
                ${
                  plan.error
                    ? html`<span class="problem">${plan.error}</span>`
                    : plan.readiness && !plan.readiness.ready
                      ? html`<ul class="plain">
                          ${notReadyLines(plan.readiness).map((line) => html`<li>${line}</li>`)}
                        </ul>`
                      : html`<span class="muted">-</span>`
                }
              </td>
              <td><code>${plan.command}</code></td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}

registerDatabaseFacet<LoadedPlans>({
  id: 'dr',
  heading: 'DR readiness',
  async load(ctx) {
    const policies = policiesOfConsole(ctx);
    if ('error' in policies) return policies;
    const plans = await eachLimited(
      plansToCheck(policies.config.drPlans),
      2,
      async (plan): Promise<CheckedPlan> => {
        try {
          return {
            ...plan,
            readiness: await planReadiness(ctx.clients, plan.layers, plan.direction, 'planned'),
          };
        } catch (err) {
          return { ...plan, error: problemOf(err) };
        }
      },
    );
    return { plans, home: ctx.clients.target.region, file: policies.file };
  },
  cell: drCell,
  summary: drSummary,
});
