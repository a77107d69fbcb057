import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import type { RDSClient } from '@aws-sdk/client-rds';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { ConfigError, rdsFor, type ServiceContext } from '@rewind/shared';

/**
 * Clients in the region (and account) of each DR resource. RDS: the shared `rdsFor`. ElastiCache: built
 * the same way, once per container and region.
 */
export interface Where {
  account: string;
  region: string;
}

const elastiCache = new WeakMap<ServiceContext, Map<string, ElastiCacheClient>>();

/** Tests replace the ElastiCache clients (aws-sdk-client-mock mocks the class, so any instance will do). */
export function elastiCacheFor(ctx: ServiceContext, where: Where): ElastiCacheClient {
  let clients = elastiCache.get(ctx);
  if (!clients) elastiCache.set(ctx, (clients = new Map()));
  const key = `${where.account}:${where.region}`;
  const cached = clients.get(key);
  if (cached) return cached;
  const home = ctx.config.home;
  const common = {
    region: where.region,
    endpoint: process.env.AWS_ENDPOINT_URL || undefined,
    maxAttempts: 8,
    retryMode: 'adaptive' as const,
  };
  let client: ElastiCacheClient;
  if (!home || where.account === home.account) {
    client = new ElastiCacheClient(common);
  } else {
    const role = ctx.config.accountRoles[where.account];
    if (!role) {
      throw new ConfigError(
        `an ElastiCache global datastore is in account ${where.account}, and no role is configured to reach it: set REWIND_ACCOUNT_ROLES=${where.account}=arn:aws:iam::${where.account}:role/<role Rewind may assume>`,
      );
    }
    client = new ElastiCacheClient({
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

export function rdsIn(ctx: ServiceContext, where: Where): RDSClient {
  return rdsFor(ctx, where);
}
