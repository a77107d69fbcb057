/** PutRule, DescribeRule, ListRules, DeleteRule, EnableRule, DisableRule, TestEventPattern. */
import { memberError, validation } from './errors';
import type { Rule } from './model';
import { BUS_NAME_OR_ARN, listPage, RESOURCE_NAME, type Handlers } from './operations';
import { matchesPattern } from './pattern';
import { parsePattern } from './patternValidation';
import { checkName, isObject, optString, reqString, type JsonObject } from './protocol';
import { DEFAULT_BUS, type EventBridgeState } from './state';

const RULE_STATES = new Set(['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS']);
/** Fields TestEventPattern requires in the event, as AWS does. */
const TEST_EVENT_FIELDS = ['id', 'account', 'source', 'time', 'region', 'resources', 'detail-type'];

function describe(rule: Rule, account: string): JsonObject {
  const optional: JsonObject = {
    EventPattern: rule.eventPatternText,
    ScheduleExpression: rule.scheduleExpression,
    Description: rule.description,
    RoleArn: rule.roleArn,
  };
  return {
    Name: rule.name,
    Arn: rule.arn,
    State: rule.state,
    EventBusName: rule.busName,
    CreatedBy: account,
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
  };
}

function ruleName(input: JsonObject, key = 'Name'): string {
  return checkName(key, reqString(input, key), 64, RESOURCE_NAME);
}

function busName(input: JsonObject): string | undefined {
  const name = optString(input, 'EventBusName');
  return name === undefined ? undefined : checkName('EventBusName', name, 1600, BUS_NAME_OR_ARN);
}

function setState(state: EventBridgeState, input: JsonObject, value: Rule['state']): JsonObject {
  state.rule(busName(input), ruleName(input)).state = value;
  return {};
}

export function ruleOperations(state: EventBridgeState): Handlers {
  return {
    PutRule(input) {
      const name = ruleName(input);
      const bus = state.bus(busName(input));
      const patternText = optString(input, 'EventPattern');
      const schedule = optString(input, 'ScheduleExpression');
      if (patternText === undefined && schedule === undefined) {
        throw validation('Parameter(s) EventPattern or ScheduleExpression must be specified.');
      }
      if (schedule !== undefined && bus.name !== DEFAULT_BUS) {
        throw validation('ScheduleExpression is supported only on the default event bus.');
      }
      const ruleState = optString(input, 'State') ?? 'ENABLED';
      if (!RULE_STATES.has(ruleState)) {
        throw memberError(
          'state',
          ruleState,
          `Member must satisfy enum value set: [${[...RULE_STATES].join(', ')}]`,
        );
      }
      const existing = bus.rules.get(name);
      const rule: Rule = {
        name,
        arn: state.arns.rule(bus.name, name),
        busName: bus.name,
        description: optString(input, 'Description'),
        eventPatternText: patternText,
        eventPattern: patternText === undefined ? undefined : parsePattern(patternText),
        scheduleExpression: schedule,
        roleArn: optString(input, 'RoleArn'),
        state: ruleState === 'DISABLED' ? 'DISABLED' : 'ENABLED',
        targets: existing?.targets ?? new Map(),
        createdAt: existing?.createdAt ?? new Date(),
      };
      bus.rules.set(name, rule);
      return { RuleArn: rule.arn };
    },

    DescribeRule(input) {
      return describe(state.rule(busName(input), ruleName(input)), state.identity.accountId);
    },

    ListRules(input) {
      const bus = state.bus(busName(input));
      return listPage(bus.rules.values(), input, 'Rules', (r) => describe(r, state.identity.accountId));
    },

    DeleteRule(input) {
      const name = ruleName(input);
      const bus = state.bus(busName(input));
      const rule = bus.rules.get(name);
      if (!rule) return {};
      if (rule.targets.size > 0) throw validation("Rule can't be deleted since it has targets.");
      bus.rules.delete(name);
      return {};
    },

    EnableRule: (input) => setState(state, input, 'ENABLED'),
    DisableRule: (input) => setState(state, input, 'DISABLED'),

    TestEventPattern(input) {
      const pattern = parsePattern(reqString(input, 'EventPattern'));
      let event: unknown;
      try {
        event = JSON.parse(reqString(input, 'Event'));
      } catch {
        throw validation('Parameter Event is not valid. Reason: Event is not valid JSON.');
      }
      const missing = isObject(event)
        ? TEST_EVENT_FIELDS.filter((f) => !Object.hasOwn(event, f))
        : ['(object)'];
      if (missing.length > 0) {
        throw validation(`Parameter Event is not valid. Reason: missing field(s) ${missing.join(', ')}.`);
      }
      return { Result: matchesPattern(pattern, event) };
    },
  };
}
