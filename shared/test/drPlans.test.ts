import { choosePlan, drPlansOf, DrPlanError, parseDrLayers, parseDrPlans } from '../src/policies/drPlans';

const aurora = {
  type: 'aurora-global',
  globalClusterId: 'orders-global',
  targetClusterId: 'orders-west',
  targetRegion: 'us-west-2',
};
const replica = {
  type: 'rds-replica',
  replicaId: 'billing-west',
  replicaRegion: 'us-west-2',
  sourceRegion: 'us-east-1',
};
const cache = {
  type: 'elasticache-global',
  globalReplicationGroupId: 'ldgnf-sessions',
  targetRegion: 'us-west-2',
  targetReplicationGroupId: 'sessions-west',
};

function problems(section: unknown): string[] {
  try {
    parseDrPlans(section);
  } catch (err) {
    if (err instanceof DrPlanError) return err.problems;
    throw err;
  }
  return [];
}

describe('DR plans (the drPlans section of the configuration file)', () => {
  it('reads a valid section: layers in order, resources typed', () => {
    const section = drPlansOf({
      other: { ignored: true },
      drPlans: {
        failover: 'to-west',
        plans: {
          'to-west': {
            layers: [{ name: 'databases', resources: [aurora, replica] }, { resources: [cache] }],
          },
        },
      },
    });
    expect(section.failover).toBe('to-west');
    const plan = section.plans['to-west']!;
    expect(plan.layers.map((l) => l.resources.map((r) => r.type))).toEqual([
      ['aurora-global', 'rds-replica'],
      ['elasticache-global'],
    ]);
    expect(choosePlan(section, 'failover').name).toBe('to-west');
  });

  it('a file without drPlans has no plans', () => {
    expect(drPlansOf({})).toEqual({ plans: {} });
  });

  it('reports every mistake on its own line, naming plan, layer, resource, field and the fix', () => {
    const found = problems({
      failback: 'missing-plan',
      plans: {
        'to-west': {
          layers: [
            {
              name: 'databases',
              resources: [
                { ...aurora, targetRegion: 'west' },
                { ...replica, replicaId: '1billing' },
                { type: 'dynamodb-global', table: 'x' },
              ],
            },
            { resources: [{ ...cache, targetReplicationGroupId: undefined, colour: 'red' }] },
          ],
        },
        Bad_Name: { layers: [] },
      },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        'plan "to-west", layer 1 (databases), aurora-global orders-global: targetRegion: targetRegion must be a region name such as us-west-2; name the region the resource moves to',
        'plan "to-west", layer 1 (databases), rds-replica 1billing: replicaId: replicaId must start with a letter (starts with "1")',
        expect.stringMatching(
          /^plan "to-west", layer 1 \(databases\), resource 3: type: .*aurora-global, rds-replica, elasticache-global/,
        ),
        'plan "to-west", layer 2, elasticache-global ldgnf-sessions: targetReplicationGroupId: targetReplicationGroupId is required',
        'plan "to-west", layer 2, elasticache-global ldgnf-sessions: unknown field(s) "colour": remove them or check the spelling',
        'plan "Bad_Name": a plan name is 1-40 lowercase letters, digits and hyphens, starting with a letter',
        'drPlans: failback names plan "missing-plan", which is not defined: add it under plans or fix the name (defined: to-west, Bad_Name)',
      ]),
    );
    expect(found).toHaveLength(7);
  });

  it('refuses a resource twice in a plan and a replica in its own source region', () => {
    const found = problems({
      plans: {
        p: {
          layers: [
            { resources: [aurora] },
            { resources: [aurora, { ...replica, replicaRegion: 'us-east-1' }] },
          ],
        },
      },
    });
    expect(found).toEqual([
      'plan "p", layer 2, aurora-global orders-global: already in layer 1; a resource moves once per plan: remove one of them',
      'plan "p", layer 2, rds-replica billing-west: replicaRegion and sourceRegion are both us-east-1; a DR replica lives in another region than its source: fix one of them',
    ]);
  });

  it('refuses empty plans and layers, and a section of the wrong shape', () => {
    expect(problems({ plans: { p: { layers: [] } } })).toEqual([
      'plan "p": layers: a plan needs at least one layer',
    ]);
    expect(problems({ plans: { p: { layers: [{ resources: [] }] } } })).toEqual([
      'plan "p", layer 1: resources: a layer needs at least one resource',
    ]);
    expect(problems([])).toEqual([
      'drPlans must be an object: { "plans": { "<name>": { "layers": [...] } } }',
    ]);
    expect(problems({})).toEqual([
      'drPlans: plans is required: an object of named plans, { "<name>": { "layers": [...] } }',
    ]);
  });

  it('validates the layers of an ad-hoc plan in a request with the same messages', () => {
    expect(parseDrLayers([{ resources: [replica] }])).toHaveLength(1);
    expect(() => parseDrLayers([{ resources: [{ ...replica, sourceRegion: 'nowhere' }] }])).toThrow(
      'plan "ad-hoc", layer 1, rds-replica billing-west: sourceRegion: sourceRegion must be a region name such as us-west-2; name the region of the primary the replica follows',
    );
  });

  it('names the plans that exist when the chosen one does not', () => {
    const section = parseDrPlans({ plans: { a: { layers: [{ resources: [replica] }] } } });
    expect(() => choosePlan(section, 'failback')).toThrow(
      'no plan named and no default failback plan: pass --plan <name> (defined: a) or set drPlans.failback',
    );
    expect(() => choosePlan(section, 'failover', 'b')).toThrow('plan "b" is not defined (defined: a)');
    // A name JavaScript objects answer to is not a plan of the configuration.
    expect(() => choosePlan(section, 'failover', 'constructor')).toThrow(
      'plan "constructor" is not defined (defined: a)',
    );
  });
});
