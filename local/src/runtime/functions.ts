import { topology } from '@rewind/shared/src/topology';
import type { ResourceNames } from '@rewind/shared/src/resourceNames';

/** A function the runtime runs: a handler consuming one queue, like a Lambda with an SQS event source mapping. */
export interface RuntimeFunction {
  name: string;
  queueName: string;
  /** `<module path from the repository root, no extension>.<exported function>` */
  handler: string;
  /** Records per invocation (SQS receives at most 10 at a time; larger values are capped at 10). */
  batchSize: number;
  /** Concurrent invocations (one long-polling receiver each). */
  maxConcurrency: number;
  timeoutSeconds: number;
  memoryMb?: number;
  /** Extra process.env entries, set once when the runtime starts. */
  env?: Record<string, string>;
  /** Environment of this function alone (its role's credentials), seen only by its invocations. */
  ownEnv?: Record<string, string>;
}

/** The functions of `topology.services`, named and wired by `resourceNames`. */
export function topologyFunctions(names: ResourceNames): RuntimeFunction[] {
  return topology.services.map((service) => ({
    name: names.functionName(service.name, service.function.name),
    queueName: names.inboxQueue(service.name),
    handler: service.function.handler,
    batchSize: service.function.batchSize,
    maxConcurrency: service.function.maxConcurrency,
    timeoutSeconds: service.function.timeoutSeconds,
    memoryMb: service.function.memoryMb,
  }));
}
