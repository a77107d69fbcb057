/**
 * Event bus resource policies: PutPermission (one statement per call, or a whole `Policy`),
 * RemovePermission, and the check a delivery from another account or region must pass.
 */
import { parsePolicy, policyAllows, type PolicyStatement } from '../policies/resourcePolicy';
import { notFound, validation } from './errors';
import type { Bus, Rule } from './model';
import { BUS_NAME, type Handlers } from './operations';
import { checkName, isObject, optString, type JsonObject } from './protocol';
import type { EventBridgeState } from './state';

function busOf(state: EventBridgeState, input: JsonObject): Bus {
  const name = optString(input, 'EventBusName');
  if (name !== undefined) checkName('EventBusName', name, 256, BUS_NAME);
  return state.bus(name);
}

function statementFrom(input: JsonObject, bus: Bus): PolicyStatement {
  const sid = optString(input, 'StatementId');
  const principal = optString(input, 'Principal');
  const action = optString(input, 'Action') ?? 'events:PutEvents';
  if (!sid || !/^[a-zA-Z0-9-_]{1,64}$/.test(sid)) {
    throw validation('StatementId is required: 1 to 64 letters, digits, "-" or "_".');
  }
  if (!principal || !(principal === '*' || /^\d{12}$/.test(principal))) {
    throw validation(`Principal must be a 12-digit account id or "*" (got ${principal ?? 'nothing'}).`);
  }
  if (action !== 'events:PutEvents') throw validation('Action must be events:PutEvents.');
  const statement: PolicyStatement = {
    Sid: sid,
    Effect: 'Allow',
    Principal: principal === '*' ? '*' : { AWS: `arn:aws:iam::${principal}:root` },
    Action: action,
    Resource: bus.arn,
  };
  const cond = input['Condition'];
  if (isObject(cond)) {
    const type = optString(cond, 'Type') ?? 'StringEquals';
    const key = optString(cond, 'Key');
    const value = optString(cond, 'Value');
    if (!key || value === undefined) throw validation('Condition needs Type, Key and Value.');
    statement.Condition = { [type]: { [key]: value } };
  }
  return statement;
}

export function permissionOperations(state: EventBridgeState): Handlers {
  return {
    PutPermission(input) {
      const bus = busOf(state, input);
      const text = optString(input, 'Policy');
      if (text !== undefined) {
        try {
          bus.policy = parsePolicy(text);
        } catch (e) {
          throw validation(`Policy is not valid: ${(e as Error).message}.`);
        }
      } else {
        const statement = statementFrom(input, bus);
        const others = (bus.policy?.Statement ?? []).filter((st) => st.Sid !== statement.Sid);
        bus.policy = { Version: '2012-10-17', Statement: [...others, statement] };
      }
      bus.modifiedAt = new Date();
      return {};
    },

    RemovePermission(input) {
      const bus = busOf(state, input);
      if (input['RemoveAllPermissions'] === true) {
        bus.policy = undefined;
        return {};
      }
      const sid = optString(input, 'StatementId');
      const statements = bus.policy?.Statement ?? [];
      if (!statements.some((st) => st.Sid === sid)) {
        throw notFound(
          `Statement with the provided id ${sid ?? '(none)'} does not exist on event bus ${bus.name}.`,
        );
      }
      const rest = statements.filter((st) => st.Sid !== sid);
      bus.policy =
        rest.length > 0 ? { ...(bus.policy as NonNullable<Bus['policy']>), Statement: rest } : undefined;
      return {};
    },
  };
}

/** Whether a rule of another account or region may put events on `bus` (its resource policy decides). */
export function busAccepts(bus: Bus, rule: Rule, sender: { accountId: string }): boolean {
  return policyAllows(bus.policy, {
    account: sender.accountId,
    action: 'events:PutEvents',
    context: {
      'aws:SourceArn': rule.arn,
      'aws:SourceAccount': sender.accountId,
      'aws:PrincipalAccount': sender.accountId,
    },
  });
}
