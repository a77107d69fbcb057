/** Create / Describe of DB parameter groups, DB cluster parameter groups, option groups, DB subnet groups. */
import { RdsError } from './errors';
import type { ParameterGroup } from './groups';
import { paginate } from './paging';
import { type Params, type XmlObject, xmlList } from './protocol';
import type { RdsState } from './state';

function newParameterGroup(p: Params, nameParam: string): ParameterGroup {
  return {
    name: p.req(nameParam).toLowerCase(),
    family: p.req('DBParameterGroupFamily'),
    description: p.req('Description'),
    tags: p.tags() ?? [],
  };
}

export function createDBParameterGroup(s: RdsState, p: Params): XmlObject {
  const g = newParameterGroup(p, 'DBParameterGroupName');
  if (s.groups.parameterGroups.has(g.name)) {
    throw new RdsError('DBParameterGroupAlreadyExists', `Parameter group ${g.name} already exists`);
  }
  s.groups.parameterGroups.set(g.name, g);
  return { DBParameterGroup: s.groups.renderParameterGroup(g, false) };
}

export function describeDBParameterGroups(s: RdsState, p: Params): XmlObject {
  const name = p.str('DBParameterGroupName');
  let list = [...s.groups.parameterGroups.values()];
  if (name !== undefined) {
    s.groups.requireParameterGroup(name);
    list = list.filter((g) => g.name === name);
  }
  const page = paginate(p, list);
  return {
    Marker: page.marker,
    DBParameterGroups: xmlList(
      'DBParameterGroup',
      page.items.map((g) => s.groups.renderParameterGroup(g, false)),
    ),
  };
}

export function createDBClusterParameterGroup(s: RdsState, p: Params): XmlObject {
  const g = newParameterGroup(p, 'DBClusterParameterGroupName');
  if (s.groups.clusterParameterGroups.has(g.name)) {
    throw new RdsError('DBParameterGroupAlreadyExists', `Parameter group ${g.name} already exists`);
  }
  s.groups.clusterParameterGroups.set(g.name, g);
  return { DBClusterParameterGroup: s.groups.renderParameterGroup(g, true) };
}

export function describeDBClusterParameterGroups(s: RdsState, p: Params): XmlObject {
  const name = p.str('DBClusterParameterGroupName');
  let list = [...s.groups.clusterParameterGroups.values()];
  if (name !== undefined) {
    s.groups.requireClusterParameterGroup(name);
    list = list.filter((g) => g.name === name);
  }
  const page = paginate(p, list);
  return {
    Marker: page.marker,
    DBClusterParameterGroups: xmlList(
      'DBClusterParameterGroup',
      page.items.map((g) => s.groups.renderParameterGroup(g, true)),
    ),
  };
}

export function createOptionGroup(s: RdsState, p: Params): XmlObject {
  const name = p.req('OptionGroupName').toLowerCase();
  if (s.groups.optionGroups.has(name)) {
    throw new RdsError('OptionGroupAlreadyExistsFault', `Option group ${name} already exists.`);
  }
  const g = {
    name,
    engine: p.req('EngineName'),
    major: p.req('MajorEngineVersion'),
    description: p.req('OptionGroupDescription'),
    tags: p.tags() ?? [],
  };
  s.groups.optionGroups.set(name, g);
  return { OptionGroup: s.groups.renderOptionGroup(g) };
}

export function describeOptionGroups(s: RdsState, p: Params): XmlObject {
  const name = p.str('OptionGroupName');
  const engine = p.str('EngineName');
  const major = p.str('MajorEngineVersion');
  let list = [...s.groups.optionGroups.values()];
  if (name !== undefined) {
    s.groups.requireOptionGroup(name);
    list = list.filter((g) => g.name === name);
  }
  if (engine !== undefined) list = list.filter((g) => g.engine === engine);
  if (major !== undefined) list = list.filter((g) => g.major === major);
  const page = paginate(p, list);
  return {
    OptionGroupsList: xmlList(
      'OptionGroup',
      page.items.map((g) => s.groups.renderOptionGroup(g)),
    ),
    Marker: page.marker,
  };
}

export function createDBSubnetGroup(s: RdsState, p: Params): XmlObject {
  const name = p.req('DBSubnetGroupName').toLowerCase();
  if (s.groups.subnetGroups.has(name)) {
    throw new RdsError('DBSubnetGroupAlreadyExists', `DB subnet group ${name} already exists.`);
  }
  const subnets = p.list('SubnetIds') ?? [];
  if (subnets.length < 2) {
    throw new RdsError(
      'DBSubnetGroupDoesNotCoverEnoughAZs',
      'The DB subnet group must cover at least 2 AZs.',
    );
  }
  const zones = s.naming.availabilityZones();
  const g = {
    name,
    description: p.req('DBSubnetGroupDescription'),
    vpcId: `vpc-${createVpcSuffix(subnets[0] as string)}`,
    subnets: subnets.map((id, i) => ({ id, az: zones[i % zones.length] as string })),
    tags: p.tags() ?? [],
  };
  s.groups.subnetGroups.set(name, g);
  return { DBSubnetGroup: s.groups.renderSubnetGroup(g) };
}

function createVpcSuffix(subnetId: string): string {
  return subnetId
    .replace(/^subnet-/, '')
    .padEnd(17, '0')
    .slice(0, 17);
}

export function describeDBSubnetGroups(s: RdsState, p: Params): XmlObject {
  const name = p.str('DBSubnetGroupName');
  let list = [...s.groups.subnetGroups.values()];
  if (name !== undefined) list = [s.groups.requireSubnetGroup(name)];
  const page = paginate(p, list);
  return {
    Marker: page.marker,
    DBSubnetGroups: xmlList(
      'DBSubnetGroup',
      page.items.map((g) => s.groups.renderSubnetGroup(g)),
    ),
  };
}
