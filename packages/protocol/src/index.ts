export type * from './ir.js';
export * from './functions.js';
