export { createEventBridge, type EventBridgeEmulator } from './emulator';
export type { SqsSender, DeliveryOptions } from './router';
export { matchesPattern } from './pattern';
export { validatePattern } from './patternValidation';
