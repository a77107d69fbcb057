import type { ServiceName } from './topology';

/**
 * Names of the deployed resources, built in one place from a prefix (`rewind-<stage>`).
 * Used by the deployment and by the local cloud's provisioning.
 */
export function resourceNames(prefix = 'rewind-local') {
  return {
    prefix,
    busName: prefix,
    archiveName: `${prefix}-archive`,
    tableName: `${prefix}-state`,
    statusIndexName: 'by-status',
    alarmTopicName: `${prefix}-alarms`,
    inboxQueue: (service: ServiceName) => `${prefix}-${service}-inbox`,
    inboxDlq: (service: ServiceName) => `${prefix}-${service}-inbox-dlq`,
    targetDlq: (service: ServiceName) => `${prefix}-${service}-target-dlq`,
    rule: (service: ServiceName, rule: string) => `${prefix}-${service}-${rule}`,
    forwardingRule: `${prefix}-rds-forward`,
    functionName: (service: ServiceName, fn: string) => `${prefix}-${service}-${fn}`,
  };
}
export type ResourceNames = ReturnType<typeof resourceNames>;
