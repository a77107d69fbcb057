import { RDSClient } from '@aws-sdk/client-rds';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { formatAddress, isHome, type ResourceAddress } from '../contracts/address';
import { ConfigError } from '../config';
import type { ServiceContext } from './context';

/**
 * One RDS client per (account, region) a run touches: the service's own client at home; in another
 * region of the same account a client for that region; in another account a client whose credentials come
 * from assuming the role configured for that account (REWIND_ACCOUNT_ROLES). Built once per container (keyed
 * by its configuration: a context derived for one look shares them).
 */
const cache = new WeakMap<ServiceContext['config'], Map<string, RDSClient>>();

export function rdsFor(
  ctx: ServiceContext,
  address: Pick<ResourceAddress, 'account' | 'region'> & Partial<ResourceAddress>,
): RDSClient {
  const home = ctx.config.home;
  if (!home || isHome(address, home)) return ctx.rds;
  const key = `${address.account}:${address.region}`;
  let clients = cache.get(ctx.config);
  if (!clients) cache.set(ctx.config, (clients = new Map()));
  const cached = clients.get(key);
  if (cached) return cached;
  const common = {
    region: address.region,
    endpoint: process.env.AWS_ENDPOINT_URL || undefined,
    maxAttempts: 8,
    retryMode: 'adaptive' as const,
  };
  let client: RDSClient;
  if (address.account === home.account) {
    client = new RDSClient(common);
  } else {
    const role = ctx.config.accountRoles[address.account];
    if (!role) {
      const what =
        address.kind && address.id ? formatAddress(address as ResourceAddress) : `account ${address.account}`;
      throw new ConfigError(
        `${what} is in account ${address.account}, and no role is configured to reach it: set REWIND_ACCOUNT_ROLES=${address.account}=arn:aws:iam::${address.account}:role/<role Rewind may assume>`,
      );
    }
    client = new RDSClient({
      ...common,
      credentials: fromTemporaryCredentials({
        params: { RoleArn: role, RoleSessionName: `rewind-${ctx.service}` },
        clientConfig: { region: address.region },
      }),
    });
  }
  clients.set(key, client);
  return client;
}
