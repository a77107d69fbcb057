export * from './errors';
export * from './contracts';
export * from './topology';
export * from './resourceNames';
export * from './plans';
export * from './rds/naming';
export * from './state';
export * from './bus';
