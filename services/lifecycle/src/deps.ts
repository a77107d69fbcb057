import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RDSClient } from '@aws-sdk/client-rds';
import type { ServiceContext } from '@rewind/shared';
import { PolicyJobStore } from './jobs';

/** What the lifecycle service needs beyond the service context: its jobs, and RDS in every region. */
export interface LifecycleDeps {
  jobs: PolicyJobStore;
  homeRegion: string;
  /** RDS in a region (the home region's client is the context's). */
  rdsIn(region: string): RDSClient;
}

let cached: LifecycleDeps | undefined;

export function lifecycleDeps(ctx: ServiceContext, env: NodeJS.ProcessEnv = process.env): LifecycleDeps {
  if (cached) return cached;
  const endpoint = env.AWS_ENDPOINT_URL || undefined;
  const homeRegion = env.AWS_REGION || 'us-east-1';
  const clients = new Map<string, RDSClient>([[homeRegion, ctx.rds]]);
  cached = {
    jobs: new PolicyJobStore(new DynamoDBClient({ endpoint, region: homeRegion }), ctx.config.tableName),
    homeRegion,
    rdsIn: (region) => {
      let client = clients.get(region);
      if (!client) {
        client = new RDSClient({ endpoint, region, maxAttempts: 8, retryMode: 'adaptive' });
        clients.set(region, client);
      }
      return client;
    },
  };
  return cached;
}
