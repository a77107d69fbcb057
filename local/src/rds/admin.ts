/**
 * Admin API under /_rewind/rds/:
 *   GET    faults            current faults
 *   POST   faults            replace faults: {events?, operations?, apiErrors?, throttle?}
 *   DELETE faults | POST faults/clear
 *   GET    config | POST config  {profile?, timeScale?, throttle?, quirks?, behaviour?}
 *   GET    history[?identifier=]
 *   GET    availability[?address=]
 *   GET    calls
 *   GET    events
 *   POST   outage            {region, reachable}: cut a region off (false) or bring it back (true)
 *   POST   replication-lag   {cluster | instance, lagMs}: a global secondary's or read replica's lag
 *   POST   reset
 * `history`, `availability`, `calls`, `events` and `replication-lag` take `?account=&region=` (default: the local cloud's).
 */
import { jsonResponse } from '../http';
import type { LocalRequest, LocalResponse } from '../types';
import type { RdsEmulator } from './emulator';

function body(req: LocalRequest): Record<string, unknown> {
  if (req.body.length === 0) return {};
  const v: unknown = JSON.parse(req.body.toString('utf8'));
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('body must be a JSON object');
  return v as Record<string, unknown>;
}

export function handleAdmin(rds: RdsEmulator, req: LocalRequest, subpath: string): LocalResponse {
  const path = subpath.replace(/^\/+|\/+$/g, '');
  const route = `${req.method} ${path}`;
  const where = {
    ...(req.query.get('account') ? { accountId: req.query.get('account') as string } : {}),
    ...(req.query.get('region') ? { region: req.query.get('region') as string } : {}),
  };
  try {
    switch (route) {
      case 'GET faults':
        return jsonResponse(200, rds.getFaults());
      case 'POST faults':
        rds.setFaults(body(req));
        return jsonResponse(200, rds.getFaults());
      case 'DELETE faults':
      case 'POST faults/clear':
        rds.clearFaults();
        return jsonResponse(200, rds.getFaults());
      case 'GET config':
        return jsonResponse(200, rds.getConfig());
      case 'POST config':
        rds.configure(body(req));
        return jsonResponse(200, rds.getConfig());
      case 'GET history':
        return jsonResponse(200, rds.at(where).history(req.query.get('identifier') ?? undefined));
      case 'GET availability':
        return jsonResponse(200, rds.at(where).availabilityTimeline(req.query.get('address') ?? undefined));
      case 'GET calls':
        return jsonResponse(200, rds.at(where).callCounts());
      case 'GET events':
        return jsonResponse(200, rds.at(where).events());
      case 'POST outage': {
        const b = body(req);
        if (typeof b['region'] !== 'string' || typeof b['reachable'] !== 'boolean') {
          throw new Error('outage needs {"region": "<region>", "reachable": true | false}');
        }
        rds.setRegionReachable(b['region'], b['reachable']);
        return jsonResponse(200, { region: b['region'], reachable: b['reachable'] });
      }
      case 'POST replication-lag': {
        const b = body(req);
        const str = (k: string) => (typeof b[k] === 'string' ? (b[k] as string) : undefined);
        if (typeof b['lagMs'] !== 'number')
          throw new Error('replication-lag needs lagMs (a number of milliseconds)');
        rds.setReplicationLag(where, { cluster: str('cluster'), instance: str('instance') }, b['lagMs']);
        return jsonResponse(200, { lagMs: b['lagMs'] });
      }
      case 'POST reset':
        rds.reset();
        return jsonResponse(200, { reset: true });
      default:
        return jsonResponse(404, { error: `no admin route ${route}` });
    }
  } catch (e) {
    return jsonResponse(400, { error: e instanceof Error ? e.message : String(e) });
  }
}
