/**
 * EventBridge Scheduler (signing name `scheduler`, REST JSON): schedules and schedule groups per account
 * and region, firing on the cloud clock (`../clock.ts`) at each time their expression names, in order, each
 * delivered to its target as the target's role (`delivery.ts`). Admin: `GET /_rewind/scheduler/firings`.
 */
import { randomUUID } from 'node:crypto';
import type { CloudClock } from '../clock';
import { SCHEDULER_TIMER } from '../clockService';
import { awsErrorResponse } from '../edge/awsError';
import { Partitions, resolveCaller, type IdentityOptions } from '../edge/identity';
import { jsonResponse } from '../http';
import { partitionedState } from '../persistence/partitioned';
import type { EmulatedService, LocalIdentity, LocalRequest, LocalResponse } from '../types';
import { deliver, UNIVERSAL_PUT_EVENTS, type DeliveryDeps } from './delivery';
import { ExpressionError, nextFiring, parseExpression, validTimezone } from './expressions';
import type { Firing, Schedule, ScheduleGroup, ScheduleTarget } from './model';

export type { Firing, Schedule, ScheduleGroup } from './model';
export { UNIVERSAL_PUT_EVENTS } from './delivery';

export interface SchedulerOptions extends IdentityOptions, DeliveryDeps {
  clock: CloudClock;
  log?: (line: string) => void;
}

export interface SchedulerEmulator extends EmulatedService {
  /** Firings so far in one account and region (default: the local cloud's), oldest first. */
  firings(where?: Partial<LocalIdentity>): Firing[];
  close(): Promise<void>;
}

class SchedulerError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const validation = (message: string) => new SchedulerError('ValidationException', 400, message);
const notFound = (message: string) => new SchedulerError('ResourceNotFoundException', 404, message);
const conflict = (message: string) => new SchedulerError('ConflictException', 409, message);

const NAME = /^[0-9a-zA-Z-_.]{1,64}$/;
const DEFAULT_GROUP = 'default';
const MAX_FIRINGS_KEPT = 5000;

interface Place {
  where: LocalIdentity;
  groups: Map<string, ScheduleGroup>;
  /** By `<group>/<name>`. */
  schedules: Map<string, Schedule>;
  timers: Map<string, number>;
  firings: Firing[];
}

type Body = Record<string, unknown>;

const seconds = (ms: number) => ms / 1000;
const fromSeconds = (v: unknown, field: string): number | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw validation(`${field} must be a timestamp.`);
  return Math.round(v * 1000);
};

function checkName(value: unknown, field: string): string {
  if (typeof value !== 'string' || !NAME.test(value))
    throw validation(
      `1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9a-zA-Z-_.]+ (1 to 64 characters)`,
    );
  return value;
}

function checkTarget(raw: unknown): ScheduleTarget {
  if (!raw || typeof raw !== 'object') throw validation('Target is required.');
  const t = raw as ScheduleTarget;
  if (typeof t.Arn !== 'string' || t.Arn.length === 0) throw validation('Target.Arn is required.');
  if (typeof t.RoleArn !== 'string' || !/^arn:aws:iam::\d{12}:role\/.+$/.test(t.RoleArn))
    throw validation(
      `Target.RoleArn must be an IAM role ARN (arn:aws:iam::<account>:role/<name>), got ${String(t.RoleArn)}.`,
    );
  if (t.Input !== undefined && (typeof t.Input !== 'string' || t.Input.length === 0))
    throw validation('Target.Input must be a non-empty string.');
  const isBus = /^arn:aws:events:[^:]*:\d{12}:event-bus\/.+$/.test(t.Arn);
  if (isBus) {
    const p = t.EventBridgeParameters;
    if (!p || typeof p.DetailType !== 'string' || typeof p.Source !== 'string')
      throw validation(
        'EventBridgeParameters with DetailType and Source are required for an event bus target.',
      );
  } else if (t.EventBridgeParameters !== undefined) {
    throw validation('EventBridgeParameters apply only to an event bus target.');
  }
  if (t.Arn === UNIVERSAL_PUT_EVENTS && t.Input === undefined)
    throw validation(`Target.Input (a PutEvents request) is required for ${UNIVERSAL_PUT_EVENTS}.`);
  const retry = t.RetryPolicy;
  if (
    retry?.MaximumRetryAttempts !== undefined &&
    !(retry.MaximumRetryAttempts >= 0 && retry.MaximumRetryAttempts <= 185)
  )
    throw validation('RetryPolicy.MaximumRetryAttempts must be between 0 and 185.');
  if (
    retry?.MaximumEventAgeInSeconds !== undefined &&
    !(retry.MaximumEventAgeInSeconds >= 60 && retry.MaximumEventAgeInSeconds <= 86400)
  )
    throw validation('RetryPolicy.MaximumEventAgeInSeconds must be between 60 and 86400.');
  return JSON.parse(JSON.stringify(t)) as ScheduleTarget;
}

