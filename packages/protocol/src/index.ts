export type * from './ir.js';
export type * from './events.js';
export * from './functions.js';
export * from './expr-text.js';
export * from './types.js';
export type * from './graph.js';
export * from './lsp-flows.js';
export * from './lsp-graph.js';
export * from './graph-panel.js';
