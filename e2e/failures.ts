import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { findInstance, type InstanceConfig } from '@rewind/shared';
import type { E2E } from './harness';

/** What every failure case must leave behind: the original available under its name, nothing orphaned, lock free. */
export async function expectOriginalIntact(e2e: E2E, identifier: string, original: InstanceConfig) {
  const db = await findInstance(e2e.rds, identifier);
  expect({
    status: db?.DBInstanceStatus,
    resource: db?.DbiResourceId,
    address: db?.Endpoint?.Address,
  }).toEqual({
    status: 'available',
    resource: original.dbiResourceId,
    address: original.endpointAddress,
  });
  const all = await e2e.rds.send(new DescribeDBInstancesCommand({}));
  const related = (all.DBInstances ?? [])
    .map((d) => d.DBInstanceIdentifier)
    .filter((id) => id?.startsWith(identifier));
  expect(related).toEqual([identifier]);
  expect(await e2e.store.getLock('instance', identifier)).toBeUndefined();
}

/** The on-call people heard about it: an email and a Slack post naming the database and the run. */
export async function expectNotified(e2e: E2E, identifier: string, runId: string, subject: RegExp) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const emails = (await e2e.cloud.admin.sentEmails()).filter((m) => JSON.stringify(m).includes(runId));
    const posts = (await e2e.cloud.admin.webhookDeliveries('slack')).filter((p) =>
      JSON.stringify(p).includes(runId),
    );
    if (emails.length && posts.length) {
      expect(JSON.stringify(emails[0])).toMatch(subject);
      expect(JSON.stringify(emails[0])).toContain(identifier);
      expect(JSON.stringify(posts[0])).toMatch(subject);
      return;
    }
    if (Date.now() > deadline)
      throw new Error(`no notification for run ${runId} (emails ${emails.length}, posts ${posts.length})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
