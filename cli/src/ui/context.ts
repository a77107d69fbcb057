import type { Clients } from '../context';

/** What every page and action of the console gets. */
export interface ConsoleContext {
  clients: Clients;
  /** The per-session token every POST must carry. */
  token: string;
  /** How often live pages refresh (ms). */
  liveMs: number;
  /** The policy file (snapshot policies, DR plans) the databases page reads, if one was given. */
  policyFile?: string;
}
