import {
  resourceKey,
  type DrLayer,
  type DrOrigin,
  type DrResource,
  type ServiceContext,
} from '@rewind/shared';
import { adapterOf, type DrContext, type DrDirection, type DrMode, type Inspection } from './resources';

/**
 * Where every resource of a plan stands, and whether the plan can move: a planned move needs every
 * replica replicating and available, every Aurora target synchronised, available and not headless, every
 * ElastiCache target associated and available, nothing already moving; any move needs the resources to
 * exist, to be what the plan says (members of their global cluster or datastore) and to be opted in.
 * Used by intake (which refuses a plan that is not ready, with the reasons) and by `rewind dr check`.
 */

export interface ResourceReadiness {
  layer: number;
  resource: DrResource;
  type: DrResource['type'];
  id: string;
  region: string;
  inspection: Inspection;
}

export interface PlanReadiness {
  ready: boolean;
  resources: ResourceReadiness[];
  /** By `resourceKey`: where each resource's primary is now (the run records it). */
  origins: Record<string, DrOrigin>;
}

export async function checkReadiness(
  ctx: ServiceContext,
  layers: DrLayer[],
  direction: DrDirection,
  mode: DrMode,
): Promise<PlanReadiness> {
  const dr: DrContext = { ctx, direction, mode };
  const entries = layers.flatMap((layer, l) =>
    layer.resources.map((resource) => ({ layer: l + 1, resource })),
  );
  const resources = await Promise.all(
    entries.map(async ({ layer, resource }) => {
      const adapter = adapterOf(resource);
      const address = adapter.address(resource);
      return {
        layer,
        resource,
        type: resource.type,
        id: address.id,
        region: address.region,
        inspection: await adapter.inspect(dr, resource),
      };
    }),
  );
  const origins: Record<string, DrOrigin> = {};
  for (const r of resources) if (r.inspection.origin) origins[resourceKey(r.resource)] = r.inspection.origin;
  return { ready: resources.every((r) => r.inspection.problems.length === 0), resources, origins };
}

/** One line per resource that is not ready: `layer 1, rds-replica billing-west (us-west-2): reason; reason`. */
export function notReadyLines(readiness: PlanReadiness): string[] {
  return readiness.resources
    .filter((r) => r.inspection.problems.length)
    .map((r) => `layer ${r.layer}, ${r.type} ${r.id} (${r.region}): ${r.inspection.problems.join('; ')}`);
}
