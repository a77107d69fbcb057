import { z } from 'zod';
import { IDENTIFIER_RULES } from '../contracts/identifier';

/**
 * Disaster-recovery plans: the `drPlans` section of the configuration file. A plan is ordered layers of
 * resources: the layers run one after the other, the resources of a layer in parallel. Each resource has
 * a type and the parameters its action needs:
 *
 * - `aurora-global`: an Aurora global database; the action makes `targetClusterId` (in `targetRegion`)
 *   its primary cluster (a switchover when planned, a failover allowing data loss when unplanned).
 * - `rds-replica`: a cross-region read replica `replicaId` in `replicaRegion` of an instance in
 *   `sourceRegion`; the action promotes it. With `sourceId`, a replica that does not exist yet is first
 *   created from that instance (failback: a new replica of the new primary in the original region, then
 *   promoted once it has caught up).
 * - `elasticache-global`: an ElastiCache (Redis OSS) global datastore; the action makes the replication
 *   group `targetReplicationGroupId` in `targetRegion` its primary.
 *
 * ```json
 * { "drPlans": {
 *     "failover": "to-west", "failback": "to-east",
 *     "plans": { "to-west": { "layers": [ { "name": "databases", "resources": [
 *       { "type": "aurora-global", "globalClusterId": "orders", "targetClusterId": "orders-west",
 *         "targetRegion": "us-west-2" } ] } ] } } } }
 * ```
 */

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const ACCOUNT = /^\d{12}$/;

const region = (what: string) =>
  z
    .string({ error: `${what} is required: a region name such as us-west-2` })
    .regex(REGION, `${what} must be a region name such as us-west-2`);

/** An RDS identifier (instance or cluster), with the message of the first rule it breaks. */
const rdsIdentifier = (what: string) =>
  z.string({ error: `${what} is required` }).superRefine((value, ctx) => {
    const broken = IDENTIFIER_RULES.find((rule) => !rule.test(value));
    if (broken) ctx.addIssue({ code: 'custom', message: `${what} ${broken.message(value)}` });
  });

/** Global cluster and ElastiCache ids: 1-255 letters, digits and hyphens (ElastiCache global ids add a prefix). */
const globalId = (what: string) =>
  z
    .string({ error: `${what} is required` })
    .min(1, `${what} must not be empty`)
    .max(255, `${what} must be at most 255 characters`)
    .regex(/^[A-Za-z][A-Za-z0-9-]*$/, `${what} must start with a letter and hold only letters, digits, -`);

const account = z
  .string()
  .regex(ACCOUNT, 'account must be a 12-digit AWS account id (leave it out for the deployment account)')
  .optional();

export const auroraGlobalResource = z.strictObject({
  type: z.literal('aurora-global'),
  globalClusterId: globalId('globalClusterId'),
  targetClusterId: rdsIdentifier('targetClusterId'),
  targetRegion: region('targetRegion'),
  account,
});

export const rdsReplicaResource = z.strictObject({
  type: z.literal('rds-replica'),
  replicaId: rdsIdentifier('replicaId'),
  replicaRegion: region('replicaRegion'),
  sourceRegion: region('sourceRegion'),
  sourceId: rdsIdentifier('sourceId')
    .optional()
    .describe('The primary to replicate from when the replica must first be created (failback)'),
  kmsKeyId: z
    .string()
    .min(1)
    .max(2048, 'kmsKeyId must be at most 2048 characters: a KMS key ARN, alias or id')
    .optional()
    .describe('KMS key in replicaRegion, required to create an encrypted cross-region replica'),
  maxLagSeconds: z
    .number({ error: 'maxLagSeconds must be a number of seconds' })
    .int('maxLagSeconds must be a whole number of seconds')
    .nonnegative('maxLagSeconds must not be negative')
    .optional()
    .describe('Planned: the replica lag above which the replica is not ready (default 30)'),
  account,
});

export const elastiCacheGlobalResource = z.strictObject({
  type: z.literal('elasticache-global'),
  globalReplicationGroupId: globalId('globalReplicationGroupId'),
  targetRegion: region('targetRegion'),
  targetReplicationGroupId: globalId('targetReplicationGroupId'),
  account,
});

export const DR_RESOURCE_TYPES = ['aurora-global', 'rds-replica', 'elasticache-global'] as const;

export const drResourceSchema = z.discriminatedUnion(
  'type',
  [auroraGlobalResource, rdsReplicaResource, elastiCacheGlobalResource],
  { error: `type must be one of ${DR_RESOURCE_TYPES.join(', ')}` },
);

