export { createEventBridge, type EventBridgeEmulator, type EventBridgeOptions } from './emulator';
export type { SqsSender, DeliveryOptions } from './router';
export { matchesPattern } from './pattern';
export { validatePattern, parsePattern } from './patternValidation';
export { EventsError } from './errors';
export type { EventEnvelope, Stats } from './model';
