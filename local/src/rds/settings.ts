/** Reading instance settings from request parameters (shared by create, restore and modify). */
import { err } from './errors';
import type { DbInstance, DomainConfig, ProcessorFeature } from './model';
import type { Params } from './protocol';
import type { RdsState } from './state';

type StrField = {
  [K in keyof DbInstance]-?: DbInstance[K] extends string | undefined ? K : never;
}[keyof DbInstance];
type NumField = {
  [K in keyof DbInstance]-?: DbInstance[K] extends number | undefined ? K : never;
}[keyof DbInstance];
type BoolField = {
  [K in keyof DbInstance]-?: DbInstance[K] extends boolean | undefined ? K : never;
}[keyof DbInstance];

const STRINGS: [string, StrField][] = [
  ['DBInstanceClass', 'instanceClass'],
  ['AvailabilityZone', 'availabilityZone'],
  ['DBSubnetGroupName', 'subnetGroup'],
  ['LicenseModel', 'licenseModel'],
  ['DBName', 'dbName'],
  ['Engine', 'engine'],
  ['EngineVersion', 'engineVersion'],
  ['OptionGroupName', 'optionGroup'],
  ['StorageType', 'storageType'],
  ['DBParameterGroupName', 'parameterGroup'],
  ['PreferredBackupWindow', 'preferredBackupWindow'],
  ['PreferredMaintenanceWindow', 'preferredMaintenanceWindow'],
  ['CACertificateIdentifier', 'caCertificateIdentifier'],
  ['NetworkType', 'networkType'],
  ['MonitoringRoleArn', 'monitoringRoleArn'],
  ['PerformanceInsightsKMSKeyId', 'performanceInsightsKMSKeyId'],
  ['DatabaseInsightsMode', 'databaseInsightsMode'],
  ['EngineLifecycleSupport', 'engineLifecycleSupport'],
  ['KmsKeyId', 'kmsKeyId'],
  ['Timezone', 'timezone'],
  ['CharacterSetName', 'characterSetName'],
  ['MasterUsername', 'masterUsername'],
];

const NUMBERS: [string, NumField][] = [
  ['Port', 'port'],
  ['DBPortNumber', 'port'],
  ['Iops', 'iops'],
  ['StorageThroughput', 'storageThroughput'],
  ['AllocatedStorage', 'allocatedStorage'],
  ['MaxAllocatedStorage', 'maxAllocatedStorage'],
  ['BackupRetentionPeriod', 'backupRetentionPeriod'],
  ['MonitoringInterval', 'monitoringInterval'],
  ['PerformanceInsightsRetentionPeriod', 'performanceInsightsRetentionPeriod'],
  ['PromotionTier', 'promotionTier'],
];

const BOOLEANS: [string, BoolField][] = [
  ['MultiAZ', 'multiAZ'],
  ['PubliclyAccessible', 'publiclyAccessible'],
  ['AutoMinorVersionUpgrade', 'autoMinorVersionUpgrade'],
  ['EnableIAMDatabaseAuthentication', 'iamAuth'],
  ['DeletionProtection', 'deletionProtection'],
  ['CopyTagsToSnapshot', 'copyTagsToSnapshot'],
  ['EnablePerformanceInsights', 'performanceInsightsEnabled'],
  ['EnableCustomerOwnedIp', 'customerOwnedIp'],
  ['StorageEncrypted', 'storageEncrypted'],
  ['DedicatedLogVolume', 'dedicatedLogVolume'],
];

