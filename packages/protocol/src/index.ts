export type * from './ir.js';
export type * from './events.js';
export * from './functions.js';
export * from './expr-text.js';
