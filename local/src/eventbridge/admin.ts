/** Admin API under `/_rewind/events/...`: recent events per bus and counters. */
import { jsonResponse } from '../http';
import type { LocalRequest, LocalResponse } from '../types';
import type { Router } from './router';
import type { EventBridgeState } from './state';

export function handleAdmin(
  state: EventBridgeState,
  router: Router,
  req: LocalRequest,
  subpath: string,
): LocalResponse {
  const route = subpath.replace(/^\/+|\/+$/g, '');
  if (req.method !== 'GET') return jsonResponse(405, { message: 'Only GET is supported' });
  if (route === 'recent') {
    const name = req.query.get('bus') ?? 'default';
    const bus = state.buses.get(state.arns.busNameOf(name) ?? name);
    if (!bus) return jsonResponse(404, { message: `Event bus ${name} does not exist.` });
    const limit = Number.parseInt(req.query.get('limit') ?? '', 10);
    const events =
      Number.isInteger(limit) && limit >= 0
        ? bus.recent.slice(Math.max(0, bus.recent.length - limit))
        : bus.recent;
    return jsonResponse(200, { bus: bus.name, events });
  }
  if (route === 'stats') return jsonResponse(200, { ...state.stats, pendingDeliveries: router.pending });
  return jsonResponse(404, { message: `Unknown admin route ${route}; try recent?bus=NAME or stats` });
}
