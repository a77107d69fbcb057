/** ARNs, endpoint addresses, resource ids, and engine-derived default names. */
import { createHash } from 'node:crypto';
import type { LocalIdentity } from '../types';

export type ArnType =
  'db' | 'cluster' | 'snapshot' | 'cluster-snapshot' | 'es' | 'pg' | 'cluster-pg' | 'og' | 'subgrp';

export class Naming {
  /** 12 lowercase characters, fixed per account and region (like RDS's endpoint hash). */
  readonly hash: string;

  constructor(
    readonly identity: LocalIdentity,
    private readonly random: () => number,
  ) {
    const digest = createHash('sha256').update(`${identity.accountId}/${identity.region}`).digest();
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
    this.hash = Array.from(digest.subarray(0, 12), (b) => alphabet[b % alphabet.length]).join('');
  }

  /** Global clusters belong to the account: their ARN has no region. */
  globalArn(id: string): string {
    return `arn:aws:rds::${this.identity.accountId}:global-cluster:${id}`;
  }

  /** The global writer endpoint: `<id>.global-<hash of the account>.global.rds.amazonaws.com`. */
  globalAddress(id: string): string {
    const digest = createHash('sha256').update(`global/${this.identity.accountId}`).digest();
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
    const hash = Array.from(digest.subarray(0, 12), (b) => alphabet[b % alphabet.length]).join('');
    return `${id.toLowerCase()}.global-${hash}.global.rds.amazonaws.com`;
  }

  arn(type: ArnType, id: string): string {
    return `arn:aws:rds:${this.identity.region}:${this.identity.accountId}:${type}:${id}`;
  }

  private suffix(): string {
    return `${this.hash}.${this.identity.region}.rds.amazonaws.com`;
  }

  instanceAddress(id: string): string {
    return `${id.toLowerCase()}.${this.suffix()}`;
  }

  clusterAddress(id: string): string {
    return `${id.toLowerCase()}.cluster-${this.suffix()}`;
  }

  clusterReaderAddress(id: string): string {
    return `${id.toLowerCase()}.cluster-ro-${this.suffix()}`;
  }

  /** `db-` / `cluster-` followed by 26 upper-case characters, from the seeded generator. */
  resourceId(prefix: 'db' | 'cluster'): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    let s = '';
    for (let i = 0; i < 26; i++) s += alphabet[Math.floor(this.random() * alphabet.length)];
    return `${prefix}-${s}`;
  }

  availabilityZones(): string[] {
    return ['a', 'b', 'c'].map((l) => `${this.identity.region}${l}`);
  }

  pickZone(): string {
    const zones = this.availabilityZones();
    return zones[Math.floor(this.random() * zones.length)] as string;
  }

  /**
   * Resolves an identifier, or an ARN of this account and region, to the identifier. An ARN of another
   * account or region is returned unchanged (so it names nothing here).
   */
  idFromArnOrId(value: string): string {
    const m = /^arn:aws:rds:([^:]*):([^:]*):[a-z-]+:(.+)$/.exec(value);
    if (!m) return value;
    const [, region, account, id] = m as unknown as [string, string, string, string];
    return region === this.identity.region && account === this.identity.accountId ? id : value;
  }
}

export const HOSTED_ZONE_ID = 'Z2R2ITUGPM61AM';
export const DEFAULT_VPC_ID = 'vpc-0defa017000000000';
export const DEFAULT_SECURITY_GROUP = 'sg-0defa017000000000';
export const DEFAULT_CA = 'rds-ca-rsa2048-g1';

const DEFAULT_VERSIONS: Record<string, string> = {
  mysql: '8.0.39',
  postgres: '16.4',
  mariadb: '10.11.9',
  'aurora-mysql': '8.0.mysql_aurora.3.07.1',
  'aurora-postgresql': '16.4',
  'oracle-ee': '19.0.0.0.ru-2024-07.rur-2024-07.r1',
  'sqlserver-se': '15.00.4385.2.v1',
};

const DEFAULT_PORTS: Record<string, number> = {
  mysql: 3306,
  mariadb: 3306,
  'aurora-mysql': 3306,
  postgres: 5432,
  'aurora-postgresql': 5432,
  'oracle-ee': 1521,
  'sqlserver-se': 1433,
};

export function defaultEngineVersion(engine: string): string {
  return DEFAULT_VERSIONS[engine] ?? '1.0';
}

export function defaultPort(engine: string): number {
  return DEFAULT_PORTS[engine] ?? 3306;
}

/** Major version as RDS writes it in names: "8.0" for MySQL-likes, "16" for PostgreSQL, "19" for Oracle. */
export function majorVersion(engine: string, version: string): string {
  const parts = version.split('.');
  if (engine.includes('postgres') && Number(parts[0]) >= 10) return parts[0] as string;
  if (engine.startsWith('oracle')) return parts[0] as string;
  if (engine.startsWith('sqlserver')) return `${parts[0]}.${parts[1] ?? '00'}`;
  return `${parts[0]}.${parts[1] ?? '0'}`;
}

/** Parameter group family, e.g. mysql8.0, postgres16, aurora-mysql8.0, oracle-ee-19. */
export function parameterGroupFamily(engine: string, version: string): string {
  const major = majorVersion(engine, version);
  if (engine.startsWith('oracle') || engine.startsWith('sqlserver')) return `${engine}-${major}`;
  return `${engine}${major}`;
}

export function defaultParameterGroup(engine: string, version: string): string {
  return `default.${parameterGroupFamily(engine, version)}`;
}

/** `default:<engine>-<major with dashes>`, e.g. default:mysql-8-0, default:postgres-16. */
export function defaultOptionGroup(engine: string, version: string): string {
  return `default:${engine}-${majorVersion(engine, version).replace(/\./g, '-')}`;
}

export function defaultLicenseModel(engine: string): string {
  if (engine.startsWith('postgres') || engine === 'aurora-postgresql') return 'postgresql-license';
  if (engine.startsWith('oracle') || engine.startsWith('sqlserver')) return 'license-included';
  return 'general-public-license';
}

/** The parts of an RDS ARN (`arn:aws:rds:<region>:<account>:<type>:<id>`), or undefined. */
export function parseRdsArn(
  value: string,
): { region: string; accountId: string; type: string; id: string } | undefined {
  const m = /^arn:aws[\w-]*:rds:([a-z0-9-]+):(\d{12}):([a-z-]+):(.+)$/.exec(value);
  if (!m) return undefined;
  const [, region, accountId, type, id] = m as unknown as [string, string, string, string, string];
  return { region, accountId, type, id };
}
