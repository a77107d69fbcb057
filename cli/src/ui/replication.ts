import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { replicationExpressions, type ReplicationDestination, type ReplicationPolicy } from '@rewind/shared';
import { versionNumber } from '../../../services/replication/src/destinationJobs';
import type { Clients } from '../context';
import { queueUrl } from '../queues';
import type { ConsoleContext } from './context';
import { registerDatabaseFacet, type DatabaseRow } from './databases';
import { policiesOfConsole } from './facets';
import { html, query, type Html } from './html';

/**
 * What the console knows of replication policies (the policy file's `replication` section): which account
 * it reads, the policies this account is the source or a destination of, and on the databases page, under
 * each database, the policies it is the source or destination of.
 */

const ACCOUNTS = new WeakMap<Clients, Promise<string | undefined>>();

/**
 * The account the console reads: from the ARN of Rewind's restore inbox (sqs:GetQueueAttributes, which
 * the console's read policy has). Undefined when it cannot be read (said on the pages that need it).
 */
export function accountOf(clients: Clients): Promise<string | undefined> {
  let found = ACCOUNTS.get(clients);
  if (!found) {
    found = (async () => {
      const url = await queueUrl(clients.sqs, clients.target.names.inboxQueue('restore'));
      const out = await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
      );
      const account = out.Attributes?.QueueArn?.split(':')[4];
      return account && /^\d{12}$/.test(account) ? account : undefined;
    })().catch(() => {
      ACCOUNTS.delete(clients);
      return undefined;
    });
    ACCOUNTS.set(clients, found);
  }
  return found;
}

/** The replication policies of the console's policy file, or what is wrong with the file. */
export function replicationPolicies(
  ctx: ConsoleContext,
): { policies: ReplicationPolicy[]; file?: string } | { error: string } {
  const loaded = policiesOfConsole(ctx);
  if ('error' in loaded) return loaded;
  return { policies: loaded.config.replication, file: loaded.file };
}

/** When a policy runs, in words. */
export function scheduleText(p: ReplicationPolicy): string {
  const expressions = replicationExpressions(p);
  if (!p.enabled) return 'disabled';
  return expressions.length ? `schedule ${expressions.join(', ')}` : 'on request only';
}

/** What a destination does with the snapshot, in words. */
export function destinationText(d: ReplicationDestination): string {
  if (d.mode === 'in-place')
    return `in place: ${d.identifier} is restored under its own name (${d.strategy} plan; the name and endpoint stay)`;
  return `versioned: a new database ${d.prefix}-<n+1>${d.template ? ` (the first from template ${d.template})` : ''}, the newest ${d.keep} kept, older ones deleted${d.finalSnapshot ? ' with a final snapshot' : ' without a final snapshot'}${d.secret ? `; secret ${d.secret.id} (field "${d.secret.field}") set to its endpoint` : ''}`;
}

/** The policies `row` is the source of (in this account) or a destination of (in place, a version, the template). */
export function policiesOfDatabase(
  policies: readonly ReplicationPolicy[],
  account: string,
  row: Pick<DatabaseRow, 'kind' | 'identifier'>,
): {
  asSource: ReplicationPolicy[];
  asDestination: { policy: ReplicationPolicy; d: ReplicationDestination }[];
} {
  const ofKind = policies.filter((p) => p.kind === row.kind);
  return {
    asSource: ofKind.filter((p) => p.source.account === account && p.source.identifier === row.identifier),
    asDestination: ofKind.flatMap((policy) =>
      policy.destinations
        .filter(
          (d) =>
            d.account === account &&
            (d.mode === 'in-place'
              ? d.identifier === row.identifier
              : versionNumber(d.prefix, row.identifier) !== undefined || d.template === row.identifier),
        )
        .map((d) => ({ policy, d })),
    ),
  };
}

type Loaded = { error: string } | { policies: ReplicationPolicy[]; account?: string; file?: string };

function replicationCell(row: DatabaseRow, loaded: Loaded): Html {
  if ('error' in loaded) return html`<span class="problem">policy file: ${loaded.error}</span>`;
  if (!loaded.file) return html`<span class="muted">no policy file (--config)</span>`;
  if (!loaded.account)
    return html`<span class="problem"
      >the account this console reads is unknown (its restore inbox's ARN could not be read)</span
    >`;
  const { asSource, asDestination } = policiesOfDatabase(loaded.policies, loaded.account, row);
  if (!asSource.length && !asDestination.length)
    return html`<span class="muted">no replication policy</span>`;
  const link = (p: ReplicationPolicy) =>
    html`<a href="/replication${query({ policy: p.name })}">${p.name}</a>`;
  return html`<ul class="plain" aria-label="Replication policies of ${row.identifier}">
    ${asSource.map(
      (p) =>
        html`<li data-replication-policy="${p.name}">
          source of ${link(p)} → ${p.destinations.map((d) => `${d.account} (${d.mode})`).join(', ')}
          <span class="muted">${scheduleText(p)}</span> ·
          <a href="/replication/replicate${query({ policy: p.name })}" aria-label="Replicate ${p.name} now…"
            >Replicate now…</a
          >
        </li>`,
    )}
    ${asDestination.map(
      ({ policy, d }) =>
        html`<li data-replication-policy="${policy.name}">
          destination of ${link(policy)} from account ${policy.source.account} (${policy.source.identifier}):
          <span class="muted">${destinationText(d)}</span>
        </li>`,
    )}
  </ul>`;
}

registerDatabaseFacet<Loaded>({
  id: 'replication',
  heading: 'Replication',
  async load(ctx) {
    const loaded = replicationPolicies(ctx);
    if ('error' in loaded) return loaded;
    return { ...loaded, account: loaded.file ? await accountOf(ctx.clients) : undefined };
  },
  cell: replicationCell,
});
