export * from './keys';
export * from './types';
export * from './store';
export * from './tableDefinition';
export * from './runConfig';
export * from './jobs';
