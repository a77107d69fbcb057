/** PutTargets, RemoveTargets, ListTargetsByRule. */
import { EventsError, memberError, validation } from './errors';
import type { InputTransformer, RetryPolicy, Target } from './model';
import { BUS_NAME_OR_ARN, RESOURCE_NAME, type Handlers } from './operations';
import {
  checkName,
  isObject,
  optNumber,
  optString,
  optStringArray,
  paginate,
  reqString,
  type JsonObject,
} from './protocol';
import type { EventBridgeState } from './state';

const MAX_TARGETS_PER_RULE = 5;
const SQS_ARN = /^arn:aws[\w-]*:sqs:[\w-]+:\d{12}:[\w.-]+$/;
const BUS_ARN = /^arn:aws[\w-]*:events:[\w-]+:\d{12}:event-bus\/[/.\-_A-Za-z0-9]+$/;

function ruleOf(state: EventBridgeState, input: JsonObject) {
  const bus = optString(input, 'EventBusName');
  if (bus !== undefined) checkName('EventBusName', bus, 1600, BUS_NAME_OR_ARN);
  return state.rule(bus, checkName('Rule', reqString(input, 'Rule'), 64, RESOURCE_NAME));
}

function retryPolicy(raw: unknown): RetryPolicy | undefined {
  if (!isObject(raw)) return undefined;
  const attempts = optNumber(raw, 'MaximumRetryAttempts') ?? 185;
  const age = optNumber(raw, 'MaximumEventAgeInSeconds') ?? 86_400;
  if (!Number.isInteger(attempts) || attempts < 0 || attempts > 185) {
    throw memberError(
      'retryPolicy.maximumRetryAttempts',
      attempts,
      'Member must have value between 0 and 185',
    );
  }
  if (!Number.isInteger(age) || age < 60 || age > 86_400) {
    throw memberError(
      'retryPolicy.maximumEventAgeInSeconds',
      age,
      'Member must have value between 60 and 86400',
    );
  }
  return { maximumRetryAttempts: attempts, maximumEventAgeSeconds: age };
}

function inputTransformer(raw: unknown): InputTransformer | undefined {
  if (!isObject(raw)) return undefined;
  const paths = raw['InputPathsMap'] ?? {};
  if (!isObject(paths) || !Object.values(paths).every((p) => typeof p === 'string' && p.startsWith('$'))) {
    throw validation('InputTransformer.InputPathsMap must map names to JSON paths starting with $.');
  }
  return { inputPathsMap: paths as Record<string, string>, inputTemplate: reqString(raw, 'InputTemplate') };
}

function parseTarget(state: EventBridgeState, ruleBusArn: string, raw: unknown): Target {
  if (!isObject(raw)) throw validation('Each target must be an object.');
  const id = checkName('Id', reqString(raw, 'Id'), 64, RESOURCE_NAME);
  const arn = reqString(raw, 'Arn');
  if (!SQS_ARN.test(arn) && state.arns.busNameOf(arn) === undefined && !BUS_ARN.test(arn)) {
    throw validation(
      `Target ${id}: Arn ${arn} is not supported here (SQS queues, and event buses of any account and region).`,
    );
  }
  if (arn === ruleBusArn) throw validation(`Target ${id}: a rule cannot target the event bus it is on.`);
  const input = optString(raw, 'Input');
  const inputPath = optString(raw, 'InputPath');
  const transformer = inputTransformer(raw['InputTransformer']);
  if ([input, inputPath, transformer].filter((x) => x !== undefined).length > 1) {
    throw validation(`Target ${id}: only one of Input, InputPath, or InputTransformer may be provided.`);
  }
  if (input !== undefined) {
    try {
      JSON.parse(input);
    } catch {
      throw validation(`Target ${id}: Input is not valid JSON text.`);
    }
  }
  const dlq = isObject(raw['DeadLetterConfig']) ? optString(raw['DeadLetterConfig'], 'Arn') : undefined;
  if (dlq !== undefined && !SQS_ARN.test(dlq))
    throw validation(`Target ${id}: DeadLetterConfig.Arn must be an SQS queue ARN.`);
  const sqsParams = raw['SqsParameters'];
  return {
    id,
    arn,
    input,
    inputPath,
    inputTransformer: transformer,
    messageGroupId: isObject(sqsParams) ? optString(sqsParams, 'MessageGroupId') : undefined,
    deadLetterArn: dlq,
    retryPolicy: retryPolicy(raw['RetryPolicy']),
    raw,
  };
}

export function targetOperations(state: EventBridgeState): Handlers {
  return {
    PutTargets(input) {
      const rule = ruleOf(state, input);
      const raws = input['Targets'];
      if (!Array.isArray(raws) || raws.length < 1 || raws.length > 10) {
        throw memberError(
          'targets',
          raws === undefined ? undefined : '[...]',
          'Member must have length between 1 and 10',
        );
      }
      const targets = raws.map((r) => parseTarget(state, state.arns.bus(rule.busName), r));
      const ids = new Set([...rule.targets.keys(), ...targets.map((t) => t.id)]);
      if (ids.size > MAX_TARGETS_PER_RULE) {
        throw new EventsError(
          'LimitExceededException',
          'The requested resource exceeds the maximum number allowed.',
        );
      }
      for (const t of targets) rule.targets.set(t.id, t);
      return { FailedEntryCount: 0, FailedEntries: [] };
    },

    RemoveTargets(input) {
      const rule = ruleOf(state, input);
      const ids = optStringArray(input, 'Ids');
      if (!ids || ids.length === 0) throw memberError('ids', undefined, 'Member must not be null');
      for (const id of ids) rule.targets.delete(id);
      return { FailedEntryCount: 0, FailedEntries: [] };
    },

    ListTargetsByRule(input) {
      const rule = ruleOf(state, input);
      const { page, nextToken } = paginate([...rule.targets.values()], input);
      return { Targets: page.map((t) => t.raw), ...(nextToken ? { NextToken: nextToken } : {}) };
    },
  };
}
