/** Injected faults: event delivery trouble, failing operations, API errors. Randomness is seeded. */
import { RdsError } from './errors';

export interface EventFaults {
  /** Probability that an event is not delivered (to the bus nor SNS; DescribeEvents still lists it). */
  lose?: number;
  /** Probability that an event is delivered twice. */
  duplicate?: number;
  /** Probability that an event is delayed by `delayMs` (simulated ms, time-scaled). */
  delay?: number;
  delayMs?: number;
  /** Probability that an event is held back and delivered after the next one. */
  reorder?: number;
}

export type OperationName =
  | 'create'
  | 'restore'
  | 'snapshot'
  | 'delete'
  | 'rename'
  | 'reboot'
  | 'cluster-create'
  | 'cluster-restore'
  | 'cluster-snapshot'
  | 'cluster-delete'
  | 'cluster-rename'
  | 'export';

/**
 * Outcomes:
 * - restore: `incompatible-restore` | `failed` | `incompatible-parameters` | `incompatible-network` (the instance
 *   ends in that status after `creating`), `insufficient-capacity` (API error at call time);
 * - create: `insufficient-capacity` (API error InsufficientDBInstanceCapacity), `insufficient-capacity-async`
 *   (`creating` then `failed`, RDS-EVENT-0353), `failed` (`creating` then `failed`, RDS-EVENT-0278);
 * - cluster-create / cluster-restore: `failed` (`creating` then `failed`, RDS-EVENT-0354),
 *   `insufficient-capacity` (API error InsufficientDBClusterCapacityFault);
 * - snapshot / cluster-snapshot: `failed` (snapshot ends `failed`), `quota-exceeded` (API error SnapshotQuotaExceeded);
 * - delete / cluster-delete: `error` (API error InvalidDBInstanceState / InvalidDBClusterStateFault), `stuck`
 *   (stays `deleting`);
 * - rename / cluster-rename: `stuck` (stays `renaming`);
 * - reboot: `stuck` (stays `rebooting`);
 * - export (by export task identifier): `failed` (the task ends FAILED, RDS-EVENT-0159 / 0162).
 */
interface OperationFault {
  operation: OperationName;
  /** Identifier pattern: exact, glob with `*`, or `/regex/`. Omitted = any. */
  identifier?: string;
  outcome: string;
  /** How many times it applies; omitted = always. */
  times?: number;
}

interface ApiErrorFault {
  /** API action, e.g. "ModifyDBInstance", or "*". */
  action: string;
  code: string;
  message?: string;
  status?: number;
  identifier?: string;
  /** Omitted = always. */
  times?: number;
}

export interface FaultConfig {
  events?: EventFaults;
  operations?: OperationFault[];
  apiErrors?: ApiErrorFault[];
}

function matchesPattern(pattern: string | undefined, value: string | undefined): boolean {
  if (pattern === undefined || pattern === '*') return true;
  if (value === undefined) return false;
  if (pattern.length > 2 && pattern.startsWith('/') && pattern.endsWith('/')) {
    return new RegExp(pattern.slice(1, -1)).test(value);
  }
  const re = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${re}$`).test(value);
}

/** A seeded generator whose position can be saved and restored (resource ids stay unique after a reload). */
export interface SeededRandom {
  (): number;
  /** Where the sequence stands. */
  position: number;
}

/** mulberry32: small, seedable, good enough for fault rates. */
export function seededRandom(seed: number): SeededRandom {
  const next = (() => {
    next.position = (next.position + 0x6d2b79f5) >>> 0;
    let t = next.position;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }) as SeededRandom;
  next.position = seed >>> 0;
  return next;
}

export class Faults {
  private config: Required<FaultConfig> = { events: {}, operations: [], apiErrors: [] };

  constructor(readonly random: () => number) {}

  /** Replaces the whole fault configuration. */
  set(config: FaultConfig): void {
    validate(config);
    this.config = {
      events: { ...(config.events ?? {}) },
      operations: (config.operations ?? []).map((o) => ({ ...o })),
      apiErrors: (config.apiErrors ?? []).map((e) => ({ ...e })),
    };
  }

  clear(): void {
    this.set({});
  }

  get(): Required<FaultConfig> {
    return JSON.parse(JSON.stringify(this.config)) as Required<FaultConfig>;
  }

  get events(): EventFaults {
    return this.config.events;
  }

  chance(rate: number | undefined): boolean {
    return rate !== undefined && rate > 0 && this.random() < rate;
  }

  /** The outcome of the first matching operation fault (consuming one of its `times`). */
  takeOperation(operation: OperationName, identifier: string): string | undefined {
    const f = this.config.operations.find(
      (o) => o.operation === operation && matchesPattern(o.identifier, identifier) && o.times !== 0,
    );
    if (!f) return undefined;
    if (f.times !== undefined) f.times -= 1;
    return f.outcome;
  }

  /** Throws the first matching injected API error (consuming one of its `times`). */
  throwApiError(action: string, identifier: string | undefined): void {
    const f = this.config.apiErrors.find(
      (e) =>
        (e.action === '*' || e.action === action) &&
        (e.identifier === undefined || matchesPattern(e.identifier, identifier)) &&
        e.times !== 0,
    );
    if (!f) return;
    if (f.times !== undefined) f.times -= 1;
    throw new RdsError(f.code, f.message ?? `Injected ${f.code} for ${action}`, f.status);
  }
}

function validate(config: FaultConfig): void {
  const rates = config.events ?? {};
  for (const k of ['lose', 'duplicate', 'delay', 'reorder'] as const) {
    const v = rates[k];
    if (v !== undefined && (typeof v !== 'number' || v < 0 || v > 1))
      throw new Error(`events.${k} must be in [0, 1]`);
  }
  for (const o of config.operations ?? []) {
    if (typeof o.operation !== 'string' || typeof o.outcome !== 'string') {
      throw new Error('operations[] need operation and outcome');
    }
  }
  for (const e of config.apiErrors ?? []) {
    if (typeof e.action !== 'string' || typeof e.code !== 'string')
      throw new Error('apiErrors[] need action and code');
  }
}
