import { DescribeExportTasksCommand, type RDSClient } from '@aws-sdk/client-rds';

const EXPORTING = new Set(['STARTING', 'IN_PROGRESS', 'CANCELING']);

/**
 * The export task still reading a snapshot to S3 (its identifier), if any: retention keeps such a
 * snapshot. A module of its own so that only the services that export carry the DescribeExportTasks call.
 */
export async function exportInProgress(rds: RDSClient, arn: string): Promise<string | undefined> {
  const out = await rds.send(new DescribeExportTasksCommand({ SourceArn: arn }));
  return out.ExportTasks?.find((t) => EXPORTING.has(t.Status ?? ''))?.ExportTaskIdentifier;
}
