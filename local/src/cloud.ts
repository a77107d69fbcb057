import { resolve } from 'node:path';
import { resourceNames, type ResourceNames } from '@rewind/shared/src/resourceNames';
import { AdminClient } from './admin/adminClient';
import { CloudClock } from './clock';
import { clockService } from './clockService';
import { createDynaliteService } from './dynamodb/dynaliteService';
import { startEdge, type Edge } from './edge/edgeServer';
import { validateAccounts, type IdentityOptions } from './edge/identity';
import { createKms } from './kms';
import { startEventBridge, startRds } from './emulators';
import { LocalCloudError } from './errors';
import { jsonResponse } from './http';
import { StateDir } from './persistence/stateDir';
import { DEFAULT_IDENTITY, DEFAULT_PORT, DEFAULT_PREFIX, type LocalCloudOptions } from './options';
import { provision, type ProvisionedResources } from './provision/provision';
import { provisionSchedules } from './provision/schedules';
import { LOCAL_SENDER, rewindEnvironment } from './rewindEnvironment';
import { topologyFunctions } from './runtime/functions';
import { startFunctionRuntime, type FunctionRuntime } from './runtime/functionRuntime';
import { createRuntimeAdmin, InvocationLog } from './runtime/invocationLog';
import { inProcessQueueTransport } from './runtime/queueTransport';
import { internalQueueUrl } from './sqs/queueUrls';
import { createSesSink } from './sinks/sesSink';
import { createWebhookSink } from './sinks/webhookSink';
import { createFauxqsService } from './sqs/fauxqsService';
import { createLocalIam, type IamAuthorizer } from './iam';
import { EXPORT_PRINCIPAL, SCHEDULER_PRINCIPAL } from './iam/roles';
import { createScheduler } from './scheduler';
import type { EmulatedService, LocalIdentity } from './types';

/** A running local cloud (in this process, or spawned: same shape). */
export interface LocalCloud {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  identity: LocalIdentity;
  names: ResourceNames;
  /** What provisioning created (undefined when `provision: false`). */
  resources?: ProvisionedResources;
  admin: AdminClient;
  stop(): Promise<void>;
}

export interface StartOptions extends LocalCloudOptions {
  /** Where log lines go (default console.log). */
  log?: (line: string) => void;
}

async function listen(
  port: number,
  services: EmulatedService[],
  identity: IdentityOptions,
  opts: StartOptions,
  log: (l: string) => void,
  iam?: IamAuthorizer,
): Promise<Edge> {
  try {
    return await startEdge({
      port,
      services,
      identity,
      verbose: opts.verbose,
      log,
      authorize: iam && ((req, service) => iam.authorize(req, service)),
    });
  } catch (err) {
    if ((err as { code?: string }).code === 'EADDRINUSE') {
      throw new LocalCloudError(
        `Port ${port} on 127.0.0.1 is in use (another local cloud?); choose another port (0 = any free port)`,
      );
    }
    throw err;
  }
}

/**
 * Starts the local cloud in this process: edge endpoint, SQS/SNS (fauxqs), DynamoDB (dynalite),
 * EventBridge, RDS, SES and webhook sinks; provisions the topology; runs the function runtime.
 */
