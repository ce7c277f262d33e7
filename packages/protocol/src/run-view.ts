// The run model for browser code (`@baton/protocol/run-view`: the graph panel, the web console): the fold, the
// timeline and the formatters, without the rest of the protocol (its LSP request types pull in vscode-jsonrpc).
export * from './run-model.js';
export * from './run-format.js';
export * from './run-timeline.js';
