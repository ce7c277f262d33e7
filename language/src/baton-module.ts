import type { Module } from 'langium';
import { inject } from 'langium';
import {
  createDefaultModule,
  createDefaultSharedModule,
  type DefaultSharedModuleContext,
  type LangiumServices,
  type LangiumSharedServices,
  type PartialLangiumServices,
  type PartialLangiumSharedServices,
} from 'langium/lsp';
import { BatonGeneratedModule, BatonGeneratedSharedModule } from './generated/module.js';
import { BatonTokenBuilder } from './baton-token-builder.js';
import { BatonLexer } from './baton-lexer.js';
import { createBatonParser, createLazyCompletionParser } from './baton-parser.js';
import { BatonValueConverter } from './baton-value-converter.js';
import { BatonScopeComputation } from './baton-scope-computation.js';
import { BatonScopeProvider } from './baton-scope-provider.js';
import { BatonLinker } from './baton-linker.js';
import { BatonDocumentValidator } from './baton-document-validator.js';
import { BatonValidationRegistry } from './baton-validation-registry.js';
import { BatonValidator, registerValidationChecks } from './baton-validator.js';
import { BatonFlowChecks } from './baton-flow-checks.js';
import { BatonJoinChecks } from './baton-join-checks.js';
import { BatonLockChecks } from './baton-lock-checks.js';
import { BatonSignalChecks } from './baton-signal-checks.js';
import { BatonChoiceChecks } from './baton-choice-checks.js';
import { BatonRegionChecks } from './baton-region-checks.js';
import { BatonEventChecks } from './baton-event-checks.js';
import { BatonSlaChecks } from './baton-sla-checks.js';
import { BatonToolChecks } from './baton-tool-checks.js';
import { BatonWorkspaceRoot } from './baton-workspace.js';
import { BatonCommentProvider } from './baton-comment-provider.js';
import { BatonIndexManager, BatonReferenceDescriptionProvider } from './baton-index-manager.js';
import { BatonDocumentFactory } from './baton-document-factory.js';
import { BatonDocumentBuilder, isolateParseFailures } from './baton-document-builder.js';
import { BatonWorkspaceManager } from './baton-workspace-manager.js';
import { BatonAstNodeDescriptionProvider } from './baton-ast-descriptions.js';
import { BatonIrBuilder } from './ir/baton-ir-builder.js';
import { BatonHoverProvider } from './lsp/baton-hover-provider.js';
import { BatonCompletionProvider } from './lsp/baton-completion-provider.js';
import { BatonCodeActionProvider } from './lsp/baton-code-action-provider.js';
import { BatonFormatter } from './lsp/baton-formatter.js';
import { BatonSignatureHelpProvider } from './lsp/baton-signature-help-provider.js';
import { BatonSemanticTokenProvider } from './lsp/baton-semantic-token-provider.js';
import { BatonCodeLensProvider } from './lsp/baton-code-lens-provider.js';
import { BatonClientOptions } from './baton-client-options.js';
import { BatonReferences } from './baton-references.js';
import { BatonRenameProvider } from './lsp/baton-rename-provider.js';
import { BatonDocumentSymbolProvider } from './lsp/baton-document-symbol-provider.js';
import { BatonFoldingRangeProvider } from './lsp/baton-folding-range-provider.js';
import { BatonNodeKindProvider } from './lsp/baton-node-kind-provider.js';

/** Services Baton adds to Langium's. */
export type BatonAddedServices = {
  validation: {
    BatonValidator: BatonValidator;
    BatonFlowChecks: BatonFlowChecks;
    BatonJoinChecks: BatonJoinChecks;
    BatonLockChecks: BatonLockChecks;
    BatonSignalChecks: BatonSignalChecks;
    BatonChoiceChecks: BatonChoiceChecks;
    BatonRegionChecks: BatonRegionChecks;
    BatonEventChecks: BatonEventChecks;
    BatonSlaChecks: BatonSlaChecks;
    BatonToolChecks: BatonToolChecks;
  };
  ir: {
    WorkflowBuilder: BatonIrBuilder;
  };
  baton: {
    /** The folder imports may not leave (set by the CLI loader or the language server). */
    WorkspaceRoot: BatonWorkspaceRoot;
    /** What the connected editor supports (LSP `initializationOptions`); defaults when there is none. */
    ClientOptions: BatonClientOptions;
  };
};

/** All services of the Baton language. */
export type BatonServices = LangiumServices & BatonAddedServices;

