import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { RDSClient } from '@aws-sdk/client-rds';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { StateStore } from '../state/store';
import { startDynalite } from './dynalite';

/**
 * What a service's unit tests share (call once at the top of a test file): mocked RDS, EventBridge and
 * SQS clients (reset before each test; publishing and deadline checks succeed by default) and a real
 * state store on dynalite.
 */
export function useServiceTestBed() {
  const bed = {
    rds: mockClient(RDSClient),
    eb: mockClient(EventBridgeClient),
    sqs: mockClient(SQSClient),
    store: undefined as unknown as StateStore,
    /** Every event the code under test published (PutEvents entries), in order: type and parsed detail. */
    published: () =>
      bed.eb
        .commandCalls(PutEventsCommand)
        .flatMap((c) =>
          c.args[0].input.Entries!.map((e) => ({ type: e.DetailType!, detail: JSON.parse(e.Detail!) })),
        ),
  };
  let db: Awaited<ReturnType<typeof startDynalite>>;
  beforeAll(async () => {
    db = await startDynalite();
    bed.store = new StateStore(db.client, db.tableName);
  });
  afterAll(async () => db.stop());
  beforeEach(() => {
    bed.rds.reset();
    bed.eb.reset();
    bed.sqs.reset();
    bed.sqs.on(SendMessageCommand).resolves({});
    bed.eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
  });
  return bed;
}

let envelopes = 0;
/** A `RestoreRequested` envelope as EventBridge delivers it, with a fresh event id. */
export function requestEnvelope(prefix = 'evt') {
  return { id: `${prefix}-${++envelopes}`, 'detail-type': 'RestoreRequested', source: 'my.team', detail: {} };
}
