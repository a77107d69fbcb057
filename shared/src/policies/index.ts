export * from './file';
export * from './issues';
export * from './schedules';
export * from './snapshotPolicies';
export * from './policySchedules';
export * from './expressions';
export * from './retention';
export * from './replication';
