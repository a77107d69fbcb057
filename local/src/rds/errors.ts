/** RDS API errors with the wire codes and HTTP statuses of the service model. */

/** Wire code -> HTTP status, for the codes whose status is not 400 (from the RDS API model). */
const STATUS: Record<string, number> = {
  DBInstanceNotFound: 404,
  DBSnapshotNotFound: 404,
  DBClusterNotFoundFault: 404,
  DBClusterSnapshotNotFoundFault: 404,
  DBParameterGroupNotFound: 404,
  DBClusterParameterGroupNotFound: 404,
  OptionGroupNotFoundFault: 404,
  DBSubnetGroupNotFoundFault: 404,
  SubscriptionNotFound: 404,
  SubscriptionCategoryNotFound: 404,
  SNSTopicArnNotFound: 404,
  SourceNotFound: 404,
  GlobalClusterNotFoundFault: 404,
  DBClusterQuotaExceededFault: 403,
  InsufficientDBClusterCapacityFault: 403,
  InvalidClientTokenId: 403,
};

export class RdsError extends Error {
  readonly status: number;
  readonly type: 'Sender' | 'Receiver';

  constructor(
    readonly code: string,
    message: string,
    status?: number,
  ) {
    super(message);
    this.status = status ?? STATUS[code] ?? 400;
    this.type = this.status >= 500 ? 'Receiver' : 'Sender';
  }
}

export const err = {
  instanceNotFound: (id: string) => new RdsError('DBInstanceNotFound', `DBInstance ${id} not found.`),
  instanceExists: () => new RdsError('DBInstanceAlreadyExists', 'DB instance already exists'),
  instanceState: (msg: string) => new RdsError('InvalidDBInstanceState', msg),
  snapshotNotFound: (id: string) => new RdsError('DBSnapshotNotFound', `DBSnapshot ${id} not found.`),
  snapshotExists: (id: string) =>
    new RdsError(
      'DBSnapshotAlreadyExists',
      `Cannot create the snapshot because a snapshot with the identifier ${id} already exists.`,
    ),
  snapshotState: (msg: string) => new RdsError('InvalidDBSnapshotState', msg),
  clusterNotFound: (id: string) => new RdsError('DBClusterNotFoundFault', `DBCluster ${id} not found.`),
  clusterExists: () => new RdsError('DBClusterAlreadyExistsFault', 'DB Cluster already exists'),
  clusterState: (msg: string) => new RdsError('InvalidDBClusterStateFault', msg),
  clusterSnapshotNotFound: (id: string) =>
    new RdsError('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot ${id} not found.`),
  clusterSnapshotExists: (id: string) =>
    new RdsError(
      'DBClusterSnapshotAlreadyExistsFault',
      `Cannot create the cluster snapshot because one with the identifier ${id} already exists.`,
    ),
  clusterSnapshotState: (msg: string) => new RdsError('InvalidDBClusterSnapshotStateFault', msg),
  globalNotFound: (id: string) =>
    new RdsError('GlobalClusterNotFoundFault', `Global cluster ${id} not found.`),
  globalExists: (id: string) =>
    new RdsError('GlobalClusterAlreadyExistsFault', `Global cluster ${id} already exists.`),
  globalState: (msg: string) => new RdsError('InvalidGlobalClusterStateFault', msg),
  combination: (msg: string) => new RdsError('InvalidParameterCombination', msg),
  value: (msg: string) => new RdsError('InvalidParameterValue', msg),
  throttled: () => new RdsError('Throttling', 'Rate exceeded'),
};
