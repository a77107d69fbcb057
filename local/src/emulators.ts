import { createEventBridge, type EventBridgeEmulator } from './eventbridge';
import { createRds, type CreateRdsOptions, type RdsEmulator } from './rds';
import type { SnsPublisher, SqsSender } from './sqs/fauxqsService';
import type { BusIngress, LocalIdentity } from './types';

/** RDS emulator settings a local cloud passes through (durations profile, time scale, seed, ...). */
export type RdsSettings = Omit<CreateRdsOptions, 'identity' | 'bus' | 'sns' | 'log'>;

export function startEventBridge(
  identity: LocalIdentity,
  sqs: SqsSender,
  log: (line: string) => void,
): EventBridgeEmulator {
  return createEventBridge({ identity, sqs, log });
}

export function startRds(
  identity: LocalIdentity,
  bus: BusIngress,
  sns: SnsPublisher,
  settings: RdsSettings | undefined,
  log: (line: string) => void,
): RdsEmulator {
  return createRds({ ...settings, identity, bus, sns, log });
}
