/** CreateEventBus, DescribeEventBus, ListEventBuses, DeleteEventBus. */
import { alreadyExists, validation } from './errors';
import type { Bus } from './model';
import { BUS_NAME, BUS_NAME_OR_ARN, listPage, type Handlers } from './operations';
import { checkName, epochSeconds, optString, reqString, type JsonObject } from './protocol';
import { DEFAULT_BUS, type EventBridgeState } from './state';

function describe(bus: Bus): JsonObject {
  return {
    Name: bus.name,
    Arn: bus.arn,
    ...(bus.description === undefined ? {} : { Description: bus.description }),
    ...(bus.policy === undefined ? {} : { Policy: JSON.stringify(bus.policy) }),
    CreationTime: epochSeconds(bus.createdAt),
    LastModifiedTime: epochSeconds(bus.modifiedAt),
  };
}

export function busOperations(state: EventBridgeState): Handlers {
  return {
    CreateEventBus(input) {
      const name = checkName('Name', reqString(input, 'Name'), 256, BUS_NAME);
      if (state.buses.has(name)) throw alreadyExists(`Event bus ${name} already exists.`);
      const bus = state.addBus(name, optString(input, 'Description'));
      return {
        EventBusArn: bus.arn,
        ...(bus.description === undefined ? {} : { Description: bus.description }),
      };
    },

    DescribeEventBus(input) {
      const name = optString(input, 'Name');
      if (name !== undefined) checkName('Name', name, 1600, BUS_NAME_OR_ARN);
      return describe(state.bus(name));
    },

    ListEventBuses: (input) => listPage(state.buses.values(), input, 'EventBuses', describe),

    DeleteEventBus(input) {
      const name = checkName('Name', reqString(input, 'Name'), 256, BUS_NAME);
      if (name === DEFAULT_BUS) throw validation('Cannot delete event bus default.');
      state.buses.delete(name);
      return {};
    },
  };
}
