// `@baton/language/checker`: what a one-shot checker needs (`baton check`, `baton run`'s check) without the language
// server's modules — Langium's LSP layer, vscode-languageserver and Baton's providers, which the package's index
// brings in whole (issue 15).
export { createBatonCheckerServices, type BatonCheckerServices } from './baton-core-module.js';
export { loadWorkspace, type FlowDiagnostic, type LoadedWorkspace } from './baton-workspace.js';
export { visibleDocuments } from './baton-imports.js';
export { createFlowAuthoring } from './flow-authoring.js';
