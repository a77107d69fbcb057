import type { ReplicationPolicy } from '../policies/replication';
import { replicationPeers } from '../policies/replication';
import type { EventPattern } from '../topology';

/**
 * The bus-to-bus wiring of replication between accounts, from the policy file: the same in the
 * deployment (CloudFormation) and the local cloud. A source account forwards each `SnapshotShared` to the
 * destination's bus; a destination forwards its answers back to the source's bus. Each receiving bus's
 * resource policy lets the peer accounts put events on it. A forwarding target's dead-letter queue is the
 * replication inbox: an event the peer bus refuses comes back there, and the source fails the replication
 * with the reason instead of waiting.
 */
export interface ForwardingRule {
  /** Rule name suffix (unique per account): `replication-to-<account>`. */
  name: string;
  description: string;
  pattern: EventPattern;
  /** The peer account whose bus (same name, same region as this one) receives the events. */
  peerAccount: string;
}

const ANSWERS = ['ReplicationReceived', 'ReplicationCompleted', 'ReplicationFailed'];

/** The forwarding rules this account's bus needs. */
export function replicationForwardingRules(
  policies: readonly ReplicationPolicy[],
  accountId: string,
): ForwardingRule[] {
  const peers = replicationPeers(policies, accountId);
  const toDestinations = peers.destinations.map((account): ForwardingRule => ({
    name: `replication-to-${account}`,
    description: `Shared snapshots announced to account ${account} (forwarded to its Rewind bus)`,
    pattern: {
      source: ['rewind'],
      'detail-type': ['SnapshotShared'],
      detail: { destinationAccount: [account] },
      account: [accountId],
      'replay-name': [{ exists: false }],
    },
    peerAccount: account,
  }));
  const toSources = peers.sources.map((account): ForwardingRule => ({
    name: `replication-answers-to-${account}`,
    description: `Answers to replications from account ${account} (forwarded to its Rewind bus)`,
    pattern: {
      source: ['rewind'],
      'detail-type': ANSWERS,
      detail: { sourceAccount: [account] },
      account: [accountId],
      'replay-name': [{ exists: false }],
    },
    peerAccount: account,
  }));
  return [...toDestinations, ...toSources];
}

/** The accounts allowed to put events on this account's bus (its bus policy statements). */
export function replicationBusPrincipals(
  policies: readonly ReplicationPolicy[],
  accountId: string,
): string[] {
  const peers = replicationPeers(policies, accountId);
  return [...new Set([...peers.destinations, ...peers.sources])].sort();
}

/** A peer's Rewind bus: the same bus name in the same region, in the peer account. */
export function peerBusArn(region: string, account: string, busName: string): string {
  return `arn:aws:events:${region}:${account}:event-bus/${busName}`;
}
