/**
 * The cloud clock as the edge serves it: `GET /_rewind/clock` (now, offset, next timers) and
 * `POST /_rewind/clock/advance` (`{"seconds": N}` or `{"to": ISO}`, optional `"stopAfter": "scheduler"`),
 * and its offset kept across restarts (`clock.json` in `--state-dir`).
 */
import { ClockError, type AdvanceRequest, type CloudClock } from './clock';
import { jsonResponse } from './http';
import type { EmulatedService, LocalResponse } from './types';

/** Timer labels a caller may stop after (`stopAfter`). */
export const SCHEDULER_TIMER = 'scheduler';

export interface ClockView {
  now: string;
  offsetSeconds: number;
  nextTimer?: string;
  nextFiring?: string;
}

function clockView(clock: CloudClock): ClockView {
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  return {
    now: clock.date().toISOString(),
    offsetSeconds: clock.offset / 1000,
    nextTimer: iso(clock.next()),
    nextFiring: iso(clock.next(SCHEDULER_TIMER)),
  };
}

export function clockService(clock: CloudClock): EmulatedService {
  return {
    signingNames: [],
    adminPrefix: 'clock',
    handle: async () => jsonResponse(404, {}),
    async admin(req, subpath): Promise<LocalResponse> {
      if (subpath === '' && req.method === 'GET') return jsonResponse(200, clockView(clock));
      if (subpath !== 'advance' || req.method !== 'POST') {
        return jsonResponse(404, {
          error: 'known: GET /_rewind/clock, POST /_rewind/clock/advance {"seconds": N} or {"to": ISO}',
        });
      }
      let body: AdvanceRequest;
      try {
        body = (req.body.length > 0 ? JSON.parse(req.body.toString('utf8')) : {}) as AdvanceRequest;
      } catch {
        return jsonResponse(400, { error: 'the body must be JSON: {"seconds": N} or {"to": "<ISO-8601>"}' });
      }
      try {
        const result = await clock.advance(body);
        return jsonResponse(200, { ...result, ...clockView(clock) });
      } catch (e) {
        if (e instanceof ClockError) return jsonResponse(400, { error: e.message });
        throw e;
      }
    },
    persistence: {
      key: 'clock',
      dump: () => ({ offsetMs: clock.offset }),
      load(state) {
        const offset = (state as { offsetMs?: unknown } | undefined)?.offsetMs;
        if (typeof offset !== 'number') throw new Error('it holds no clock offset ("offsetMs")');
        clock.restoreOffset(offset);
      },
    },
  };
}
