/**
 * CloudWatch metrics, read side only, for what a DR readiness check reads: the replication lag RDS
 * publishes (AWS/RDS `ReplicaLag`, `AuroraGlobalDBReplicationLag`, `AuroraGlobalDBRPOLag`). AWS JSON 1.0
 * (`X-Amz-Target: GraniteServiceVersion20100801.<Operation>`, signing name `monitoring`), as the SDK speaks
 * it. Each metric with data answers one datapoint, its current value, at the start of the current period;
 * any other metric answers no datapoints, as CloudWatch does for a metric nothing publishes.
 */
import { resolveCaller, type IdentityOptions } from '../edge/identity';
import { jsonResponse } from '../http';
import type { EmulatedService, LocalIdentity, LocalRequest, LocalResponse } from '../types';

const PREFIX = 'GraniteServiceVersion20100801.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';

/** The current value of a metric in one account and region, or undefined when it has no data. */
export type MetricSource = (
  where: LocalIdentity,
  namespace: string,
  name: string,
  dimensions: Record<string, string>,
) => number | undefined;

class CloudWatchError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Input = Record<string, unknown>;
interface MetricInput {
  Namespace?: string;
  MetricName?: string;
  Dimensions?: { Name?: string; Value?: string }[];
}

function dimensionsOf(metric: MetricInput): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of metric.Dimensions ?? []) if (d.Name && d.Value !== undefined) out[d.Name] = d.Value;
  return out;
}

function requireMetric(
  metric: MetricInput | undefined,
  where: string,
): Required<Omit<MetricInput, 'Dimensions'>> {
  if (!metric?.Namespace || !metric.MetricName) {
    throw new CloudWatchError('InvalidParameterValue', `${where}: Namespace and MetricName are required.`);
  }
  return { Namespace: metric.Namespace, MetricName: metric.MetricName };
}

/** Epoch seconds of the start of the period containing now. */
function periodStart(periodSeconds: number): number {
  const now = Math.floor(Date.now() / 1000);
  return now - (now % periodSeconds);
}

function inWindow(input: Input, at: number): boolean {
  const start = Number(input['StartTime']);
  const end = Number(input['EndTime']);
  if (!Number.isFinite(start) || !Number.isFinite(end)) {
    throw new CloudWatchError('MissingParameter', 'StartTime and EndTime are required.');
  }
  if (end <= start)
    throw new CloudWatchError('InvalidParameterValue', 'The StartTime must be before the EndTime.');
  return at >= start - 60 && at <= end;
}

export function createCloudWatch(opts: IdentityOptions & { metrics: MetricSource }): EmulatedService {
  const handlers: Record<string, (input: Input, where: LocalIdentity) => Input> = {
    GetMetricData(input, where) {
      const queries = (input['MetricDataQueries'] as Input[] | undefined) ?? [];
      if (queries.length === 0)
        throw new CloudWatchError('MissingParameter', 'MetricDataQueries is required.');
      return {
        MetricDataResults: queries
          .filter((q) => q['ReturnData'] !== false)
          .map((q) => {
            const stat = q['MetricStat'] as { Metric?: MetricInput; Period?: number } | undefined;
            if (!stat) {
              throw new CloudWatchError(
                'InvalidParameterValue',
                `Query ${String(q['Id'])}: the local cloud answers MetricStat queries only, not metric math Expressions.`,
              );
            }
            const metric = requireMetric(stat.Metric, `Query ${String(q['Id'])}`);
            const at = periodStart(Math.max(60, stat.Period ?? 60));
            const value = opts.metrics(
              where,
              metric.Namespace,
              metric.MetricName,
              dimensionsOf(stat.Metric ?? {}),
            );
            const has = value !== undefined && inWindow(input, at);
            return {
              Id: q['Id'],
              Label: (q['Label'] as string | undefined) ?? metric.MetricName,
              Timestamps: has ? [at] : [],
              Values: has ? [value] : [],
              StatusCode: 'Complete',
            };
          }),
        Messages: [],
      };
    },
    GetMetricStatistics(input, where) {
      const metric = requireMetric(input as MetricInput, 'GetMetricStatistics');
      const stats = (input['Statistics'] as string[] | undefined) ?? [];
      if (stats.length === 0 && !input['ExtendedStatistics']) {
        throw new CloudWatchError('MissingParameter', 'Statistics or ExtendedStatistics is required.');
      }
      const at = periodStart(Math.max(60, Number(input['Period'] ?? 60)));
      const value = opts.metrics(
        where,
        metric.Namespace,
        metric.MetricName,
        dimensionsOf(input as MetricInput),
      );
      if (value === undefined || !inWindow(input, at)) return { Label: metric.MetricName, Datapoints: [] };
      const point: Input = { Timestamp: at };
      for (const s of stats) point[s] = s === 'SampleCount' ? 1 : value;
      return { Label: metric.MetricName, Datapoints: [point] };
    },
  };
  return {
    signingNames: ['monitoring'],
    async handle(req: LocalRequest): Promise<LocalResponse> {
      const target = String(req.headers['x-amz-target'] ?? '');
      const op = target.startsWith(PREFIX) ? target.slice(PREFIX.length) : '';
      try {
        const handler = Object.hasOwn(handlers, op) ? handlers[op] : undefined;
        if (!handler) {
          throw new CloudWatchError(
            'InvalidAction',
            `The local cloud's CloudWatch does not emulate ${op || 'this request'}; it serves ${Object.keys(handlers).join(', ')} (AWS/RDS replication lag).`,
          );
        }
        const text = req.body.toString('utf8').trim();
        const input = (text === '' ? {} : JSON.parse(text)) as Input;
        return jsonResponse(200, handler(input, resolveCaller(req, opts)), { 'content-type': CONTENT_TYPE });
      } catch (e) {
        const code = e instanceof CloudWatchError ? e.code : 'InvalidParameterValue';
        const message = e instanceof Error ? e.message : String(e);
        return jsonResponse(
          400,
          { __type: code, message },
          { 'content-type': CONTENT_TYPE, 'x-amzn-query-error': `${code};Sender` },
        );
      }
    },
  };
}
