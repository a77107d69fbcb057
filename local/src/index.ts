export { startLocalCloud, type LocalCloud, type StartOptions } from './cloud';
export { spawnLocalCloud, type SpawnOptions } from './spawn';
export type { LocalCloudOptions, RewindInstall } from './options';
export type { InstallView } from './installs';
export type { ProvisionedReplication } from './provision/replication';
export { DEFAULT_IDENTITY, DEFAULT_PORT, DEFAULT_PREFIX } from './options';
export { AdminClient } from './admin/adminClient';
export type { AdvanceRequest, AdvanceResult } from './clock';
export type { ClockView } from './clockService';
export type { Firing } from './scheduler';
export {
  provision,
  type ProvisionOptions,
  type ProvisionedResources,
  type ProvisionedService,
} from './provision/provision';
export {
  startFunctionRuntime,
  handlerEnvironment,
  LOCAL_CREDENTIALS,
  type FunctionRuntime,
} from './runtime/functionRuntime';
export { topologyFunctions, type RuntimeFunction } from './runtime/functions';
export {
  InvocationLog,
  type InvocationRecord,
  type FunctionCounts,
  type FunctionStatus,
} from './runtime/invocationLog';
export type { SentEmail } from './sinks/sesSink';
export type { WebhookDelivery } from './sinks/webhookSink';
export type { SqsSender, SnsPublisher } from './sqs/fauxqsService';
export * from './errors';
export type * from './types';
export { runAgainst, type ExternalOptions, type ExternalRun } from './external';
export {
  createSampleInstance,
  waitForInstance,
  SAMPLE_GROUPS,
  createSampleCluster,
  waitForCluster,
  describeCluster,
  sampleClusterMembers,
  SAMPLE_CLUSTER_GROUPS,
} from './samples';
