import type { ClusterConfig } from './clusterConfig';
import type { InstanceConfig } from './configCapture';
import { cloneMemberIdentifier } from './naming';

/**
 * A clone is restored with the source's whole configuration under new names: the captured configuration
 * with the source's identity (names, resource ids, endpoints) taken out, so nothing in the run can
 * mistake the source for what the run creates, and verification compares every setting but those.
 */

export function cloneInstanceConfig(source: InstanceConfig, target: string): InstanceConfig {
  return { ...source, identifier: target, dbiResourceId: undefined, endpointAddress: undefined };
}

export function cloneClusterConfig(source: ClusterConfig, target: string): ClusterConfig {
  return {
    ...source,
    identifier: target,
    dbClusterResourceId: undefined,
    endpointAddress: undefined,
    readerEndpointAddress: undefined,
    members: source.members.map((m) => ({
      ...m,
      identifier: cloneMemberIdentifier(m.identifier, source.identifier, target),
      dbiResourceId: undefined,
      endpointAddress: undefined,
    })),
  };
}