export async function startLocalCloud(opts: StartOptions = {}): Promise<LocalCloud> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const identity: LocalIdentity = { ...DEFAULT_IDENTITY, ...opts.identity };
  validateAccounts(opts.accounts);
  const callers: IdentityOptions = { identity, accounts: opts.accounts };
  const names = resourceNames(opts.prefix ?? DEFAULT_PREFIX);
  const closers: (() => Promise<void>)[] = [];
  const invocationLog = new InvocationLog();
  let runtime: FunctionRuntime | undefined;
  let resources: ProvisionedResources | undefined;
  const clock = new CloudClock();
  closers.push(async () => clock.close());
  try {
    const fauxqs = await createFauxqsService(callers);
    closers.push(() => fauxqs.close?.() ?? Promise.resolve());
    const dynamodb = await createDynaliteService(callers);
    closers.push(() => dynamodb.close?.() ?? Promise.resolve());
    const events = startEventBridge(callers, fauxqs.sqs, log, clock);
    closers.push(() => events.close());
    // IAM hook: function roles from the deployment's generators, evaluated on every request (opt out: iam: false).
    let rdsRef: ReturnType<typeof startRds> | undefined;
    const iam =
      opts.iam === false
        ? undefined
        : createLocalIam({ names, identity, values: { senderEmail: LOCAL_SENDER }, rds: () => rdsRef, log });
    const rdsSns = iam ? iam.guardRdsPublisher(fauxqs.sns, fauxqs) : fauxqs.sns;
    const kms = createKms(callers);
    const rds = (rdsRef = startRds(callers, events, rdsSns, kms.keys, opts.rds, log, clock, {
      s3: fauxqs.s3,
      // RDS exports assume the task's IamRoleArn (trusting export.rds.amazonaws.com) to write to S3.
      checkRole: iam && ((arn, requests) => iam.authorizer.checkAssumedRole(arn, EXPORT_PRINCIPAL, requests)),
    }));
    closers.push(() => rds.close());
    const scheduler = createScheduler({
      ...callers,
      clock,
      bus: events,
      sqs: fauxqs.sqs,
      checkRole:
        iam && ((arn, requests) => iam.authorizer.checkAssumedRole(arn, SCHEDULER_PRINCIPAL, requests)),
      log,
    });
    closers.push(() => scheduler.close());
    const resourcesAdmin: EmulatedService = {
      signingNames: [],
      adminPrefix: 'resources',
      handle: async () => jsonResponse(404, {}),
      admin: async () =>
        resources
          ? jsonResponse(200, resources)
          : jsonResponse(404, { error: 'Nothing was provisioned (provision: false)' }),
    };
    const services: EmulatedService[] = [
      // The clock first: saved due times are on the cloud clock.
      clockService(clock),
      fauxqs,
      dynamodb,
      events,
      // KMS before RDS: a saved RDS step may resume as soon as RDS is loaded, and may need a key.
      kms,
      rds,
      scheduler,
      createSesSink(),
      createWebhookSink(),
      createRuntimeAdmin(invocationLog, () => runtime?.status() ?? []),
      resourcesAdmin,
      ...(iam ? [iam.authorizer.adminService()] : []),
    ];
    const stateDir = opts.stateDir === undefined ? undefined : await loadState(opts.stateDir, services, log);
    const edge = await listen(opts.port ?? DEFAULT_PORT, services, callers, opts, log, iam?.authorizer);
    if (stateDir) closers.unshift(() => stateDir.stop());
    closers.unshift(() => edge.close());
    if (opts.provision !== false) {
      resources = await provision({ endpoint: edge.endpoint, region: identity.region, prefix: names.prefix });
      // The deployment's schedules (REWIND_SCHEDULES_FILE), fired by the local Scheduler on the cloud clock.
      const schedules = await provisionSchedules({
        endpoint: edge.endpoint,
        region: identity.region,
        accountId: identity.accountId,
        names,
      });
      if (schedules.length > 0) log(`Schedules: ${schedules.map((x) => `${x.group}/${x.name}`).join(', ')}`);
    }
    stateDir?.startAutosave(opts.saveIntervalMs ?? DEFAULT_SAVE_INTERVAL_MS);
    if (opts.functions !== false) {
      const functions = [
        ...(opts.topologyFunctions === false ? [] : topologyFunctions(names)),
        ...(opts.extraFunctions ?? []),
      ].map((fn) => iam?.withRole(fn) ?? fn);
      runtime = startFunctionRuntime({
        functions,
        endpoint: edge.endpoint,
        region: identity.region,
        accountId: identity.accountId,
        env: {
          ...rewindEnvironment({
            names,
            resources,
            endpoint: edge.endpoint,
            localCloud: true,
            verbose: opts.verbose,
            accountId: identity.accountId,
          }),
          ...opts.env,
        },
        visibilityTimeoutSeconds: opts.runtime?.visibilityTimeoutSeconds,
        pollWaitSeconds: opts.runtime?.pollWaitSeconds,
        invocationLog,
        log,
        logInvocations: !opts.quiet,
        queues:
          opts.runtime?.transport === 'http'
            ? undefined
            : inProcessQueueTransport(fauxqs.sqsCall, (name) =>
                internalQueueUrl(identity.region, identity.accountId, name),
              ),
      });
      const started = runtime;
      closers.unshift(() => started.stop());
    }
    let stopped: Promise<void> | undefined;
    return {
      endpoint: edge.endpoint,
      port: edge.port,
      identity,
      names,
      resources,
      admin: new AdminClient(edge.endpoint),
      stop: () => (stopped ??= closeAll(closers)),
    };
  } catch (err) {
    await closeAll(closers).catch(() => undefined);
    throw err;
  }
}

const DEFAULT_SAVE_INTERVAL_MS = 1000;

/** Loads what a previous run saved in `dir` into the emulators (before the endpoint serves anyone). */
async function loadState(
  dir: string,
  services: EmulatedService[],
  log: (l: string) => void,
): Promise<StateDir> {
  const path = resolve(dir);
  const parts = services.flatMap((s) => (s.persistence ? [s.persistence] : []));
  if (!parts.some((p) => p.key === 'sqs')) {
    throw new LocalCloudError(
      '--state-dir cannot keep SQS and SNS: the installed fauxqs is not laid out as 1.9.x, whose stores this reads; install fauxqs 1.9.2 or run without --state-dir',
    );
  }
  const stateDir = new StateDir(path, parts, log);
  const { loaded, savedAt } = await stateDir.load();
  log(
    loaded.length > 0
      ? `State: loaded ${loaded.join(', ')} from ${path} (saved ${savedAt})`
      : `State: ${path} holds no saved state; starting empty`,
  );
  return stateDir;
}

async function closeAll(closers: (() => Promise<void>)[]): Promise<void> {
  const errors: unknown[] = [];
  for (const close of closers) {
    try {
      await close();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0)
    throw new LocalCloudError(`Stopping the local cloud failed: ${errors.map(String).join('; ')}`);
}
