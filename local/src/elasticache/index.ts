/**
 * The ElastiCache emulator: the query protocol (`Action=...`, XML answers in the 2015-02-02 namespace),
 * replication groups and global datastores per account and region, durations with a time scale, injected
 * faults (operation outcomes and API errors, as for RDS), `--state-dir` persistence.
 *
 * Admin API under /_rewind/elasticache/:
 *   GET/POST faults   ({operations?, apiErrors?}: operations `replication-group-create`, `global-datastore-failover`)
 *   DELETE faults | POST faults/clear
 *   GET/POST config   ({profile?: 'realistic' | 'instant' | durations, timeScale?})
 *   GET history[?account=&region=]   every status change, oldest first
 *   POST reset
 */
import { Partitions, resolveCaller } from '../edge/identity';
import { jsonResponse } from '../http';
import { partitionedState } from '../persistence/partitioned';
import { RdsError } from '../rds/errors';
import { Faults, seededRandom, type FaultConfig } from '../rds/faults';
import { taskFunction, type PendingTask } from '../rds/lifecycle';
import { errorResponse, newRequestId, Params, xmlResponse, type XmlObject } from '../rds/protocol';
import type { EmulatedService, LocalIdentity, LocalRequest, LocalResponse, ServiceState } from '../types';
import {
  createGlobalReplicationGroup,
  createReplicationGroup,
  describeGlobalReplicationGroups,
  describeReplicationGroups,
  disassociateGlobalReplicationGroup,
  failoverGlobalReplicationGroup,
} from './api';
import { ElastiCacheState, REALISTIC, type Durations, type ElastiCacheWorld } from './state';

const XMLNS = 'http://elasticache.amazonaws.com/doc/2015-02-02/';

type Handler = (s: ElastiCacheState, p: Params) => XmlObject;

const ACTIONS: Record<string, Handler> = {
  CreateReplicationGroup: createReplicationGroup,
  DescribeReplicationGroups: describeReplicationGroups,
  CreateGlobalReplicationGroup: createGlobalReplicationGroup,
  DescribeGlobalReplicationGroups: describeGlobalReplicationGroups,
  FailoverGlobalReplicationGroup: failoverGlobalReplicationGroup,
  DisassociateGlobalReplicationGroup: disassociateGlobalReplicationGroup,
};

export type ElastiCacheProfile = 'realistic' | 'instant' | Partial<Durations>;

export interface ElastiCacheSettings {
  profile?: ElastiCacheProfile;
  /** Real milliseconds per emulated millisecond (default 1). */
  timeScale?: number;
  seed?: number;
}

export interface CreateElastiCacheOptions extends ElastiCacheSettings {
  identity: LocalIdentity;
  accounts?: Readonly<Record<string, string>>;
  log?: (line: string) => void;
}

function resolveDurations(profile: ElastiCacheProfile | undefined): Durations {
  if (profile === undefined || profile === 'realistic') return { ...REALISTIC };
  if (profile === 'instant') {
    return Object.fromEntries(Object.keys(REALISTIC).map((k) => [k, 20])) as unknown as Durations;
  }
  return { ...REALISTIC, ...profile };
}

interface Dump {
  groups: ElastiCacheState['groups'];
  globals: ElastiCacheState['globals'];
  keySequence: number;
  tasks: PendingTask[];
}

export class ElastiCacheEmulator implements EmulatedService, ElastiCacheWorld {
  readonly signingNames = ['elasticache'] as const;
  readonly adminPrefix = 'elasticache';
  readonly persistence: ServiceState;
  private readonly partitions: Partitions<ElastiCacheState>;
  private readonly faults: Faults;
  private durations: Durations;
  private timeScale: number;

  constructor(private readonly opts: CreateElastiCacheOptions) {
    this.faults = new Faults(seededRandom(opts.seed ?? 1));
    this.durations = resolveDurations(opts.profile);
    this.timeScale = opts.timeScale ?? 1;
    const log = opts.log ?? (() => undefined);
    this.partitions = new Partitions(
      (where) => new ElastiCacheState(where, this, this.faults, { ...this.durations }, this.timeScale, log),
    );
    this.persistence = partitionedState<ElastiCacheState, Dump>('elasticache', this.partitions, {
      dump: (s) => ({
        groups: s.groups,
        globals: s.globals,
        keySequence: s.keySequence,
        tasks: s.sched.pendingTasks(),
      }),
      load: (s, dump) => {
        const unknown = dump.tasks.filter((t) => !taskFunction(t.task)).map((t) => t.task);
        if (unknown.length > 0)
          throw new Error(`it names lifecycle steps this version does not know (${unknown.join(', ')})`);
        for (const [k, v] of dump.groups) s.groups.set(k, v);
        for (const [k, v] of dump.globals) s.globals.set(k, v);
        s.keySequence = dump.keySequence;
        s.sched.resume(dump.tasks, (key) => s.byKey(key));
      },
    });
  }

