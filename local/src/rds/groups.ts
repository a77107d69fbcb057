/** DB parameter groups, DB cluster parameter groups, option groups and DB subnet groups. */
import { RdsError } from './errors';
import type { Tag } from './model';
import {
  DEFAULT_VPC_ID,
  defaultEngineVersion,
  defaultOptionGroup,
  majorVersion,
  parameterGroupFamily,
  type Naming,
} from './naming';
import { xmlList, type XmlObject } from './protocol';

export interface ParameterGroup {
  name: string;
  family: string;
  description: string;
  tags: Tag[];
}

export interface OptionGroup {
  name: string;
  engine: string;
  major: string;
  description: string;
  tags: Tag[];
}

export interface SubnetGroup {
  name: string;
  description: string;
  vpcId: string;
  subnets: { id: string; az: string }[];
  tags: Tag[];
}

const DEFAULT_ENGINES = ['mysql', 'postgres', 'mariadb', 'aurora-mysql', 'aurora-postgresql'];

export class Groups {
  readonly parameterGroups = new Map<string, ParameterGroup>();
  readonly clusterParameterGroups = new Map<string, ParameterGroup>();
  readonly optionGroups = new Map<string, OptionGroup>();
  readonly subnetGroups = new Map<string, SubnetGroup>();

  constructor(private readonly naming: Naming) {
    this.reset();
  }

  reset(): void {
    this.parameterGroups.clear();
    this.clusterParameterGroups.clear();
    this.optionGroups.clear();
    this.subnetGroups.clear();
    for (const engine of DEFAULT_ENGINES) this.ensureDefaults(engine, defaultEngineVersion(engine));
    const zones = this.naming.availabilityZones();
    this.subnetGroups.set('default', {
      name: 'default',
      description: 'default',
      vpcId: DEFAULT_VPC_ID,
      subnets: zones.map((az, i) => ({ id: `subnet-0defa0170000000${i}`, az })),
      tags: [],
    });
  }

  /** The default groups of an engine version exist in every account (RDS creates them on demand). */
  ensureDefaults(engine: string, version: string): void {
    const family = parameterGroupFamily(engine, version);
    const pg = `default.${family}`;
    if (!this.parameterGroups.has(pg)) {
      this.parameterGroups.set(pg, {
        name: pg,
        family,
        description: `Default parameter group for ${family}`,
        tags: [],
      });
    }
    if (engine.startsWith('aurora')) {
      if (!this.clusterParameterGroups.has(pg)) {
        this.clusterParameterGroups.set(pg, {
          name: pg,
          family,
          description: `Default cluster parameter group for ${family}`,
          tags: [],
        });
      }
    }
    const og = defaultOptionGroup(engine, version);
    if (!this.optionGroups.has(og)) {
      const major = majorVersion(engine, version);
      this.optionGroups.set(og, {
        name: og,
        engine,
        major,
        description: `Default option group for ${engine} ${major}`,
        tags: [],
      });
    }
  }

  requireParameterGroup(name: string): void {
    if (!this.parameterGroups.has(name)) {
      throw new RdsError('DBParameterGroupNotFound', `DBParameterGroup not found: ${name}`);
    }
  }

  requireClusterParameterGroup(name: string): void {
    if (!this.clusterParameterGroups.has(name)) {
      throw new RdsError('DBClusterParameterGroupNotFound', `DBClusterParameterGroup not found: ${name}`);
    }
  }

  requireOptionGroup(name: string): void {
    if (!this.optionGroups.has(name))
      throw new RdsError('OptionGroupNotFoundFault', `Specified OptionGroupName: ${name} not found.`);
  }

  requireSubnetGroup(name: string): SubnetGroup {
    const g = this.subnetGroups.get(name);
    if (!g) throw new RdsError('DBSubnetGroupNotFoundFault', `DBSubnetGroup ${name} not found.`);
    return g;
  }

  renderParameterGroup(g: ParameterGroup, cluster: boolean): XmlObject {
    return cluster
      ? {
          DBClusterParameterGroupName: g.name,
          DBParameterGroupFamily: g.family,
          Description: g.description,
          DBClusterParameterGroupArn: this.naming.arn('cluster-pg', g.name),
        }
      : {
          DBParameterGroupName: g.name,
          DBParameterGroupFamily: g.family,
          Description: g.description,
          DBParameterGroupArn: this.naming.arn('pg', g.name),
        };
  }

  renderOptionGroup(g: OptionGroup): XmlObject {
    return {
      OptionGroupName: g.name,
      OptionGroupDescription: g.description,
      EngineName: g.engine,
      MajorEngineVersion: g.major,
      Options: xmlList('Option', []),
      AllowsVpcAndNonVpcInstanceMemberships: true,
      OptionGroupArn: this.naming.arn('og', g.name),
    };
  }

  renderSubnetGroup(g: SubnetGroup): XmlObject {
    return {
      DBSubnetGroupName: g.name,
      DBSubnetGroupDescription: g.description,
      VpcId: g.vpcId,
      SubnetGroupStatus: 'Complete',
      Subnets: xmlList(
        'Subnet',
        g.subnets.map((s) => ({
          SubnetIdentifier: s.id,
          SubnetAvailabilityZone: { Name: s.az },
          SubnetOutpost: {},
          SubnetStatus: 'Active',
        })),
      ),
      DBSubnetGroupArn: this.naming.arn('subgrp', g.name),
      SupportedNetworkTypes: xmlList('member', ['IPV4']),
    };
  }
}
