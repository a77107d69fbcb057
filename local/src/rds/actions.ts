/** Action name -> handler. A handler returns the `<ActionResult>` content, or undefined for none. */
// Daily automated backups arm themselves when a database becomes available.
import { describeAccountAttributes } from './quotas';
import { cancelExportTask, describeExportTasks, startExportTask } from './exports';
import './backups';
import {
  createDBCluster,
  deleteDBCluster,
  describeDBClusters,
  modifyDBCluster,
  restoreDBClusterFromSnapshot,
} from './clusters';
import {
  createDBClusterSnapshot,
  deleteDBClusterSnapshot,
  describeDBClusterSnapshots,
} from './clusterSnapshots';
import {
  createEventSubscription,
  deleteEventSubscription,
  describeEventSubscriptions,
  describeEvents,
} from './eventsApi';
import {
  createDBClusterParameterGroup,
  createDBParameterGroup,
  createDBSubnetGroup,
  createOptionGroup,
  describeDBClusterParameterGroups,
  describeDBParameterGroups,
  describeDBSubnetGroups,
  describeOptionGroups,
} from './groupsApi';
import {
  createDBInstance,
  deleteDBInstance,
  describeDBInstances,
  modifyDBInstance,
  rebootDBInstance,
} from './instances';
import type { Params, XmlObject } from './protocol';
import { restoreDBInstanceFromDBSnapshot, restoreDBInstanceToPointInTime } from './restore';
import { createDBSnapshot, deleteDBSnapshot, describeDBSnapshots } from './snapshots';
import { copyDBClusterSnapshot, copyDBSnapshot } from './copies';
import {
  describeDBClusterSnapshotAttributes,
  describeDBSnapshotAttributes,
  modifyDBClusterSnapshotAttribute,
  modifyDBSnapshotAttribute,
} from './sharing';
import { createDBInstanceReadReplica, promoteReadReplica } from './replicas';
import type { RdsState } from './state';
import { addTagsToResource, listTagsForResource, removeTagsFromResource } from './tagsApi';

export type Handler = (s: RdsState, p: Params) => XmlObject | undefined | Promise<XmlObject | undefined>;

export const ACTIONS: Record<string, Handler> = {
  CreateDBInstance: createDBInstance,
  DescribeDBInstances: describeDBInstances,
  ModifyDBInstance: modifyDBInstance,
  DeleteDBInstance: deleteDBInstance,
  RebootDBInstance: rebootDBInstance,
  CreateDBSnapshot: createDBSnapshot,
  DescribeDBSnapshots: describeDBSnapshots,
  DeleteDBSnapshot: deleteDBSnapshot,
  CopyDBSnapshot: copyDBSnapshot,
  RestoreDBInstanceFromDBSnapshot: restoreDBInstanceFromDBSnapshot,
  RestoreDBInstanceToPointInTime: restoreDBInstanceToPointInTime,
  CreateDBCluster: createDBCluster,
  DescribeDBClusters: describeDBClusters,
  ModifyDBCluster: modifyDBCluster,
  DeleteDBCluster: deleteDBCluster,
  RestoreDBClusterFromSnapshot: restoreDBClusterFromSnapshot,
  CreateDBClusterSnapshot: createDBClusterSnapshot,
  DescribeDBClusterSnapshots: describeDBClusterSnapshots,
  DeleteDBClusterSnapshot: deleteDBClusterSnapshot,
  CopyDBClusterSnapshot: copyDBClusterSnapshot,
  ModifyDBSnapshotAttribute: modifyDBSnapshotAttribute,
  DescribeDBSnapshotAttributes: describeDBSnapshotAttributes,
  ModifyDBClusterSnapshotAttribute: modifyDBClusterSnapshotAttribute,
  DescribeDBClusterSnapshotAttributes: describeDBClusterSnapshotAttributes,
  CreateDBInstanceReadReplica: createDBInstanceReadReplica,
  PromoteReadReplica: promoteReadReplica,
  AddTagsToResource: addTagsToResource,
  RemoveTagsFromResource: removeTagsFromResource,
  ListTagsForResource: listTagsForResource,
  DescribeEvents: describeEvents,
  CreateEventSubscription: createEventSubscription,
  DescribeEventSubscriptions: describeEventSubscriptions,
  DeleteEventSubscription: deleteEventSubscription,
  CreateDBParameterGroup: createDBParameterGroup,
  DescribeDBParameterGroups: describeDBParameterGroups,
  CreateDBClusterParameterGroup: createDBClusterParameterGroup,
  DescribeDBClusterParameterGroups: describeDBClusterParameterGroups,
  CreateOptionGroup: createOptionGroup,
  DescribeOptionGroups: describeOptionGroups,
  CreateDBSubnetGroup: createDBSubnetGroup,
  DescribeDBSubnetGroups: describeDBSubnetGroups,
  StartExportTask: startExportTask,
  DescribeExportTasks: describeExportTasks,
  CancelExportTask: cancelExportTask,
  DescribeAccountAttributes: describeAccountAttributes,
};

const IDENTIFIER_PARAMS = [
  'DBInstanceIdentifier',
  'TargetDBInstanceIdentifier',
  'DBClusterIdentifier',
  'DBSnapshotIdentifier',
  'TargetDBSnapshotIdentifier',
  'DBClusterSnapshotIdentifier',
  'TargetDBClusterSnapshotIdentifier',
  'ResourceName',
  'SubscriptionName',
  'ExportTaskIdentifier',
];

/** The identifier a call is about, for call counts and identifier-scoped API error faults. */
export function callIdentifier(p: Params): string | undefined {
  for (const name of IDENTIFIER_PARAMS) {
    const v = p.str(name);
    if (v !== undefined) return name === 'ResourceName' ? v : v.toLowerCase();
  }
  return undefined;
}
