import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  readPolicyFile,
  replicationBusPrincipals,
  replicationPeers,
  type ReplicationPolicy,
} from '@rewind/shared';
import { admittedTypes } from './replication';
import { replicationKeyRequirements } from './replicationKeys';

/**
 * The section of docs/deploy.md on replication's KMS key policies and bus policies, generated from a
 * policy file (the repository's example) by `npm run docs:generate`; a test fails when it is stale.
 */
export const DOCS_BEGIN =
  '<!-- replication-setup: generated from rewind.config.example.json by `npm run docs:generate`; do not edit -->';
export const DOCS_END = '<!-- end of replication-setup -->';

const json = (value: unknown) => ['```json', JSON.stringify(value, null, 2), '```'].join('\n');

/** Every account a policy names, source first. */
const accountsOf = (p: ReplicationPolicy) => [p.source.account, ...p.destinations.map((d) => d.account)];

export function replicationSetupMarkdown(policies: readonly ReplicationPolicy[], prefix: string): string {
  const lines: string[] = [];
  for (const policy of policies) {
    const req = replicationKeyRequirements(policy, prefix);
    lines.push(
      `#### Policy \`${policy.name}\`: ${policy.source.identifier} (${policy.source.account}) to ${policy.destinations.map((d) => d.account).join(', ')}`,
      '',
    );
    for (const key of req.keys) {
      lines.push(
        `${key.side === 'source' ? 'Source' : 'Destination'} key \`${key.key}\` (account ${key.account}, ${key.region}): ${key.purpose}. Its key policy gains:`,
        '',
        json(key.statements),
        '',
      );
    }
    for (const note of req.notes) lines.push(`Note: ${note}`, '');
    const [first] = req.destinationIam;
    if (first) {
      lines.push(
        `Each destination's replication role gets these IAM statements on the source key from the deployment (its stack, deployed with \`REWIND_ACCOUNT_ID\`), here account ${first.account}'s:`,
        '',
        json(first.statements),
        '',
      );
    }
    lines.push(
      "The bus policy statements each account's shared stack creates (`AWS::Events::EventBusPolicy`):",
      '',
    );
    for (const account of [...new Set(accountsOf(policy))]) {
      const peers = replicationBusPrincipals([policy], account);
      const statements = peers.map((peer) => ({
        Sid: `replication-from-${peer}`,
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${peer}:root` },
        Action: 'events:PutEvents',
        Resource: `arn:aws:events:${policy.source.region}:${account}:event-bus/${prefix}`,
        Condition: {
          StringEquals: {
            'events:source': 'rewind',
            'events:detail-type': admittedTypes([policy], account, peer),
          },
        },
      }));
      const side = replicationPeers([policy], account).destinations.length ? 'source' : 'destination';
      lines.push(`- account ${account} (${side}):`, '', json(statements), '');
    }
  }
  return [DOCS_BEGIN, '', ...lines, DOCS_END].join('\n');
}

/** The document with its generated section replaced (the markers must be there). */
export function withReplicationSetup(document: string, section: string): string {
  const begin = document.indexOf(DOCS_BEGIN);
  const end = document.indexOf(DOCS_END);
  if (begin < 0 || end < begin)
    throw new Error(
      `docs/deploy.md has no generated replication section: add the markers ${DOCS_BEGIN} ... ${DOCS_END}`,
    );
  return document.slice(0, begin) + section + document.slice(end + DOCS_END.length);
}

const ROOT = join(__dirname, '..');
export const DEPLOY_DOC = join(ROOT, 'docs', 'deploy.md');

/**
 * docs/deploy.md as `npm run docs:generate` writes it: the example's section, formatted by prettier (its
 * command line: its API loads plugins in a way jest does not run).
 */
export function generatedDeployDoc(): string {
  const policies = readPolicyFile(join(ROOT, 'rewind.config.example.json')).replication;
  const document = withReplicationSetup(
    readFileSync(DEPLOY_DOC, 'utf8'),
    replicationSetupMarkdown(policies, 'rewind-prod'),
  );
  return execFileSync(
    process.execPath,
    [require.resolve('prettier/bin/prettier.cjs'), '--stdin-filepath', DEPLOY_DOC],
    {
      input: document,
      encoding: 'utf8',
    },
  );
}
