import { z } from 'zod';

/**
 * A typed resource address: which account and region a resource lives in, what kind it is, and its
 * identifier there. A run names its source and its target with addresses (equal for an in-place restore);
 * locks, the resource index and RDS clients are keyed on them, so runs between regions and accounts
 * (copies, replication, failover) are new plans, not special cases.
 */
export const RESOURCE_KINDS = [
  'instance',
  'cluster',
  'snapshot',
  'cluster-snapshot',
  'replica',
  'global-cluster',
  'export-task',
  // An ElastiCache (Redis OSS) global datastore: a DR plan moves its primary between regions.
  'global-replication-group',
] as const;

export const resourceAddressSchema = z.object({
  account: z.string().regex(/^\d{12}$/, 'account must be a 12-digit AWS account id'),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'region must look like us-east-1'),
  kind: z.enum(RESOURCE_KINDS),
  id: z.string().min(1).max(255),
});

export type ResourceAddress = z.infer<typeof resourceAddressSchema>;
export type AddressKind = ResourceAddress['kind'];

/** Where Rewind itself runs: addresses there are "local", the others remote. */
export interface Home {
  account: string;
  region: string;
}

export function isHome(address: Pick<ResourceAddress, 'account' | 'region'>, home: Home): boolean {
  return address.account === home.account && address.region === home.region;
}

/** `instance orders-db` at home; `instance orders-db in 123456789012/eu-west-1` elsewhere. */
export function formatAddress(address: ResourceAddress, home?: Home): string {
  const base = `${address.kind} ${address.id}`;
  return home && isHome(address, home) ? base : `${base} in ${address.account}/${address.region}`;
}

/**
 * The key part that tells addresses apart: nothing at home (keys stay what they were, so runs in flight
 * across an upgrade keep their locks), else account and region. Without a known home everything is home.
 */
export function addressScope(address: Pick<ResourceAddress, 'account' | 'region'>, home?: Home): string {
  return !home || isHome(address, home) ? '' : `${address.account}:${address.region}#`;
}