/** The dependency-injection module wiring Baton's own services over Langium's defaults. */
export const BatonModule: Module<BatonServices, PartialLangiumServices & BatonAddedServices> = {
  parser: {
    LangiumParser: (services) => isolateParseFailures(createBatonParser(services)),
    CompletionParser: (services) => createLazyCompletionParser(services),
    TokenBuilder: () => new BatonTokenBuilder(),
    Lexer: (services) => new BatonLexer(services),
    ValueConverter: () => new BatonValueConverter(),
  },
  references: {
    ScopeComputation: (services) => new BatonScopeComputation(services),
    ScopeProvider: (services) => new BatonScopeProvider(services),
    Linker: (services) => new BatonLinker(services),
    References: (services) => new BatonReferences(services),
  },
  validation: {
    DocumentValidator: (services) => new BatonDocumentValidator(services),
    ValidationRegistry: (services) => new BatonValidationRegistry(services),
    BatonValidator: (services) => new BatonValidator(services),
    BatonFlowChecks: (services) => new BatonFlowChecks(services),
    BatonJoinChecks: (services) => new BatonJoinChecks(services),
    BatonLockChecks: () => new BatonLockChecks(),
    BatonSignalChecks: () => new BatonSignalChecks(),
    BatonChoiceChecks: () => new BatonChoiceChecks(),
    BatonRegionChecks: () => new BatonRegionChecks(),
    BatonEventChecks: (services) => new BatonEventChecks(services),
    BatonSlaChecks: (services) => new BatonSlaChecks(services),
    BatonToolChecks: () => new BatonToolChecks(),
  },
  ir: {
    WorkflowBuilder: () => new BatonIrBuilder(),
  },
  workspace: {
    AstNodeDescriptionProvider: (services) => new BatonAstNodeDescriptionProvider(services),
  },
  documentation: {
    CommentProvider: (services) => new BatonCommentProvider(services),
  },
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
  baton: {
    WorkspaceRoot: () => new BatonWorkspaceRoot(),
    ClientOptions: () => new BatonClientOptions(),
  },
};

/**
 * Baton's shared services over Langium's: symbol and completion kinds per declaration type; a document builder
 * that isolates a document the checker fails on and can load imports as it finds them; a workspace manager that
 * takes a client's `rootUri` as its folder when it sends no workspace folders.
 */
export const BatonSharedModule: Module<LangiumSharedServices, PartialLangiumSharedServices> = {
  workspace: {
    DocumentBuilder: (services) => new BatonDocumentBuilder(services),
    WorkspaceManager: (services) => new BatonWorkspaceManager(services),
  },
  lsp: {
    NodeKindProvider: () => new BatonNodeKindProvider(),
  },
};

/**
 * Creates the shared and the Baton language services.
 * @param context `fileSystemProvider` (e.g. `NodeFileSystem` from `langium/node`) and, in the language
 *   server, `connection`.
 * @param options `batch: true` for one-shot tools (the CLI): the cross-reference index that only
 *   find-references and rename need is not built, which saves ~7% of a check. Otherwise that index is
 *   built when first read (BatonIndexManager), not on every build.
 *   `incrementalParse: true` re-parses only the edited statement (BatonDocumentFactory); off by default
 *   while a real-editor failure with it on (Runs view: Show Source of a step) is not understood.
 */
export function createBatonServices(context: DefaultSharedModuleContext, options: { batch?: boolean; incrementalParse?: boolean } = {}): {
  shared: LangiumSharedServices;
  Baton: BatonServices;
} {
  const sharedModule: Module<LangiumSharedServices, PartialLangiumSharedServices> = {
    workspace: {
      ...(options.incrementalParse ? { LangiumDocumentFactory: (services: LangiumSharedServices) => new BatonDocumentFactory(services) } : {}),
      ...(options.batch ? {} : { IndexManager: (services: LangiumSharedServices) => new BatonIndexManager(services) }),
    },
  };
  const shared = inject(createDefaultSharedModule(context), BatonGeneratedSharedModule, BatonSharedModule, sharedModule);
  const referencesModule: Module<BatonServices, PartialLangiumServices> = options.batch
    ? { workspace: { ReferenceDescriptionProvider: () => ({ createDescriptions: async () => [] }) } }
    : { workspace: { ReferenceDescriptionProvider: (services) => new BatonReferenceDescriptionProvider(services) } };
  const Baton = inject(createDefaultModule({ shared }), BatonGeneratedModule, BatonModule, referencesModule);
  shared.ServiceRegistry.register(Baton);
  registerValidationChecks(Baton);
  return { shared, Baton };
}