/** Settings present in the request, keyed by DbInstance field. */
export function readInstanceSettings(p: Params): Partial<DbInstance> {
  const out: Partial<Record<keyof DbInstance, unknown>> = {};
  for (const [param, field] of STRINGS) {
    const v = p.str(param);
    if (v !== undefined) out[field] = v;
  }
  for (const [param, field] of NUMBERS) {
    const v = p.int(param);
    if (v !== undefined) out[field] = v;
  }
  for (const [param, field] of BOOLEANS) {
    const v = p.bool(param);
    if (v !== undefined) out[field] = v;
  }
  const sgs = p.list('VpcSecurityGroupIds');
  if (sgs !== undefined) out.vpcSecurityGroupIds = sgs;
  const logs = p.list('EnableCloudwatchLogsExports');
  if (logs !== undefined) out.cloudwatchLogsExports = logs;
  const pf = p.structList('ProcessorFeatures');
  if (pf !== undefined) {
    out.processorFeatures = pf.map((f): ProcessorFeature => ({
      Name: f['Name'] ?? '',
      Value: f['Value'] ?? '',
    }));
  }
  const domain = p.str('Domain');
  if (domain !== undefined) {
    const d: DomainConfig = { Domain: domain };
    const role = p.str('DomainIAMRoleName');
    if (role !== undefined) d.IAMRoleName = role;
    const fqdn = p.str('DomainFqdn');
    if (fqdn !== undefined) d.FQDN = fqdn;
    const ou = p.str('DomainOu');
    if (ou !== undefined) d.OU = ou;
    const secret = p.str('DomainAuthSecretArn');
    if (secret !== undefined) d.AuthSecretArn = secret;
    const ips = p.list('DomainDnsIps');
    if (ips !== undefined) d.DnsIps = ips;
    out.domain = d;
  }
  return out as Partial<DbInstance>;
}

/** Checks the named groups and values exist / are valid, as RDS does before accepting a request. */
export function validateInstanceSettings(s: RdsState, v: Partial<DbInstance>): void {
  if (v.parameterGroup !== undefined) s.groups.requireParameterGroup(v.parameterGroup);
  if (v.optionGroup !== undefined) s.groups.requireOptionGroup(v.optionGroup);
  if (v.subnetGroup !== undefined) s.groups.requireSubnetGroup(v.subnetGroup);
  if (v.port !== undefined && (v.port < 1150 || v.port > 65535)) {
    throw err.value(`Invalid port ${v.port}: must be between 1150 and 65535.`);
  }
  if (
    v.backupRetentionPeriod !== undefined &&
    (v.backupRetentionPeriod < 0 || v.backupRetentionPeriod > 35)
  ) {
    throw err.value('Invalid backup retention period: must be between 0 and 35.');
  }
  if (v.monitoringInterval !== undefined && ![0, 1, 5, 10, 15, 30, 60].includes(v.monitoringInterval)) {
    throw err.value('Invalid MonitoringInterval: must be one of 0, 1, 5, 10, 15, 30, 60.');
  }
  if (v.monitoringInterval !== undefined && v.monitoringInterval > 0 && v.monitoringRoleArn === undefined) {
    throw err.combination(
      'A MonitoringRoleARN value is required if you specify a MonitoringInterval value other than 0.',
    );
  }
  if (v.multiAZ === true && v.availabilityZone !== undefined) {
    throw err.combination('Requesting a specific availability zone is not valid for Multi-AZ instances.');
  }
  for (const sg of v.vpcSecurityGroupIds ?? []) {
    if (!/^sg-[0-9a-f]+$/.test(sg)) throw err.value(`Invalid security group id: ${sg}`);
  }
}

/** DB snapshot identifiers (create, copy, final snapshot) may be 255 characters; everything else 63. */
export const SNAPSHOT_ID_MAX = 255;

/**
 * RDS identifier rules: 1-`max` letters, digits or hyphens (63 for instances, clusters and cluster
 * snapshots; `SNAPSHOT_ID_MAX` for DB snapshots), starting with a letter, no `--`, no trailing `-`.
 */
export function validateIdentifier(id: string, what = 'DBInstanceIdentifier', max = 63): void {
  const valid = new RegExp(`^[A-Za-z][A-Za-z0-9-]{0,${max - 1}}$`);
  if (!valid.test(id) || id.includes('--') || id.endsWith('-')) {
    throw err.value(
      `The parameter ${what} is not a valid identifier. Identifiers must be 1 to ${max} characters, begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.`,
    );
  }
}

/** Stored identifiers are lower case, as RDS stores them. */
export function normaliseId(id: string): string {
  return id.toLowerCase();
}
