import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  decodePoliciesEnv,
  JobStore,
  POLICIES_ENV_NAME,
  type Job,
  type ReplicationPolicy,
  type ServiceContext,
} from '@rewind/shared';

/** Where the deployment puts the replication policies (the `replication` section: shared/src/replication/policiesEnv.ts). */
export const REPLICATION_POLICIES_ENV = POLICIES_ENV_NAME;

/** What the replication service needs beyond the service context. */
export interface ReplicationDeps {
  /** Jobs of both sides (source: `REPLSRC#...`, destination: `REPLDST#...`). */
  jobs: JobStore<Job & Record<string, unknown>>;
  /** This account (where this Rewind runs) and its home region. */
  accountId: string;
  homeRegion: string;
  /** The replication policies of the configuration file (both sides read the same list). */
  policies: ReplicationPolicy[];
  /** RDS in a region (the home region's client is the context's). */
  rdsIn(region: string): RDSClient;
  secretsIn(region: string): SecretsManagerClient;
  /** KMS in a region (the source side asks which key encrypts a database, and whether it can be shared). */
  kmsIn(region: string): KMSClient;
}

/** Reads the policies the deployment put in the environment (plain or gzipped JSON). */
export function policiesFromEnv(env: NodeJS.ProcessEnv): ReplicationPolicy[] {
  return decodePoliciesEnv(env[REPLICATION_POLICIES_ENV]);
}

let cached: ReplicationDeps | undefined;

/** One client per region, made on first use. */
function perRegion<C>(make: (region: string) => C, known: [string, C][] = []): (region: string) => C {
  const clients = new Map<string, C>(known);
  return (region) => {
    let client = clients.get(region);
    if (!client) {
      client = make(region);
      clients.set(region, client);
    }
    return client;
  };
}

export function replicationDeps(ctx: ServiceContext, env: NodeJS.ProcessEnv = process.env): ReplicationDeps {
  if (cached) return cached;
  const endpoint = env.AWS_ENDPOINT_URL || undefined;
  const homeRegion = env.AWS_REGION || 'us-east-1';
  const accountId = ctx.config.home?.account ?? env.REWIND_ACCOUNT_ID;
  if (!accountId)
    throw new Error('REWIND_ACCOUNT_ID is not set: the replication service must know its account');
  cached = {
    jobs: new JobStore(new DynamoDBClient({ endpoint, region: homeRegion }), ctx.config.tableName),
    accountId,
    homeRegion,
    policies: policiesFromEnv(env),
    rdsIn: perRegion(
      (region) => new RDSClient({ endpoint, region, maxAttempts: 8, retryMode: 'adaptive' }),
      [[homeRegion, ctx.rds]],
    ),
    secretsIn: perRegion((region) => new SecretsManagerClient({ endpoint, region })),
    kmsIn: perRegion((region) => new KMSClient({ endpoint, region })),
  };
  return cached;
}

/** For tests: forget the cached dependencies. */
export function resetReplicationDeps(): void {
  cached = undefined;
}