/**
 * A plan's size is bounded: its run keeps every resource (where it stood, its lock) in one DynamoDB item
 * (400 KB) and announces them in one EventBridge entry (256 KB). 10 layers of 25 stay well inside both.
 */
const MAX_PLAN_LAYERS = 10;
const MAX_LAYER_RESOURCES = 25;

export const drLayerSchema = z.strictObject({
  name: z.string().min(1).max(64).optional(),
  resources: z
    .array(drResourceSchema, { error: 'resources must be a list of resources' })
    .min(1, 'a layer needs at least one resource')
    .max(MAX_LAYER_RESOURCES, `a layer holds at most ${MAX_LAYER_RESOURCES} resources: split it into layers`),
});

export const drLayersSchema = z
  .array(drLayerSchema, { error: 'layers must be a list of layers' })
  .min(1, 'a plan needs at least one layer')
  .max(MAX_PLAN_LAYERS, `a plan holds at most ${MAX_PLAN_LAYERS} layers: split it into plans`);

export const drPlanSchema = z.strictObject({
  description: z.string().max(500).optional(),
  layers: drLayersSchema,
});

const PLAN_NAME = /^[a-z][a-z0-9-]{0,39}$/;

export const drPlansSectionSchema = z.strictObject({
  failover: z.string().optional().describe('The plan `rewind failover` runs when none is named'),
  failback: z.string().optional().describe('The plan `rewind failback` runs when none is named'),
  plans: z.record(z.string(), drPlanSchema, { error: 'plans must be an object of named plans' }),
});

export type DrResource = z.infer<typeof drResourceSchema>;
export type DrResourceType = DrResource['type'];
export type DrLayer = z.infer<typeof drLayerSchema>;
export type DrPlan = z.infer<typeof drPlanSchema>;
export type DrPlansSection = z.infer<typeof drPlansSectionSchema>;

