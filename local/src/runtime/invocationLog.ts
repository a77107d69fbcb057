import { jsonResponse } from '../http';
import type { EmulatedService, LocalRequest, LocalResponse } from '../types';

export type InvocationOutcome = 'success' | 'partial' | 'error' | 'timeout';

export interface InvocationRecord {
  functionName: string;
  /** The account of the install the function belongs to, when Rewind is installed in several. */
  accountId?: string;
  requestId: string;
  records: number;
  messageIds: string[];
  /** Message ids left on the queue (reported failures, or all of them when the batch failed). */
  failedMessageIds: string[];
  outcome: InvocationOutcome;
  error?: string;
  startedAt: string;
  durationMs: number;
}

export interface FunctionCounts {
  invocations: number;
  records: number;
  failedRecords: number;
  errors: number;
}

/** Invocations kept in memory (the newest `capacity`), with counts per function since the last clear. */
export class InvocationLog {
  private readonly entries: InvocationRecord[] = [];
  private readonly counts = new Map<string, FunctionCounts>();

  constructor(private readonly capacity = 10_000) {}

  add(entry: InvocationRecord): void {
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
    const key =
      entry.accountId === undefined ? entry.functionName : `${entry.accountId}:${entry.functionName}`;
    const c = this.counts.get(key) ?? {
      invocations: 0,
      records: 0,
      failedRecords: 0,
      errors: 0,
    };
    c.invocations++;
    c.records += entry.records;
    c.failedRecords += entry.failedMessageIds.length;
    if (entry.outcome === 'error' || entry.outcome === 'timeout') c.errors++;
    this.counts.set(key, c);
  }

  list(functionName?: string): InvocationRecord[] {
    return functionName ? this.entries.filter((e) => e.functionName === functionName) : [...this.entries];
  }

  countsByFunction(): Record<string, FunctionCounts> {
    return Object.fromEntries(this.counts);
  }

  clear(): void {
    this.entries.length = 0;
    this.counts.clear();
  }
}

export interface FunctionStatus {
  name: string;
  /** As in `InvocationRecord`. */
  accountId?: string;
  queueName: string;
  handler: string;
  state: 'running' | 'skipped';
  reason?: string;
}

/**
 * Admin API `/_rewind/runtime/...`: `GET invocations[?function=name]`, `DELETE invocations`,
 * `GET counts`, `GET functions`.
 */
export function createRuntimeAdmin(log: InvocationLog, functions: () => FunctionStatus[]): EmulatedService {
  async function admin(req: LocalRequest, subpath: string): Promise<LocalResponse> {
    if (subpath === 'invocations' && req.method === 'GET') {
      return jsonResponse(200, { invocations: log.list(req.query.get('function') ?? undefined) });
    }
    if (subpath === 'invocations' && req.method === 'DELETE') {
      log.clear();
      return jsonResponse(200, { cleared: true });
    }
    if (subpath === 'counts' && req.method === 'GET')
      return jsonResponse(200, { counts: log.countsByFunction() });
    if (subpath === 'functions' && req.method === 'GET') return jsonResponse(200, { functions: functions() });
    return jsonResponse(404, {
      error:
        'Runtime admin routes: GET|DELETE /_rewind/runtime/invocations[?function=], GET /_rewind/runtime/counts, GET /_rewind/runtime/functions',
    });
  }
  return {
    signingNames: [],
    adminPrefix: 'runtime',
    admin,
    handle: async () => jsonResponse(404, { error: 'The runtime has only an admin API' }),
  };
}
