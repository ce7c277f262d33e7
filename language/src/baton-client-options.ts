/**
 * What the editor connected to the language server says it supports, from the LSP `initialize` request's
 * `initializationOptions` (set by the language server's entry; the CLI leaves the defaults). Features that
 * would offer a command the client does not have stay off, so no CodeLens is dead.
 */
export class BatonClientOptions {
  /** The client has the graph panel (`baton.graph.open`): the "Graph" CodeLens is offered. Default false. */
  graphPanel = false;

  /**
   * Reads the options the client sent; unknown or mistyped fields are ignored.
   * @param initializationOptions e.g. `{ graphPanel: true }`.
   */
  read(initializationOptions: unknown): void {
    if (initializationOptions && typeof initializationOptions === 'object') {
      this.graphPanel = (initializationOptions as { graphPanel?: unknown }).graphPanel === true;
    }
  }
}
