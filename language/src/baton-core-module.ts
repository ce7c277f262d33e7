import type { Module } from 'langium';
import { createDefaultCoreModule, createDefaultSharedCoreModule, inject, type DefaultSharedCoreModuleContext, type LangiumCoreServices, type LangiumSharedCoreServices } from 'langium';
import type { LangiumServices, LangiumSharedServices, PartialLangiumServices, PartialLangiumSharedServices } from 'langium/lsp';
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
import { BatonClientOptions } from './baton-client-options.js';
import { BatonReferences } from './baton-references.js';

// The checker's services without the language server's (issue 15): this module imports nothing of Langium's LSP layer
// or vscode-languageserver (types only), so `baton check` (`@baton/language/checker`) loads none of it.

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

/**
 * The dependency-injection module wiring Baton's own checker services over Langium's defaults: everything but the
 * language server's providers (`lsp`, added by `BatonModule` in baton-module.ts).
 */
export const BatonCoreModule: Module<BatonServices, PartialLangiumServices & BatonAddedServices> = {
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
  baton: {
    WorkspaceRoot: () => new BatonWorkspaceRoot(),
    ClientOptions: () => new BatonClientOptions(),
  },
};

/** Baton's shared services over Langium's core ones: a document builder that isolates a document the checker fails on and can load imports as it finds them; a workspace manager that takes a client's `rootUri` as its folder. */
export const BatonSharedCoreModule: Module<LangiumSharedServices, PartialLangiumSharedServices> = {
  workspace: {
    DocumentBuilder: (services) => new BatonDocumentBuilder(services),
    WorkspaceManager: (services) => new BatonWorkspaceManager(services),
  },
};

/** Options of {@link createBatonServices} (baton-module.ts) and {@link injectBatonServices}. */
export interface BatonServicesOptions {
  /**
   * For one-shot tools (the CLI): the cross-reference index that only find-references and rename need is not built,
   * which saves ~7% of a check. Otherwise that index is built when first read (BatonIndexManager), not on every build.
   */
  batch?: boolean;
  /**
   * Re-parse only the edited statement (BatonDocumentFactory); off by default while a real-editor failure with it on
   * (Runs view: Show Source of a step) is not understood.
   */
  incrementalParse?: boolean;
}

/**
 * Builds the shared and the Baton language services over Langium's default modules `sharedDefaults` and
 * `languageDefaults` (with or without the language server's parts), with Baton's modules and `sharedModule` /
 * `languageModule` on top, registers the language and its checks.
 */
export function injectBatonServices(
  sharedDefaults: Module<LangiumSharedServices, unknown>,
  languageDefaults: (shared: LangiumSharedServices) => Module<BatonServices, unknown>,
  sharedModule: Module<LangiumSharedServices, PartialLangiumSharedServices>,
  languageModule: Module<BatonServices, PartialLangiumServices & BatonAddedServices>,
  options: BatonServicesOptions,
): { shared: LangiumSharedServices; Baton: BatonServices } {
  const optional: Module<LangiumSharedServices, PartialLangiumSharedServices> = {
    workspace: {
      ...(options.incrementalParse ? { LangiumDocumentFactory: (services: LangiumSharedServices) => new BatonDocumentFactory(services) } : {}),
      ...(options.batch ? {} : { IndexManager: (services: LangiumSharedServices) => new BatonIndexManager(services) }),
    },
  };
  const shared = inject(sharedDefaults as Module<LangiumSharedServices>, BatonGeneratedSharedModule, sharedModule, optional);
  const referencesModule: Module<BatonServices, PartialLangiumServices> = options.batch
    ? { workspace: { ReferenceDescriptionProvider: () => ({ createDescriptions: async () => [] }) } }
    : { workspace: { ReferenceDescriptionProvider: (services) => new BatonReferenceDescriptionProvider(services) } };
  const Baton = inject(languageDefaults(shared) as Module<BatonServices>, BatonGeneratedModule, languageModule, referencesModule);
  shared.ServiceRegistry.register(Baton);
  registerValidationChecks(Baton);
  return { shared, Baton };
}

/** The services of {@link createBatonCheckerServices}: the checker's, without the language server's (`lsp`). */
export interface BatonCheckerServices {
  shared: LangiumSharedCoreServices;
  Baton: LangiumCoreServices & BatonAddedServices;
}

/**
 * Creates the services that check `.flow` files without a language server (`baton check`, `baton run`): the same
 * parser, linker, scopes, validation and IR builder as {@link createBatonServices} with `batch: true` — the same
 * diagnostics — but over Langium's core modules: none of the language server's providers, Langium's LSP layer or
 * vscode-languageserver is created or loaded.
 * @param context `fileSystemProvider` (e.g. `NodeFileSystem` from `langium/node`).
 */
export function createBatonCheckerServices(context: DefaultSharedCoreModuleContext): BatonCheckerServices {
  // Langium's core modules are the LSP ones without their `lsp` parts; Baton's checks read none of those
  return injectBatonServices(
    createDefaultSharedCoreModule(context) as Module<LangiumSharedServices, unknown>,
    (shared) => createDefaultCoreModule({ shared }) as Module<BatonServices, unknown>,
    BatonSharedCoreModule,
    BatonCoreModule,
    { batch: true },
  );
}