function renderSchedule(s: Schedule): Body {
  return {
    Arn: s.arn,
    Name: s.name,
    GroupName: s.groupName,
    State: s.state,
    Description: s.description,
    ScheduleExpression: s.expression,
    ScheduleExpressionTimezone: s.timezone,
    StartDate: s.startDate === undefined ? undefined : seconds(s.startDate),
    EndDate: s.endDate === undefined ? undefined : seconds(s.endDate),
    FlexibleTimeWindow: s.flexibleTimeWindow,
    Target: s.target,
    ActionAfterCompletion: s.actionAfterCompletion,
    KmsKeyArn: s.kmsKeyArn,
    CreationDate: seconds(s.creationDate),
    LastModificationDate: seconds(s.lastModificationDate),
  };
}

function renderGroup(g: ScheduleGroup): Body {
  return {
    Arn: g.arn,
    Name: g.name,
    State: g.state,
    CreationDate: seconds(g.creationDate),
    LastModificationDate: seconds(g.lastModificationDate),
  };
}

function page<T>(items: T[], query: URLSearchParams): { items: T[]; next?: string } {
  const max = query.get('MaxResults') === null ? 100 : Number(query.get('MaxResults'));
  if (!(Number.isInteger(max) && max >= 1 && max <= 100))
    throw validation('MaxResults must be between 1 and 100.');
  const start =
    query.get('NextToken') === null
      ? 0
      : Number(Buffer.from(query.get('NextToken')!, 'base64url').toString());
  if (!(Number.isInteger(start) && start >= 0)) throw validation('The NextToken is not valid.');
  const slice = items.slice(start, start + max);
  const end = start + slice.length;
  return {
    items: slice,
    next: end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined,
  };
}

