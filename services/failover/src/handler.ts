import { inboxHandler, stepRoutes, waitingRoutes } from '@rewind/shared';
import { failbackStep, failoverStep } from './drStep';
import { intake } from './intake';

/** Failover service inbox: intake of FailoverRequested, and the DR runs' one step (failover or failback). */
export const handler = inboxHandler('failover', {
  raw: { FailoverRequested: intake },
  events: stepRoutes({ failover: failoverStep.start, failback: failbackStep.start }),
  ...waitingRoutes([failoverStep.wait, failbackStep.wait]),
});
