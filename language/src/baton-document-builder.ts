import { Cancellation, DefaultDocumentBuilder, DocumentState, isOperationCancelled, OperationCancelled, type AstNode, type BuildOptions, type LangiumDocument, type LangiumParser, type LangiumSharedCoreServices, type ParseResult, type URI } from 'langium';
import type { Diagnostic } from 'vscode-languageserver-types';
import { importTarget } from './baton-imports.js';
import { keepForIncrementalBuild, startUpdate } from './baton-incremental.js';
import { IssueCodes } from './baton-issue-codes.js';
import type * as ast from './generated/ast.js';

// vscode-jsonrpc's token as Langium re-exports it (the same object as vscode-languageserver's): the checker's services
// (baton-core-module.ts) load none of the language server's modules
const CancellationToken = Cancellation.CancellationToken;
type CancellationToken = Cancellation.CancellationToken;

/** Why a document could not be checked: the build phase that threw and the error's message. */
export interface BuildFailure {
  /** The phase that threw: `parsing`, `indexing`, `scoping`, `linking`, `indexing references`, `validating`. */
  phase: string;
  /** The thrown error's message (`Maximum call stack size exceeded`), never its stack. */
  message: string;
}

/** Root AST node of a text whose parse threw → why ({@link isolateParseFailures}). */
const parseFailures = new WeakMap<AstNode, BuildFailure>();

/**
 * Which import targets a build may load that are not loaded yet (the language server without workspace
 * folders: the files the open documents import, relative to the importing file). `admit` answers whether
 * `uri` may be read; a `true` lets the file system read it from then on.
 */
export interface ImportLoading {
  admit(uri: URI): boolean;
}

/**
 * Langium's document builder with four additions for the language server.
 *
 * **A burst of edits is built once, from the latest text.** Langium starts an update per `didChange`; the next
 * one cancels it, but only where the build checks its token (between phases and documents), so each keystroke
 * still parsed the whole file before being thrown away (50 quick edits: 50 parses, the graph 1.6–4.9 s
 * behind). Here a cancellable build first lets the event loop turn once (`setImmediate`): messages already
 * received are handled before it, and an edit among them cancels it before any parsing. A lone edit waits one
 * turn of the event loop; requests wait for the build of the latest text (their documents stay below
 * `Linked` until then).
 *
 * **A document that makes the checker throw is isolated.** Langium runs each build phase over all documents
 * and lets the first exception end the whole build: one file with a construct that overflows the stack left
 * every other file unlinked and unvalidated (at start-up the workspace never became ready, so the server
 * answered nothing for any file). Here an exception in any phase of one document (not a cancellation) is
 * caught: that document skips its remaining phases and its diagnostics are one `check-failed` error at its
 * start, naming the phase and the error; every other document is built as usual. A parse that throws is
 * caught where it happens ({@link isolateParseFailures}). The document is tried again from scratch at its next
 * change or re-link.
 *
 * **A request waiting for a document or the workspace to reach a state is told** — even by a build that had no
 * document to process, a build cancelled as it announced the state, or when it starts waiting while the state is
 * announced ({@link notifyDocumentPhase}, {@link notifyBuildPhase}).
 *
 * **Imports can be loaded as they are found** ({@link importLoading}): after the parse phase, every `.flow`
 * import target of the documents being built that is not loaded yet is read (when `admit` allows it), parsed
 * and built with them, transitively. Off (undefined) unless the server sets it: with workspace folders every
 * file is loaded at start, and the CLI loads imports itself (`loadWorkspace`).
 */
export class BatonDocumentBuilder extends DefaultDocumentBuilder {
  /** How import targets that are not loaded yet are admitted; undefined: never loaded by a build. */
  importLoading: ImportLoading | undefined;

  /** Document URI → the failure that stopped its build (cleared when the document re-enters that phase). */
  private readonly failures = new Map<string, BuildFailure & { state: DocumentState }>();

  constructor(services: LangiumSharedCoreServices) {
    super(services);
  }

