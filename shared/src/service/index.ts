export * from './logger';
export * from './context';
export * from './runs';
export * from './waiting';
export * from './handler';
export * from './steps';
export * from './byKind';
export * from './cancel';
