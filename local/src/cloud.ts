import { resolve } from 'node:path';
import { resourceNames, type ResourceNames } from '@rewind/shared/src/resourceNames';
import { AdminClient } from './admin/adminClient';
import { CloudClock } from './clock';
import { clockService } from './clockService';
import { createDynaliteService } from './dynamodb/dynaliteService';
import { startEdge, type Edge } from './edge/edgeServer';
import { validateAccounts, type IdentityOptions } from './edge/identity';
import { createKms } from './kms';
import { createSecretsManager } from './secretsmanager';
import { createElastiCache } from './elasticache';
import { createCloudWatch } from './cloudwatch';
import { startEventBridge, startRds } from './emulators';
import { LocalCloudError } from './errors';
import { jsonResponse } from './http';
import { StateDir } from './persistence/stateDir';
import { DEFAULT_IDENTITY, DEFAULT_PORT, DEFAULT_PREFIX, type LocalCloudOptions } from './options';
import { installsOf, viewOf, type Install, type InstallView } from './installs';
import { provision, type ProvisionedResources } from './provision/provision';
import { provisionReplication } from './provision/replication';
import { provisionSchedules } from './provision/schedules';
import { LOCAL_SENDER, rewindEnvironment } from './rewindEnvironment';
import { topologyFunctions } from './runtime/functions';
import { startFunctionRuntime, type FunctionRuntime } from './runtime/functionRuntime';
import { spawnInstallRuntime } from './runtime/installProcess';
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
  /** Rewind in each account (the default account's first): its names, resources and replication wiring. */
  installs: InstallView[];
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
  // Rewind in each account: the default account's install runs here, the others in their own processes.
  const installs = installsOf(opts, identity, resourceNames(opts.prefix ?? DEFAULT_PREFIX));
  const [home, ...others] = installs as [Install, ...Install[]];
  const names = home.names;
  const closers: (() => Promise<void>)[] = [];
  const invocationLog = new InvocationLog();
  const runtimes: FunctionRuntime[] = [];
  let resources: ProvisionedResources | undefined;
  const clock = new CloudClock();
  closers.push(async () => clock.close());
  try {
    // IAM hook: function roles from the deployment's generators, evaluated on every request (opt out: iam: false).
    let rdsRef: ReturnType<typeof startRds> | undefined;
    let kmsRef: ReturnType<typeof createKms> | undefined;
    let secretsRef: ReturnType<typeof createSecretsManager> | undefined;
    const iam =
      opts.iam === false
        ? undefined
        : createLocalIam({
            names,
            identity,
            values: { senderEmail: LOCAL_SENDER },
            rds: () => rdsRef,
            kmsKeys: () => kmsRef?.keys,
            secrets: () => secretsRef,
            log,
            otherInstalls: others,
          });
    // The roles of other accounts' installs sign with keys of their account.
    const callers: IdentityOptions = {
      identity,
      accounts: others.length > 0 ? { ...iam?.otherAccountKeys, ...opts.accounts } : opts.accounts,
    };
    const fauxqs = await createFauxqsService(callers);
    closers.push(() => fauxqs.close?.() ?? Promise.resolve());
    const dynamodb = await createDynaliteService(callers);
    closers.push(() => dynamodb.close?.() ?? Promise.resolve());
    const events = startEventBridge(callers, fauxqs.sqs, log, clock);
    closers.push(() => events.close());
    const rdsSns = iam ? iam.guardRdsPublisher(fauxqs.sns, fauxqs) : fauxqs.sns;
    const kms = (kmsRef = createKms(callers));
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
    // ElastiCache follows RDS's time scale unless given its own.
    const elasticache = createElastiCache({
      identity,
      accounts: callers.accounts,
      log,
      ...opts.elasticache,
      timeScale: opts.elasticache?.timeScale ?? opts.rds?.timeScale,
    });
    closers.push(() => elasticache.close());
    // CloudWatch metrics: the replication lag RDS publishes (readiness checks read it).
    const cloudwatch = createCloudWatch({
      ...callers,
      metrics: (where, namespace, name, dimensions) =>
        namespace === 'AWS/RDS' ? rds.lagMetric(where, name, dimensions) : undefined,
    });
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
      (secretsRef = createSecretsManager(callers)),
      scheduler,
      elasticache,
      cloudwatch,
      createSesSink(callers),
      createWebhookSink(),
      createRuntimeAdmin(invocationLog, () => runtimes.flatMap((r) => r.status())),
      resourcesAdmin,
      ...(iam ? [iam.authorizer.adminService()] : []),
    ];
    const stateDir = opts.stateDir === undefined ? undefined : await loadState(opts.stateDir, services, log);
    const edge = await listen(opts.port ?? DEFAULT_PORT, services, callers, opts, log, iam?.authorizer);
    if (stateDir) closers.unshift(() => stateDir.stop());
    closers.unshift(() => edge.close());
    if (opts.provision !== false) {
      for (const install of installs) {
        const where = { endpoint: edge.endpoint, region: identity.region, credentials: install.credentials };
        install.resources = await provision({ ...where, prefix: install.names.prefix });
        // The deployment's schedules (REWIND_SCHEDULES_FILE), fired by the local Scheduler on the cloud clock.
        const schedules = await provisionSchedules({
          ...where,
          accountId: install.accountId,
          names: install.names,
        });
        const inAccount = others.length > 0 ? ` in ${install.accountId}` : '';
        if (schedules.length > 0)
          log(`Schedules${inAccount}: ${schedules.map((x) => `${x.group}/${x.name}`).join(', ')}`);
        if (install.resources.bus)
          install.replication = await provisionReplication({
            ...where,
            accountId: install.accountId,
            names: install.names,
            resources: install.resources,
            policies: install.replicationPolicies,
          });
      }
      resources = home.resources;
    }
    stateDir?.startAutosave(opts.saveIntervalMs ?? DEFAULT_SAVE_INTERVAL_MS);
    if (opts.functions !== false) {
      const runtimeOptions = (install: Install) => ({
        endpoint: edge.endpoint,
        region: identity.region,
        accountId: install.accountId,
        env: {
          ...rewindEnvironment({
            names: install.names,
            resources: install.resources,
            endpoint: edge.endpoint,
            localCloud: true,
            verbose: opts.verbose,
            accountId: install.accountId,
            replicationPolicies: install.replicationPolicies,
          }),
          ...opts.env,
          ...install.env,
        },
        visibilityTimeoutSeconds: opts.runtime?.visibilityTimeoutSeconds,
        pollWaitSeconds: opts.runtime?.pollWaitSeconds,
        logInvocations: !opts.quiet,
      });
      // Other accounts first: their processes start from this one's environment, before the home
      // install's runtime sets its own into it.
      for (const install of others) {
        const functions =
          opts.topologyFunctions === false
            ? []
            : topologyFunctions(install.names).map((fn) => iam?.withRole(fn, install.accountId) ?? fn);
        const started = await spawnInstallRuntime(
          { ...runtimeOptions(install), functions, credentials: install.credentials },
          { invocationLog, log },
        );
        runtimes.push(started);
        closers.unshift(() => started.stop());
      }
      const functions = [
        ...(opts.topologyFunctions === false ? [] : topologyFunctions(names)),
        ...(opts.extraFunctions ?? []),
      ].map((fn) => iam?.withRole(fn) ?? fn);
      const started = startFunctionRuntime({
        ...runtimeOptions(home),
        functions,
        invocationLog,
        log,
        queues:
          opts.runtime?.transport === 'http'
            ? undefined
            : inProcessQueueTransport(fauxqs.sqsCall, (name) =>
                internalQueueUrl(identity.region, identity.accountId, name),
              ),
      });
      runtimes.unshift(started);
      closers.unshift(() => started.stop());
    }
    let stopped: Promise<void> | undefined;
    return {
      endpoint: edge.endpoint,
      port: edge.port,
      identity,
      names,
      resources,
      installs: installs.map(viewOf),
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
