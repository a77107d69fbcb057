import { createEventBridge, type EventBridgeEmulator } from './eventbridge';
import { createRds, type CreateRdsOptions, type RdsEmulator } from './rds';
import type { SnsPublisher, SqsSender } from './sqs/fauxqsService';
import type { IdentityOptions } from './edge/identity';
import type { KmsKeys } from './kms';
import type { BusIngress } from './types';

/** RDS emulator settings a local cloud passes through (durations profile, time scale, seed, ...). */
export type RdsSettings = Omit<CreateRdsOptions, 'identity' | 'bus' | 'sns' | 'log' | 'kms' | 'accounts'>;

export function startEventBridge(
  identity: IdentityOptions,
  sqs: SqsSender,
  log: (line: string) => void,
): EventBridgeEmulator {
  return createEventBridge({ identity: identity.identity, accounts: identity.accounts, sqs, log });
}

export function startRds(
  identity: IdentityOptions,
  bus: BusIngress,
  sns: SnsPublisher,
  kms: KmsKeys,
  settings: RdsSettings | undefined,
  log: (line: string) => void,
): RdsEmulator {
  return createRds({
    ...settings,
    identity: identity.identity,
    accounts: identity.accounts,
    kms,
    bus,
    sns,
    log,
  });
}
