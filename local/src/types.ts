/**
 * Contracts between the parts of the local cloud: the edge endpoint hands each request to the
 * emulated service named in its SigV4 credential scope; emulators talk to each other in process.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** A fully read HTTP request as the edge received it. */
export interface LocalRequest {
  method: string;
  /** Path without the query string, e.g. "/" or "/_rewind/rds/faults". */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Account and region of the caller, set by the edge (`edge/identity.ts`). */
  caller?: CallerIdentity;
}

export interface LocalResponse {
  status: number;
  headers?: Record<string, string>;
  body: string | Buffer;
}

/** An emulated AWS service (EventBridge, RDS, SES, ...) served by the edge. */
export interface EmulatedService {
  /** SigV4 signing names this service answers to, e.g. ["events"], ["rds"], ["ses", "email"]. */
  readonly signingNames: readonly string[];
  handle(req: LocalRequest): Promise<LocalResponse>;
  /** Optional admin API under `/_rewind/<adminPrefix>/...` (faults, observation, sinks). */
  readonly adminPrefix?: string;
  admin?(req: LocalRequest, subpath: string): Promise<LocalResponse>;
  /** Stops timers and background work. */
  close?(): Promise<void>;
  /** Dumps and loads the service's whole state (`--state-dir`); absent = nothing to keep. */
  readonly persistence?: ServiceState;
}

/** A service's whole state as JSON-able data (Dates, Maps and Sets allowed: see persistence/codec.ts). */
export interface ServiceState {
  /** File name in the state directory, without `.json` (e.g. "sqs", "rds"). */
  readonly key: string;
  dump(): unknown;
  /** Replaces the service's state with a dump (called once, before the endpoint serves requests). */
  load(state: unknown): void | Promise<void>;
}

/** An event put on a bus from inside the local cloud (e.g. `aws.rds` events from the RDS emulator). */
export interface InternalBusEntry {
  source: string;
  detailType: string;
  /** Already an object; it becomes the envelope's `detail`. */
  detail: Record<string, unknown>;
  resources?: string[];
  /** Defaults to now. */
  time?: Date;
}

/** What the EventBridge emulator offers other emulators in process. */
export interface BusIngress {
  /**
   * Puts events on a bus ("default" for AWS service events) and routes them like PutEvents, in the
   * given account and region (default: the local cloud's).
   */
  putInternal(busName: string, entries: InternalBusEntry[], where?: LocalIdentity): Promise<void>;
}

/** Account and region the local cloud pretends to be. */
export interface LocalIdentity {
  accountId: string; // "000000000000"
  region: string; // "us-east-1"
}

/** The account and region a request acts in (from its access key and SigV4 scope). */
export interface CallerIdentity extends LocalIdentity {
  /** Absent for unsigned requests. */
  accessKeyId?: string;
}
