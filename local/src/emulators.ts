import { createEventBridge, type EventBridgeEmulator } from './eventbridge';
import { createRds, type CreateRdsOptions, type RdsEmulator } from './rds';
import type { SnsPublisher, SqsSender } from './sqs/fauxqsService';
import type { IdentityOptions } from './edge/identity';
import type { KmsKeys } from './kms';
import type { BusIngress } from './types';
import type { CloudClock } from './clock';

/** RDS emulator settings a local cloud passes through (durations profile, time scale, seed, ...). */
export type RdsSettings = Omit<
  CreateRdsOptions,
  'identity' | 'bus' | 'sns' | 'log' | 'kms' | 'accounts' | 'clock' | 's3' | 'checkRole'
>;

export function startEventBridge(
  identity: IdentityOptions,
  sqs: SqsSender,
  log: (line: string) => void,
  clock: CloudClock,
): EventBridgeEmulator {
  return createEventBridge({ identity: identity.identity, accounts: identity.accounts, sqs, log, clock });
}

export function startRds(
  identity: IdentityOptions,
  bus: BusIngress,
  sns: SnsPublisher,
  kms: KmsKeys,
  settings: RdsSettings | undefined,
  log: (line: string) => void,
  clock: CloudClock,
  extra: Pick<CreateRdsOptions, 's3' | 'checkRole'> = {},
): RdsEmulator {
  return createRds({
    ...settings,
    ...extra,
    clock,
    identity: identity.identity,
    accounts: identity.accounts,
    kms,
    bus,
    sns,
    log,
  });
}
