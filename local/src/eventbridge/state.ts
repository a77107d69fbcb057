/** Buses, rules and counters shared by the operation handlers, the router and the archive. */
import { CloudClock } from '../clock';
import type { LocalIdentity } from '../types';
import { busNotFound, ruleNotFound } from './errors';
import { Arns, type Bus, type Rule, type Stats } from './model';

export const DEFAULT_BUS = 'default';

export class EventBridgeState {
  readonly arns: Arns;
  readonly buses = new Map<string, Bus>();
  readonly stats: Stats = {
    entriesAccepted: 0,
    entriesFailed: 0,
    delivered: 0,
    retries: 0,
    failedDeliveries: 0,
    refusedByPolicy: 0,
    deadLettered: 0,
    archived: 0,
    replayed: 0,
  };

  constructor(
    readonly identity: LocalIdentity,
    /** The cloud clock: the time of events put without one. */
    readonly clock: CloudClock = new CloudClock(),
  ) {
    this.arns = new Arns(identity.region, identity.accountId);
    this.addBus(DEFAULT_BUS);
  }

  addBus(name: string, description?: string): Bus {
    const now = new Date();
    const bus: Bus = {
      name,
      arn: this.arns.bus(name),
      description,
      createdAt: now,
      modifiedAt: now,
      rules: new Map(),
      recent: [],
    };
    this.buses.set(name, bus);
    return bus;
  }

  /** The bus named by a name or ARN (default when omitted), or ResourceNotFoundException. */
  bus(nameOrArn: string | undefined): Bus {
    const name = this.arns.busNameOf(nameOrArn ?? DEFAULT_BUS) ?? nameOrArn ?? DEFAULT_BUS;
    const bus = this.buses.get(name);
    if (!bus) throw busNotFound(name);
    return bus;
  }

  rule(busNameOrArn: string | undefined, ruleName: string): Rule {
    const bus = this.bus(busNameOrArn);
    const rule = bus.rules.get(ruleName);
    if (!rule) throw ruleNotFound(ruleName, bus.name);
    return rule;
  }
}