export class DrPlanError extends Error {
  constructor(readonly problems: string[]) {
    super(`DR plans are not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'DrPlanError';
  }
}

const FIX: Record<string, string> = {
  type: `set "type" to one of ${DR_RESOURCE_TYPES.join(', ')}`,
  targetRegion: 'name the region the resource moves to',
  replicaRegion: 'name the region the replica lives in',
  sourceRegion: 'name the region of the primary the replica follows',
};

/** The resource a problem is about, for the message: `aurora-global orders` or `resource 2`. */
function resourceName(resource: unknown, index: number): string {
  const r = (resource ?? {}) as Record<string, unknown>;
  const id = r.globalClusterId ?? r.replicaId ?? r.globalReplicationGroupId;
  return typeof r.type === 'string' && typeof id === 'string' ? `${r.type} ${id}` : `resource ${index + 1}`;
}

/** One line per zod issue: plan, layer, resource, field, what is wrong and the fix. */
function describeIssue(issue: z.core.$ZodIssue, layers: unknown, prefix: string[]): string {
  const path = issue.path as (string | number)[];
  const where: string[] = [...prefix];
  let rest = path;
  if (path[0] === 'layers' && typeof path[1] === 'number') {
    const layer = (Array.isArray(layers) ? layers[path[1]] : undefined) as { name?: unknown } | undefined;
    where.push(`layer ${path[1] + 1}${typeof layer?.name === 'string' ? ` (${layer.name})` : ''}`);
    rest = path.slice(2);
    if (rest[0] === 'resources' && typeof rest[1] === 'number') {
      const resources = (layer as { resources?: unknown[] } | undefined)?.resources;
      where.push(resourceName(resources?.[rest[1]], rest[1]));
      rest = rest.slice(2);
    }
  }
  const field = rest.join('.');
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    message = `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}: remove them or check the spelling`;
  }
  const fix = FIX[field] && !message.includes(FIX[field]!) ? `; ${FIX[field]}` : '';
  return `${where.join(', ')}${field ? `: ${field}` : ''}: ${message}${fix}`;
}

/** Every problem of one plan (the same plan checked twice finds the same problems). */
function planProblems(name: string, plan: unknown): string[] {
  const where = [`plan "${name}"`];
  if (!PLAN_NAME.test(name)) {
    return [`${where[0]}: a plan name is 1-40 lowercase letters, digits and hyphens, starting with a letter`];
  }
  const parsed = drPlanSchema.safeParse(plan);
  const layers = (plan as { layers?: unknown } | null)?.layers;
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => describeIssue(i, layers, where));
  if (parsed.success) problems.push(...crossChecks(name, parsed.data));
  return problems;
}

/** What one resource moves: the same thing twice in a plan would race itself. */
export function resourceKey(resource: DrResource): string {
  switch (resource.type) {
    case 'aurora-global':
      return `aurora-global:${resource.globalClusterId}`;
    case 'rds-replica':
      return `rds-replica:${resource.replicaRegion}:${resource.replicaId}`;
    case 'elasticache-global':
      return `elasticache-global:${resource.globalReplicationGroupId}`;
  }
}

function crossChecks(name: string, plan: DrPlan): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  plan.layers.forEach((layer, l) => {
    layer.resources.forEach((resource, r) => {
      const where = `plan "${name}", layer ${l + 1}${layer.name ? ` (${layer.name})` : ''}, ${resourceName(resource, r)}`;
      const key = resourceKey(resource);
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        problems.push(
          `${where}: already in layer ${earlier + 1}; a resource moves once per plan: remove one of them`,
        );
      } else seen.set(key, l);
      if (resource.type === 'rds-replica' && resource.replicaRegion === resource.sourceRegion) {
        problems.push(
          `${where}: replicaRegion and sourceRegion are both ${resource.sourceRegion}; a DR replica lives in another region than its source: fix one of them`,
        );
      }
    });
  });
  return problems;
}

/**
 * Validates the `drPlans` section (the value of the file's `drPlans` key): every problem is reported,
 * one line each, naming the plan, the layer, the resource, the field, and the fix.
 */
export function parseDrPlans(section: unknown): DrPlansSection {
  if (section === undefined || section === null) return { plans: {} };
  if (typeof section !== 'object' || Array.isArray(section)) {
    throw new DrPlanError(['drPlans must be an object: { "plans": { "<name>": { "layers": [...] } } }']);
  }
  const raw = section as Record<string, unknown>;
  const problems: string[] = [];
  const shape = drPlansSectionSchema
    .omit({ plans: true })
    .extend({ plans: z.unknown().optional() })
    .safeParse(raw);
  if (!shape.success) {
    problems.push(...shape.error.issues.map((i) => describeIssue(i, undefined, ['drPlans'])));
  }
  const plans = raw.plans;
  if (plans === undefined || typeof plans !== 'object' || plans === null || Array.isArray(plans)) {
    problems.push('drPlans: plans is required: an object of named plans, { "<name>": { "layers": [...] } }');
    throw new DrPlanError(problems);
  }
  for (const [name, plan] of Object.entries(plans)) problems.push(...planProblems(name, plan));
  for (const role of ['failover', 'failback'] as const) {
    const named = raw[role];
    if (typeof named === 'string' && !(named in plans)) {
      problems.push(
        `drPlans: ${role} names plan "${named}", which is not defined: add it under plans or fix the name (defined: ${Object.keys(plans).join(', ') || 'none'})`,
      );
    }
  }
  if (problems.length) throw new DrPlanError(problems);
  return drPlansSectionSchema.parse(raw);
}

/** The `drPlans` section of the parsed configuration file (absent: no plans). */
export function drPlansOf(file: unknown): DrPlansSection {
  const section = file && typeof file === 'object' ? (file as Record<string, unknown>).drPlans : undefined;
  return parseDrPlans(section);
}

/** Validates an ad-hoc plan's layers (a request's), with the same messages as the file's plans. */
export function parseDrLayers(layers: unknown, name = 'ad-hoc'): DrLayer[] {
  const problems = planProblems(name, { layers });
  if (problems.length) throw new DrPlanError(problems);
  return drLayersSchema.parse(layers);
}

/** The plan a request names, or the deployment's default for the direction, with a clear error. */
export function choosePlan(
  section: DrPlansSection,
  direction: 'failover' | 'failback',
  name?: string,
): { name: string; plan: DrPlan } {
  const chosen = name ?? section[direction];
  const defined = Object.keys(section.plans);
  if (!chosen) {
    throw new DrPlanError([
      `no plan named and no default ${direction} plan: pass --plan <name> (defined: ${defined.join(', ') || 'none'}) or set drPlans.${direction}`,
    ]);
  }
  // Own plans only: a name like "constructor" is not a plan of the configuration.
  const plan = Object.hasOwn(section.plans, chosen) ? section.plans[chosen] : undefined;
  if (!plan) {
    throw new DrPlanError([
      `plan "${chosen}" is not defined (defined: ${defined.join(', ') || 'none'}): add it under drPlans.plans or fix the name`,
    ]);
  }
  return { name: chosen, plan };
}