  /** The failure that stopped `document`'s last build, if any (a parse failure included). */
  failureOf(document: LangiumDocument): BuildFailure | undefined {
    return this.failures.get(document.uri.toString()) ?? parseFailures.get(document.parseResult.value);
  }

  protected override async buildDocuments(documents: LangiumDocument[], options: BuildOptions, cancelToken: CancellationToken): Promise<void> {
    if (cancelToken !== CancellationToken.None) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (cancelToken.isCancellationRequested) throw OperationCancelled;
    }
    if (this.importLoading) {
      await this.runCancelable(documents, DocumentState.Parsed, cancelToken, (doc) => this.langiumDocumentFactory.update(doc, cancelToken));
      documents = [...documents, ...(await this.loadImports(documents, this.importLoading))];
    }
    return super.buildDocuments(documents, options, cancelToken);
  }

  protected override async runCancelable(documents: LangiumDocument[], targetState: DocumentState, cancelToken: CancellationToken, callback: (document: LangiumDocument) => unknown): Promise<void> {
    return super.runCancelable(documents, targetState, cancelToken, async (document) => {
      const key = document.uri.toString();
      const failed = this.failures.get(key);
      if (failed && targetState <= failed.state) this.failures.delete(key);
      else if (failed && targetState < DocumentState.Validated) return; // its later phases are skipped
      if (!this.failures.has(key) && !(targetState === DocumentState.Validated && parseFailures.has(document.parseResult.value))) {
        try {
          await callback(document);
          return;
        } catch (error) {
          if (isOperationCancelled(error)) throw error;
          this.failures.set(key, { state: targetState, phase: PHASES[targetState] ?? 'building', message: error instanceof Error ? error.message : String(error) });
          if (targetState < DocumentState.Validated) return;
        }
      }
      if (targetState === DocumentState.Validated) {
        document.diagnostics = [checkFailedDiagnostic(this.failureOf(document)!)];
        this.markAsCompleted(document);
      }
    });
  }

  /**
   * Tells every document-phase listener that `document` reached `state` — also when the build is cancelled
   * meanwhile. Langium checked the token before each listener and, once a new build had cancelled this one,
   * skipped all listeners left; the next build found the document in that state already and never announced it
   * again, so a request waiting for it (completion, hover, definition: `waitUntil(Linked, uri)`) was never
   * answered (found by the LSP fuzz: an edit or a custom request's build arriving as the document was linked).
   * The document did reach the state, so the announcement is not part of the work a cancellation stops: the
   * build stops at its next step instead. A listener that throws a cancellation is skipped, as in Langium.
   */
  protected override async notifyDocumentPhase(document: LangiumDocument, state: DocumentState, cancelToken: CancellationToken): Promise<void> {
    for (const listener of this.documentPhaseListeners.get(state).slice()) {
      try {
        await listener(document, cancelToken);
      } catch (error) {
        if (!isOperationCancelled(error)) throw error;
      }
    }
  }

  /**
   * Tells the build-phase listeners that the workspace reached `state`, also when no document needed that phase
   * or the build is cancelled meanwhile, and records the state **before** telling them.
   *
   * - Langium skips the notification when no document needed the phase, and a request waiting for the workspace
   *   to reach a state (find references, rename, highlights: `waitUntil(state)`) that started while an update
   *   that rebuilt nothing was running (a closed scratch file forgotten, a deleted file) waited for the next
   *   build with documents — in an idle editor, forever (found by the LSP fuzz).
   * - Langium records the state (`currentState`) only after the listeners ran; a request that arrived while they
   *   ran (at a turn of the event loop between them) found the state not reached, waited for the next build,
   *   and in an idle editor was never answered (found by the LSP fuzz: a prepareRename).
   * - As for documents ({@link notifyDocumentPhase}), a cancellation does not skip the listeners left.
   */
  protected override async notifyBuildPhase(documents: LangiumDocument[], state: DocumentState, cancelToken: CancellationToken): Promise<void> {
    this.currentState = state;
    for (const listener of this.buildPhaseListeners.get(state).slice()) {
      try {
        await listener(documents, cancelToken);
      } catch (error) {
        if (!isOperationCancelled(error)) throw error;
      }
    }
  }

  override async update(changed: URI[], deleted: URI[], cancelToken?: CancellationToken): Promise<void> {
    startUpdate();
    return super.update(changed, deleted, cancelToken);
  }

  /**
   * Langium's reset, except that a linked document reset to `Changed` keeps its local symbols and links for an
   * incremental re-check (baton-incremental.ts): if the parse that follows re-parses only a statement, the next
   * build re-links only what the edit can affect; otherwise the linker unlinks them before the full link.
   */
  override resetToState(document: LangiumDocument, state: DocumentState): void {
    if (state === DocumentState.Changed && keepForIncrementalBuild(document, document.state >= DocumentState.Linked)) {
      this.indexManager.removeContent(document.uri);
      document.localSymbols = undefined;
      this.indexManager.removeReferences(document.uri);
      document.diagnostics = undefined;
      this.buildState.delete(document.uri.toString());
      if (document.state > state) document.state = state;
      return;
    }
    super.resetToState(document, state);
  }

  /** Loads the import targets of `documents` not loaded yet that `loading` admits, transitively; returns them parsed. */
  private async loadImports(documents: LangiumDocument[], loading: ImportLoading): Promise<LangiumDocument[]> {
    const added: LangiumDocument[] = [];
    const queue = [...documents];
    while (queue.length > 0) {
      const document = queue.shift()!;
      for (const imp of (document.parseResult.value as ast.Document).imports ?? []) {
        if (!imp.path) continue;
        const target = importTarget(document, imp.path);
        if (!target.path.endsWith('.flow') || this.langiumDocuments.hasDocument(target) || !loading.admit(target)) continue;
        try {
          if (!(await this.fileSystemProvider.stat(target)).isFile) continue;
        } catch {
          continue; // no such file: the checker reports import-not-found
        }
        const imported = await this.langiumDocuments.getOrCreateDocument(target);
        added.push(imported);
        queue.push(imported);
      }
    }
    return added;
  }
}

