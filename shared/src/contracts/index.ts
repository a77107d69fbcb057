export * from './identifier';
export * from './run';
export * from './events';
export * from './parse';
export * from './jsonSchema';
export * from './examples';
export * from './address';
export * from './lifecycle';
