import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { isThrottlingError } from '@smithy/core/retry';
import { startHarness, sleep, type Harness } from './harness';

let h: Harness;
afterEach(async () => {
  await h.close();
});

test('a burst of 400 calls: 300 pass at once, the rest are throttled until tokens refill', async () => {
  h = await startHarness({ throttle: { enabled: true }, maxAttempts: 1 });
  const t0 = Date.now();
  const results = await Promise.allSettled(
    Array.from({ length: 400 }, () => h.client.send(new DescribeDBInstancesCommand({}))),
  );
  const elapsedS = (Date.now() - t0) / 1000;
  const passed = results.filter((r) => r.status === 'fulfilled').length;
  const throttled = results.filter((r) => r.status === 'rejected');
  // 300 from the bucket, plus at most what 12/s refilled while the burst was in flight.
  expect(passed).toBeGreaterThanOrEqual(300);
  expect(passed).toBeLessThanOrEqual(300 + Math.ceil(elapsedS * 12) + 1);
  expect(throttled.length).toBe(400 - passed);
  const e = (throttled[0] as PromiseRejectedResult).reason as {
    name: string;
    message: string;
    $metadata: { httpStatusCode: number };
  };
  expect(e.name).toBe('Throttling');
  expect(e.message).toBe('Rate exceeded');
  expect(e.$metadata.httpStatusCode).toBe(400);
  // The SDK's retry strategy classifies it as a throttle.
  expect(isThrottlingError(e as never)).toBe(true);
  expect(h.rds.callCounts().throttled['DescribeDBInstances']).toBe(throttled.length);
  expect(h.rds.callCounts().byAction['DescribeDBInstances']).toBe(passed);
  // Drain whatever refilled, then wait for one token. The refill is slowed to 1/s first, so a slow
  // machine cannot slip a refilled token in between the drain and the throttled call.
  h.rds.configure({ throttle: { refillPerSecond: 1 } });
  while (
    await h.client.send(new DescribeDBInstancesCommand({})).then(
      () => true,
      () => false,
    )
  );
  await expect(h.client.send(new DescribeDBInstancesCommand({}))).rejects.toMatchObject({
    name: 'Throttling',
  });
  await sleep(1100);
  await expect(h.client.send(new DescribeDBInstancesCommand({}))).resolves.toBeDefined();
});

test('the throttle is configurable: burst, rate, time-scaled refill', async () => {
  h = await startHarness({ throttle: { enabled: true, burst: 5, refillPerSecond: 1 }, maxAttempts: 1 });
  const first = await Promise.allSettled(
    Array.from({ length: 8 }, () => h.client.send(new DescribeDBInstancesCommand({}))),
  );
  expect(first.filter((r) => r.status === 'fulfilled').length).toBe(5);
  // Time-scaled refill with timeScale 0.0005: 1 token per simulated second = 2000 per real second.
  h.rds.configure({ throttle: { timeScaled: true } });
  await sleep(20);
  const second = await Promise.allSettled(
    Array.from({ length: 5 }, () => h.client.send(new DescribeDBInstancesCommand({}))),
  );
  expect(second.filter((r) => r.status === 'fulfilled').length).toBe(5);
});
