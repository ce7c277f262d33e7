export * from './build-graph.js';
export * from './mermaid.js';
export * from './dot.js';
