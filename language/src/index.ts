export * from './baton-module.js';
export * from './baton-token-builder.js';
export * from './baton-value-converter.js';
export * from './generated/ast.js';
export * from './generated/module.js';
