import { inProcessQueueTransport, type SqsCall } from '../../src/runtime/queueTransport';

/** An in-process SQS whose ReceiveMessage answers only when the test says so (a long poll). */
function slowSqs() {
  const calls: { action: string; input: Record<string, unknown> }[] = [];
  let answer: (out: Record<string, unknown>) => void = () => undefined;
  const call: SqsCall = (action, input) => {
    calls.push({ action, input });
    if (action === 'ReceiveMessage') return new Promise((resolve) => (answer = resolve));
    return Promise.resolve({});
  };
  return { calls, call, answer: (out: Record<string, unknown>) => answer(out) };
}

test('a poll stopped while waiting returns nothing, and what it receives afterwards goes back to the queue at once', async () => {
  // prepare
  const sqs = slowSqs();
  const transport = inProcessQueueTransport(sqs.call, (name) => `http://internal/000000000000/${name}`);
  const stop = new AbortController();
  const url = 'http://internal/000000000000/inbox';
  // act: stop during the long poll, then the poll ends with two messages
  const pending = transport.receive({ url, max: 10, waitSeconds: 20 }, stop.signal);
  stop.abort();
  expect(await pending).toEqual([]);
  sqs.answer({ Messages: [{ ReceiptHandle: 'r1' }, { ReceiptHandle: 'r2' }] });
  await new Promise((r) => setImmediate(r));
  // assess: no handler will see them; they are visible again instead of hidden for the visibility timeout
  expect(sqs.calls.map((c) => c.action)).toEqual(['ReceiveMessage', 'ChangeMessageVisibilityBatch']);
  expect(sqs.calls[1]?.input).toEqual({
    QueueUrl: url,
    Entries: [
      { Id: '0', ReceiptHandle: 'r1', VisibilityTimeout: 0 },
      { Id: '1', ReceiptHandle: 'r2', VisibilityTimeout: 0 },
    ],
  });
});

test('a poll that ends before any stop returns its messages and releases nothing', async () => {
  const sqs = slowSqs();
  const transport = inProcessQueueTransport(sqs.call, (name) => name);
  const pending = transport.receive({ url: 'q', max: 10, waitSeconds: 20 }, new AbortController().signal);
  sqs.answer({ Messages: [{ ReceiptHandle: 'r1', Body: 'b' }] });
  expect(await pending).toEqual([{ ReceiptHandle: 'r1', Body: 'b' }]);
  expect(sqs.calls.map((c) => c.action)).toEqual(['ReceiveMessage']);
});
