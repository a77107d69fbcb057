import {
  createLogger,
  loadConfig,
  type DrLayer,
  type DrPlansSection,
  type ServiceContext,
} from '@rewind/shared';
import { checkReadiness, type PlanReadiness } from '../../services/failover/src/readiness';
import type { DrDirection, DrMode } from '../../services/failover/src/resources';
import type { Clients } from './context';

/**
 * Where every resource of a DR plan stands and whether a move would start, read on the CLI's target with
 * the failover service's own check: what `rewind dr check` prints and the console's databases page shows.
 */

/** What the readiness check needs of a service context, on the CLI's target. */
function checkContext(clients: Clients): ServiceContext {
  // The failover service's per-region clients read the endpoint and credentials from the environment:
  // the same the CLI's own clients use.
  const { endpoint, local, profile } = clients.target;
  if (endpoint) process.env.AWS_ENDPOINT_URL = endpoint;
  if (profile) process.env.AWS_PROFILE = profile;
  if (endpoint && (local || (!profile && !process.env.AWS_ACCESS_KEY_ID))) {
    process.env.AWS_ACCESS_KEY_ID ??= 'test';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  }
  const config = loadConfig({
    REWIND_BUS_NAME: clients.target.names.busName,
    REWIND_TABLE_NAME: clients.target.names.tableName,
  });
  return {
    service: 'failover',
    config: { ...config, home: { account: '000000000000', region: clients.target.region } },
    store: clients.store,
    publisher: undefined as unknown as ServiceContext['publisher'],
    rds: clients.rds,
    sqs: clients.sqs,
    log: createLogger('failover', 'silent'),
    now: () => new Date(),
  };
}

export function planReadiness(
  clients: Clients,
  layers: DrLayer[],
  direction: DrDirection,
  mode: DrMode,
): Promise<PlanReadiness> {
  return checkReadiness(checkContext(clients), layers, direction, mode);
}

export interface PlanToCheck {
  name: string;
  layers: DrLayer[];
  direction: DrDirection;
  /** The CLI command that checks the same. */
  command: string;
}

/**
 * Every plan of the section, checked as `rewind dr check` would: the deployment's failback plan as a
 * failback, every other plan as a failover; planned (what a move would need to start).
 */
export function plansToCheck(section: DrPlansSection): PlanToCheck[] {
  return Object.entries(section.plans).map(([name, plan]) => {
    const direction: DrDirection =
      section.failback === name && section.failover !== name ? 'failback' : 'failover';
    return {
      name,
      layers: plan.layers,
      direction,
      command: `rewind dr check --plan ${name}${direction === 'failback' ? ' --failback' : ''}`,
    };
  });
}
