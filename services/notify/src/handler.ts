import { inboxHandler } from '@rewind/shared';
import { notifyRoutes } from './notify';

/** Notify service inbox: email and Slack alerts for rejections, failures and (optionally) completions. */
export const handler = inboxHandler('notify', { events: notifyRoutes() });