const PHASES: Partial<Record<DocumentState, string>> = {
  [DocumentState.Parsed]: 'parsing',
  [DocumentState.IndexedContent]: 'indexing',
  [DocumentState.ComputedScopes]: 'scoping',
  [DocumentState.Linked]: 'linking',
  [DocumentState.IndexedReferences]: 'indexing references',
  [DocumentState.Validated]: 'validating',
};

/** The one diagnostic of a document whose check failed: at its start, code `check-failed`. */
function checkFailedDiagnostic(failure: BuildFailure): Diagnostic {
  return {
    severity: 1,
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    code: IssueCodes.CheckFailed,
    data: { code: IssueCodes.CheckFailed },
    source: 'baton',
    message: `this file could not be checked: ${failure.message} (while ${failure.phase}); other files are checked as usual`,
  };
}

/**
 * Makes `parser` survive a parse that throws (a JavaScript stack overflow on deeply nested input, or the
 * next such defect). Langium's parser keeps a stack of the nodes being built on the parser object; a throw
 * left it non-empty and every later parse — of any file — failed with "Parser stack is not empty after
 * parsing". Here the stack is emptied and the text gets the parse result of an empty text (no elements,
 * no errors, its CST's text the real text, so positions still map) and a {@link BuildFailure} that
 * {@link BatonDocumentBuilder} reports as the document's one `check-failed` diagnostic.
 */
export function isolateParseFailures(parser: LangiumParser): LangiumParser {
  const parse = parser.parse.bind(parser);
  parser.parse = <T extends AstNode = AstNode>(input: string, options?: Parameters<LangiumParser['parse']>[1]): ParseResult<T> => {
    try {
      return parse<T>(input, options);
    } catch (error) {
      (parser as unknown as { stack: unknown[] }).stack.length = 0;
      const empty = parse<T>('', options);
      const root = empty.value.$cstNode?.root as unknown as { _text: string } | undefined;
      if (root) root._text = input;
      parseFailures.set(empty.value, { phase: 'parsing', message: error instanceof Error ? error.message : String(error) });
      return empty;
    }
  };
  return parser;
}
