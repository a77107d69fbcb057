import { resourceNames } from '@rewind/shared/src/resourceNames';
import { AdminClient } from './admin/adminClient';
import { DEFAULT_IDENTITY, DEFAULT_PREFIX } from './options';
import { provision, type ProvisionedResources } from './provision/provision';
import { rewindEnvironment } from './rewindEnvironment';
import { topologyFunctions } from './runtime/functions';
import { startFunctionRuntime, type FunctionRuntime } from './runtime/functionRuntime';
import { InvocationLog } from './runtime/invocationLog';

export interface ExternalOptions {
  /** An AWS-compatible endpoint; undefined = the real account of the ambient credentials. */
  endpoint?: string;
  region?: string;
  accountId?: string;
  prefix?: string;
  env?: Record<string, string>;
  quiet?: boolean;
  /** Handlers log at info level (default warn). */
  verbose?: boolean;
  log?: (line: string) => void;
}

export interface ExternalRun {
  resources: ProvisionedResources;
  runtime: FunctionRuntime;
  stop(): Promise<void>;
}

/** Whether a Rewind local cloud answers at the endpoint (then its notification sinks are used). */
async function isLocalCloud(endpoint: string): Promise<boolean> {
  try {
    return (await new AdminClient(endpoint).health()).status === 'ok';
  } catch {
    return false;
  }
}

/** Provisioning and the function runtime against an endpoint that is not ours (or real AWS), no emulators. */
export async function runAgainst(opts: ExternalOptions): Promise<ExternalRun> {
  const region = opts.region ?? process.env.AWS_REGION ?? DEFAULT_IDENTITY.region;
  const names = resourceNames(opts.prefix ?? DEFAULT_PREFIX);
  const resources = await provision({ endpoint: opts.endpoint, region, prefix: names.prefix });
  const accountId = opts.accountId ?? process.env.AWS_ACCOUNT_ID ?? DEFAULT_IDENTITY.accountId;
  const runtime = startFunctionRuntime({
    functions: topologyFunctions(names),
    endpoint: opts.endpoint,
    region,
    accountId,
    env: {
      ...rewindEnvironment({
        names,
        resources,
        endpoint: opts.endpoint,
        localCloud: opts.endpoint !== undefined && (await isLocalCloud(opts.endpoint)),
        verbose: opts.verbose,
        accountId,
      }),
      ...opts.env,
    },
    invocationLog: new InvocationLog(),
    log: opts.log,
    logInvocations: !opts.quiet,
  });
  return { resources, runtime, stop: () => runtime.stop() };
}
