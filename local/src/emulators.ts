import { createRequire } from 'node:module';
import { createEventBridge, type EventBridgeEmulator } from './eventbridge';
import type { SnsPublisher, SqsSender } from './sqs/fauxqsService';
import type { BusIngress, EmulatedService, LocalIdentity } from './types';

export interface RdsDeps {
  identity: LocalIdentity;
  bus: BusIngress;
  sns: SnsPublisher;
  profile?: string;
  timeScale?: number;
  seed?: number;
  log?: (line: string) => void;
}
type CreateRds = (deps: RdsDeps) => EmulatedService;

export function startEventBridge(
  identity: LocalIdentity,
  sqs: SqsSender,
  log: (line: string) => void,
): EventBridgeEmulator {
  return createEventBridge({ identity, sqs, log });
}

/**
 * The RDS emulator, loaded by path so the local cloud also starts (without RDS) in a checkout
 * where `local/src/rds/index.ts` does not export `createRds` yet.
 */
export function startRds(deps: RdsDeps): EmulatedService | undefined {
  let mod: { createRds?: CreateRds };
  try {
    mod = createRequire(__filename)('./rds') as { createRds?: CreateRds };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === 'MODULE_NOT_FOUND' && e.message?.includes("'./rds'")) return undefined;
    throw err;
  }
  return mod.createRds ? mod.createRds(deps) : undefined;
}