export function createScheduler(opts: SchedulerOptions): SchedulerEmulator {
  const log = opts.log ?? (() => undefined);
  const { clock } = opts;
  const places = new Partitions<Place>((where) => {
    const now = clock.now();
    const place: Place = { where, groups: new Map(), schedules: new Map(), timers: new Map(), firings: [] };
    place.groups.set(DEFAULT_GROUP, {
      name: DEFAULT_GROUP,
      arn: groupArn(where, DEFAULT_GROUP),
      state: 'ACTIVE',
      creationDate: now,
      lastModificationDate: now,
      tags: [],
    });
    return place;
  });
  places.get(opts.identity);

  function groupArn(where: LocalIdentity, name: string): string {
    return `arn:aws:scheduler:${where.region}:${where.accountId}:schedule-group/${name}`;
  }

  function group(place: Place, name: string): ScheduleGroup {
    const g = place.groups.get(name);
    if (!g) throw notFound(`Schedule group ${name} does not exist.`);
    return g;
  }

  function schedule(place: Place, groupName: string, name: string): Schedule {
    group(place, groupName);
    const s = place.schedules.get(`${groupName}/${name}`);
    if (!s) throw notFound(`Schedule ${name} does not exist.`);
    return s;
  }

  /** Sets (or clears) the timer of the schedule's next firing strictly after `after`. */
  function arm(place: Place, s: Schedule, after: number): void {
    const key = `${s.groupName}/${s.name}`;
    const old = place.timers.get(key);
    if (old !== undefined) clock.cancel(old);
    place.timers.delete(key);
    const from = Math.max(after, (s.startDate ?? 0) - 1);
    let next = nextFiring(parseExpression(s.expression), s.timezone ?? 'UTC', from, s.anchor);
    if (next !== undefined && s.endDate !== undefined && next > s.endDate) next = undefined;
    s.nextAt = next;
    if (next === undefined || s.state !== 'ENABLED') return;
    place.timers.set(
      key,
      clock.at(next, () => fire(place, key, next), SCHEDULER_TIMER),
    );
  }

  async function fire(place: Place, key: string, scheduledMs: number): Promise<void> {
    place.timers.delete(key);
    const s = place.schedules.get(key);
    if (!s || s.state !== 'ENABLED') return;
    const firing = await deliver(opts, s, scheduledMs, place.where, log);
    place.firings.push(firing);
    if (place.firings.length > MAX_FIRINGS_KEPT) place.firings.shift();
    if (place.schedules.get(key) !== s) return;
    arm(place, s, scheduledMs);
    if (s.nextAt === undefined && s.actionAfterCompletion === 'DELETE') place.schedules.delete(key);
  }

  function scheduleFromBody(place: Place, name: string, body: Body, existing?: Schedule): Schedule {
    const groupName = body.GroupName === undefined ? DEFAULT_GROUP : checkName(body.GroupName, 'groupName');
    group(place, groupName);
    const expression = body.ScheduleExpression;
    if (typeof expression !== 'string' || expression.length === 0 || expression.length > 256)
      throw validation('ScheduleExpression is required (1 to 256 characters).');
    try {
      parseExpression(expression);
    } catch (e) {
      if (e instanceof ExpressionError) throw validation(e.message);
      throw e;
    }
    const timezone = body.ScheduleExpressionTimezone;
    if (timezone !== undefined && (typeof timezone !== 'string' || !validTimezone(timezone)))
      throw validation(
        `Invalid ScheduleExpressionTimezone ${String(timezone)}: use an IANA time zone such as Europe/Paris.`,
      );
    const window = body.FlexibleTimeWindow as Schedule['flexibleTimeWindow'] | undefined;
    if (!window || (window.Mode !== 'OFF' && window.Mode !== 'FLEXIBLE'))
      throw validation('FlexibleTimeWindow is required, with Mode OFF or FLEXIBLE.');
    if (
      window.Mode === 'FLEXIBLE' &&
      !(
        Number.isInteger(window.MaximumWindowInMinutes) &&
        window.MaximumWindowInMinutes! >= 1 &&
        window.MaximumWindowInMinutes! <= 1440
      )
    )
      throw validation(
        'FlexibleTimeWindow.MaximumWindowInMinutes (1 to 1440) is required when Mode is FLEXIBLE.',
      );
    const state = body.State ?? 'ENABLED';
    if (state !== 'ENABLED' && state !== 'DISABLED') throw validation('State must be ENABLED or DISABLED.');
    const action = body.ActionAfterCompletion ?? 'NONE';
    if (action !== 'NONE' && action !== 'DELETE')
      throw validation('ActionAfterCompletion must be NONE or DELETE.');
    const description = body.Description;
    if (description !== undefined && (typeof description !== 'string' || description.length > 512))
      throw validation('Description is at most 512 characters.');
    const startDate = fromSeconds(body.StartDate, 'StartDate');
    const endDate = fromSeconds(body.EndDate, 'EndDate');
    if (startDate !== undefined && endDate !== undefined && endDate <= startDate)
      throw validation('The EndDate must be after the StartDate.');
    const now = clock.now();
    if (startDate !== undefined && !existing && startDate < now - 5 * 60_000)
      throw validation('The StartDate must not be more than 5 minutes in the past.');
    return {
      name,
      groupName,
      arn: `arn:aws:scheduler:${place.where.region}:${place.where.accountId}:schedule/${groupName}/${name}`,
      state,
      description: description as string | undefined,
      expression,
      timezone: timezone as string | undefined,
      startDate,
      endDate,
      flexibleTimeWindow: { ...window },
      target: checkTarget(body.Target),
      actionAfterCompletion: action,
      kmsKeyArn: typeof body.KmsKeyArn === 'string' ? body.KmsKeyArn : undefined,
      creationDate: existing?.creationDate ?? now,
      lastModificationDate: now,
      anchor: startDate ?? now,
    };
  }

  function route(place: Place, req: LocalRequest, body: Body): Body {
    const q = req.query;
    const [, collection, rawName, ...rest] = req.path.split('/');
    const name = rawName === undefined ? undefined : decodeURIComponent(rawName);
    if (rest.length > 0) throw notFound(`No route for ${req.method} ${req.path}.`);
    if (collection === 'schedules' && name !== undefined) {
      checkName(name, 'name');
      const groupName =
        req.method === 'GET' || req.method === 'DELETE' ? (q.get('groupName') ?? DEFAULT_GROUP) : undefined;
      switch (req.method) {
        case 'POST': {
          const s = scheduleFromBody(place, name, body);
          if (place.schedules.has(`${s.groupName}/${name}`))
            throw conflict(`Schedule ${name} already exists.`);
          place.schedules.set(`${s.groupName}/${name}`, s);
          arm(place, s, clock.now());
          return { ScheduleArn: s.arn };
        }
        case 'PUT': {
          const existing = schedule(place, (body.GroupName as string | undefined) ?? DEFAULT_GROUP, name);
          const s = scheduleFromBody(place, name, body, existing);
          place.schedules.set(`${s.groupName}/${name}`, s);
          arm(place, s, clock.now());
          return { ScheduleArn: s.arn };
        }
        case 'GET':
          return renderSchedule(schedule(place, groupName!, name));
        case 'DELETE': {
          const s = schedule(place, groupName!, name);
          const key = `${s.groupName}/${s.name}`;
          const timer = place.timers.get(key);
          if (timer !== undefined) clock.cancel(timer);
          place.timers.delete(key);
          place.schedules.delete(key);
          return {};
        }
      }
    }
    if (collection === 'schedules' && name === undefined && req.method === 'GET') {
      const prefix = q.get('NamePrefix') ?? '';
      const groupName = q.get('ScheduleGroup');
      const state = q.get('State');
      if (state !== null && state !== 'ENABLED' && state !== 'DISABLED')
        throw validation('State must be ENABLED or DISABLED.');
      if (groupName !== null) group(place, groupName);
      const list = [...place.schedules.values()]
        .filter((s) => s.name.startsWith(prefix) && (groupName === null || s.groupName === groupName))
        .filter((s) => state === null || s.state === state)
        .sort((a, b) => a.groupName.localeCompare(b.groupName) || a.name.localeCompare(b.name));
      const p = page(list, q);
      return {
        Schedules: p.items.map((s) => ({
          Arn: s.arn,
          Name: s.name,
          GroupName: s.groupName,
          State: s.state,
          CreationDate: seconds(s.creationDate),
          LastModificationDate: seconds(s.lastModificationDate),
          Target: { Arn: s.target.Arn },
        })),
        NextToken: p.next,
      };
    }
    if (collection === 'schedule-groups' && name !== undefined) {
      checkName(name, 'name');
      switch (req.method) {
        case 'POST': {
          if (place.groups.has(name)) throw conflict(`Schedule group ${name} already exists.`);
          const now = clock.now();
          const g: ScheduleGroup = {
            name,
            arn: groupArn(place.where, name),
            state: 'ACTIVE',
            creationDate: now,
            lastModificationDate: now,
            tags: Array.isArray(body.Tags) ? (body.Tags as ScheduleGroup['tags']) : [],
          };
          place.groups.set(name, g);
          return { ScheduleGroupArn: g.arn };
        }
        case 'GET':
          return renderGroup(group(place, name));
        case 'DELETE': {
          if (name === DEFAULT_GROUP) throw validation('The default schedule group cannot be deleted.');
          group(place, name);
          for (const [key, s] of place.schedules) {
            if (s.groupName !== name) continue;
            const timer = place.timers.get(key);
            if (timer !== undefined) clock.cancel(timer);
            place.timers.delete(key);
            place.schedules.delete(key);
          }
          place.groups.delete(name);
          return {};
        }
      }
    }
    if (collection === 'schedule-groups' && name === undefined && req.method === 'GET') {
      const prefix = q.get('NamePrefix') ?? '';
      const list = [...place.groups.values()]
        .filter((g) => g.name.startsWith(prefix))
        .sort((a, b) => a.name.localeCompare(b.name));
      const p = page(list, q);
      return { ScheduleGroups: p.items.map(renderGroup), NextToken: p.next };
    }
    throw new SchedulerError(
      'UnknownOperationException',
      404,
      `The local Scheduler has no operation for ${req.method} ${req.path}.`,
    );
  }

  return {
    signingNames: ['scheduler'],
    adminPrefix: 'scheduler',

    async handle(req): Promise<LocalResponse> {
      const place = places.get(resolveCaller(req, opts));
      try {
        let body: Body = {};
        if (req.body.length > 0) {
          try {
            body = JSON.parse(req.body.toString('utf8')) as Body;
          } catch {
            throw validation('The request body is not valid JSON.');
          }
        }
        return jsonResponse(200, route(place, req, body), { 'x-amzn-requestid': randomUUID() });
      } catch (e) {
        if (e instanceof SchedulerError) return awsErrorResponse(req, e.status, e.code, e.message);
        log(`scheduler: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        return awsErrorResponse(
          req,
          500,
          'InternalServerException',
          'Internal error in the local Scheduler.',
        );
      }
    },

    async admin(req, subpath) {
      const where = {
        ...opts.identity,
        ...(req.query.get('account') ? { accountId: req.query.get('account') as string } : {}),
        ...(req.query.get('region') ? { region: req.query.get('region') as string } : {}),
      };
      if (subpath !== 'firings') return jsonResponse(404, { error: 'known: /_rewind/scheduler/firings' });
      const place = places.get(where);
      if (req.method === 'DELETE') place.firings.length = 0;
      return jsonResponse(200, { firings: place.firings });
    },

    firings: (where) => [...places.get({ ...opts.identity, ...where }).firings],

    persistence: partitionedState<Place, { groups: ScheduleGroup[]; schedules: Schedule[] }>(
      'scheduler',
      places,
      {
        dump: (place) => ({ groups: [...place.groups.values()], schedules: [...place.schedules.values()] }),
        load(place, state) {
          place.groups.clear();
          for (const g of state.groups) place.groups.set(g.name, g);
          place.schedules.clear();
          for (const s of state.schedules) {
            place.schedules.set(`${s.groupName}/${s.name}`, s);
            // Firings missed while the cloud was down all fire at once, in order; then the expression goes on.
            arm(place, s, s.nextAt === undefined ? clock.now() : Math.min(s.nextAt - 1, clock.now()));
          }
        },
      },
    ),

    async close() {
      for (const place of places.all()) for (const id of place.timers.values()) clock.cancel(id);
    },
  };
}
