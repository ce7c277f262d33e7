import type { Module } from 'langium';
import {
  createDefaultModule,
  createDefaultSharedModule,
  type DefaultSharedModuleContext,
  type LangiumSharedServices,
  type PartialLangiumServices,
  type PartialLangiumSharedServices,
} from 'langium/lsp';
import { BatonCoreModule, BatonSharedCoreModule, injectBatonServices, type BatonAddedServices, type BatonServices, type BatonServicesOptions } from './baton-core-module.js';
import { BatonHoverProvider } from './lsp/baton-hover-provider.js';
import { BatonCompletionProvider } from './lsp/baton-completion-provider.js';
import { BatonCodeActionProvider } from './lsp/baton-code-action-provider.js';
import { BatonFormatter } from './lsp/baton-formatter.js';
import { BatonSignatureHelpProvider } from './lsp/baton-signature-help-provider.js';
import { BatonSemanticTokenProvider } from './lsp/baton-semantic-token-provider.js';
import { BatonCodeLensProvider } from './lsp/baton-code-lens-provider.js';
import { BatonRenameProvider } from './lsp/baton-rename-provider.js';
import { BatonDocumentSymbolProvider } from './lsp/baton-document-symbol-provider.js';
import { BatonFoldingRangeProvider } from './lsp/baton-folding-range-provider.js';
import { BatonNodeKindProvider } from './lsp/baton-node-kind-provider.js';

export { BatonCoreModule, createBatonCheckerServices, type BatonAddedServices, type BatonCheckerServices, type BatonServices, type BatonServicesOptions } from './baton-core-module.js';

/** The dependency-injection module wiring Baton's own services over Langium's defaults: the checker's ({@link BatonCoreModule}) and the language server's providers. */
export const BatonModule: Module<BatonServices, PartialLangiumServices & BatonAddedServices> = {
  ...BatonCoreModule,
  lsp: {
    HoverProvider: (services) => new BatonHoverProvider(services),
    CompletionProvider: (services) => new BatonCompletionProvider(services),
    CodeActionProvider: () => new BatonCodeActionProvider(),
    Formatter: () => new BatonFormatter(),
    SignatureHelp: () => new BatonSignatureHelpProvider(),
    SemanticTokenProvider: (services) => new BatonSemanticTokenProvider(services),
    CodeLensProvider: (services) => new BatonCodeLensProvider(services),
    RenameProvider: (services) => new BatonRenameProvider(services),
    DocumentSymbolProvider: (services) => new BatonDocumentSymbolProvider(services),
    FoldingRangeProvider: () => new BatonFoldingRangeProvider(),
  },
};

/**
 * Baton's shared services over Langium's: symbol and completion kinds per declaration type; a document builder
 * that isolates a document the checker fails on and can load imports as it finds them; a workspace manager that
 * takes a client's `rootUri` as its folder when it sends no workspace folders.
 */
export const BatonSharedModule: Module<LangiumSharedServices, PartialLangiumSharedServices> = {
  ...BatonSharedCoreModule,
  lsp: {
    NodeKindProvider: () => new BatonNodeKindProvider(),
  },
};

/**
 * Creates the shared and the Baton language services, the language server's included (a checker without them:
 * `createBatonCheckerServices`, baton-core-module.ts).
 * @param context `fileSystemProvider` (e.g. `NodeFileSystem` from `langium/node`) and, in the language
 *   server, `connection`.
 * @param options `batch: true` for one-shot tools (no cross-reference index); `incrementalParse: true` re-parses only
 *   the edited statement (see {@link BatonServicesOptions}).
 */
export function createBatonServices(context: DefaultSharedModuleContext, options: BatonServicesOptions = {}): {
  shared: LangiumSharedServices;
  Baton: BatonServices;
} {
  return injectBatonServices(createDefaultSharedModule(context), (shared) => createDefaultModule({ shared }), BatonSharedModule, BatonModule, options);
}