  partition(where: LocalIdentity): ElastiCacheState {
    return this.partitions.get(where);
  }

  all(): ElastiCacheState[] {
    return this.partitions.all();
  }

  async handle(req: LocalRequest): Promise<LocalResponse> {
    const requestId = newRequestId();
    const p = new Params(
      req.method === 'POST' && req.body.length > 0 ? req.body.toString('utf8') : req.query,
    );
    const handler = ACTIONS[p.action];
    if (!handler) {
      return errorResponse(
        new RdsError(
          'InvalidAction',
          `The local cloud's ElastiCache does not emulate ${p.action || 'this request'}; it serves ${Object.keys(ACTIONS).join(', ')}.`,
        ),
        requestId,
        XMLNS,
      );
    }
    const state = this.partition(
      resolveCaller(req, { identity: this.opts.identity, accounts: this.opts.accounts }),
    );
    const identifier =
      p.str('GlobalReplicationGroupId') ?? p.str('ReplicationGroupId') ?? p.str('PrimaryReplicationGroupId');
    try {
      this.faults.throwApiError(p.action, identifier?.toLowerCase(), state.identity.region);
      return xmlResponse(p.action, handler(state, p), requestId, XMLNS);
    } catch (e) {
      if (e instanceof RdsError) return errorResponse(e, requestId, XMLNS);
      state.log(`elasticache ${p.action} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      return errorResponse(
        new RdsError('InternalFailure', 'An internal error occurred.', 500),
        requestId,
        XMLNS,
      );
    }
  }

  async admin(req: LocalRequest, subpath: string): Promise<LocalResponse> {
    const route = `${req.method} ${subpath.replace(/^\/+|\/+$/g, '')}`;
    try {
      const body = (): Record<string, unknown> =>
        req.body.length === 0 ? {} : (JSON.parse(req.body.toString('utf8')) as Record<string, unknown>);
      switch (route) {
        case 'GET faults':
          return jsonResponse(200, this.faults.get());
        case 'POST faults':
          this.faults.set(body() as FaultConfig);
          return jsonResponse(200, this.faults.get());
        case 'DELETE faults':
        case 'POST faults/clear':
          this.faults.clear();
          return jsonResponse(200, this.faults.get());
        case 'GET config':
          return jsonResponse(200, { durations: this.durations, timeScale: this.timeScale });
        case 'POST config':
          this.configure(body() as ElastiCacheSettings);
          return jsonResponse(200, { durations: this.durations, timeScale: this.timeScale });
        case 'GET history': {
          const where = {
            accountId: req.query.get('account') ?? this.opts.identity.accountId,
            region: req.query.get('region') ?? this.opts.identity.region,
          };
          return jsonResponse(200, this.partition(where).history);
        }
        case 'POST reset':
          for (const s of this.all()) s.reset();
          this.faults.clear();
          return jsonResponse(200, { reset: true });
        default:
          return jsonResponse(404, { error: `no admin route ${route}` });
      }
    } catch (e) {
      return jsonResponse(400, { error: e instanceof Error ? e.message : String(e) });
    }
  }

  configure(settings: ElastiCacheSettings): void {
    if (settings.timeScale !== undefined && !(settings.timeScale > 0))
      throw new Error('timeScale must be > 0');
    if (settings.profile !== undefined) this.durations = resolveDurations(settings.profile);
    if (settings.timeScale !== undefined) this.timeScale = settings.timeScale;
    for (const s of this.all()) {
      s.durations = { ...this.durations };
      s.sched.timeScale = this.timeScale;
    }
  }

  async close(): Promise<void> {
    for (const s of this.all()) s.sched.close();
  }
}

export function createElastiCache(opts: CreateElastiCacheOptions): ElastiCacheEmulator {
  return new ElastiCacheEmulator(opts);
}
