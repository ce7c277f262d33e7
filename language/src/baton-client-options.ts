/**
 * What the editor connected to the language server says it supports, from the LSP `initialize` request's
 * `initializationOptions` (set by the language server's entry; the CLI leaves the defaults). Features that
 * would offer a command the client does not have stay off, so no CodeLens is dead.
 */
export class BatonClientOptions {
  /** The client has the graph panel (`baton.graph.open`): the "Graph" CodeLens is offered. Default false. */
  graphPanel = false;

  /**
   * The client has the run and test commands (`baton.flow.run`, `baton.flow.runWithInputs`, `baton.test.run`,
   * registered by the VS Code extension): the "Run", "Run with inputs…" and "Run test" CodeLenses are offered.
   * Default false: another editor's client cannot execute them (the server does not), so it gets no lens
   * naming them.
   */
  runCommands = false;

  /**
   * Offer completion snippets beside keywords (`agent …`, `step …`). Default true; the VS Code extension sends
   * false because it contributes the same snippets itself (syntaxes/baton.code-snippets), so none show twice.
   */
  keywordSnippets = true;

  /**
   * Reads the options the client sent; unknown or mistyped fields are ignored.
   * @param initializationOptions e.g. `{ graphPanel: true, runCommands: true, keywordSnippets: false }`.
   */
  read(initializationOptions: unknown): void {
    if (initializationOptions && typeof initializationOptions === 'object') {
      const options = initializationOptions as { graphPanel?: unknown; runCommands?: unknown; keywordSnippets?: unknown };
      this.graphPanel = options.graphPanel === true;
      this.runCommands = options.runCommands === true;
      this.keywordSnippets = options.keywordSnippets !== false;
    }
  }
}
