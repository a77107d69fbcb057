import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import type { RDSClient } from '@aws-sdk/client-rds';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { ConfigError, rdsFor, type ServiceContext } from '@rewind/shared';

/**
 * Clients in the region (and account) of each DR resource. RDS: the shared `rdsFor`. ElastiCache and
 * CloudWatch: built the same way, once per container and region.
 */
export interface Where {
  account: string;
  region: string;
}

type Regional = { destroy(): void };
const regional = new WeakMap<ServiceContext, Map<string, Regional>>();

/**
 * A client of `kind` in `where`'s region, built once per container: the deployment's credentials in its
 * own account, an assumed role (REWIND_ACCOUNT_ROLES) in another.
 */
function clientIn<T extends Regional>(
  ctx: ServiceContext,
  where: Where,
  kind: string,
  make: (config: Record<string, unknown>) => T,
): T {
  let clients = regional.get(ctx);
  if (!clients) regional.set(ctx, (clients = new Map()));
  const key = `${kind}:${where.account}:${where.region}`;
  const cached = clients.get(key);
  if (cached) return cached as T;
  const home = ctx.config.home;
  const common = {
    region: where.region,
    endpoint: process.env.AWS_ENDPOINT_URL || undefined,
    maxAttempts: 8,
    retryMode: 'adaptive' as const,
  };
  let client: T;
  if (!home || where.account === home.account) {
    client = make(common);
  } else {
    const role = ctx.config.accountRoles[where.account];
    if (!role) {
      throw new ConfigError(
        `a DR resource is in account ${where.account}, and no role is configured to reach it: set REWIND_ACCOUNT_ROLES=${where.account}=arn:aws:iam::${where.account}:role/<role Rewind may assume>`,
      );
    }
    client = make({
      ...common,
      credentials: fromTemporaryCredentials({
        params: { RoleArn: role, RoleSessionName: `rewind-${ctx.service}` },
        clientConfig: { region: where.region },
      }),
    });
  }
  clients.set(key, client);
  return client;
}

/** Tests replace these clients with aws-sdk-client-mock (it mocks the class, so any instance will do). */
export const elastiCacheFor = (ctx: ServiceContext, where: Where) =>
  clientIn(ctx, where, 'elasticache', (config) => new ElastiCacheClient(config));

/** CloudWatch, for the replica lag RDS publishes (`ReplicaLag`). */
export const cloudWatchFor = (ctx: ServiceContext, where: Where) =>
  clientIn(ctx, where, 'cloudwatch', (config) => new CloudWatchClient(config));

export function rdsIn(ctx: ServiceContext, where: Where): RDSClient {
  return rdsFor(ctx, where);
}
