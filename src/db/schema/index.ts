export * from './downstream.js';
export * from './history.js';
export * from './providers.js';
export * from './roster.js';
export * from './runs.js';
export * from './staging.js';
export * from './tenancy.js';
