import { randomBytes } from 'node:crypto';
import path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node.js';
import {
  assertUnreachable,
  definitionTitle,
  GraphRequest,
  readAcrossMigrations,
  type FlowGraph,
  type GraphResult,
  type HostToWebviewMessage,
  type LspPosition,
  type LspRange,
  type RenderedMessage,
  type RunEvent,
  type RunSummary,
  type SourceRange,
  type WebviewToHostMessage,
} from '@baton/protocol';
import { nodeAtPosition } from '@baton/graph';
import type { BatonGraphApi, GraphPanelSnapshot } from './api.js';
import { graphPanelHtml } from './graph-panel-html.js';

/** The webview panel type (also the `onWebviewPanel:baton.graph` activation event). */
export const GRAPH_VIEW_TYPE = 'baton.graph';

/**
 * Where the panel finds a flow's stored runs (history mode): the run store, read through the CLI by the run
 * controller (run-flow.ts). Both reject with the CLI's one-line message.
 */
export interface RunHistorySource {
  /** The stored runs of `flow` in the file `file` (absolute path), newest first (at most 50). */
  list(flow: string, file: string | undefined): Promise<RunSummary[]>;
  /** A stored run's events, in order. */
  events(runId: string): Promise<RunEvent[]>;
  /** A stored run's events and the SHA-256 (hex) of the definition it executes now, when the source knows it. */
  detail?(runId: string): Promise<{ events: RunEvent[]; definition?: string }>;
}

/** What the page saves with `setState` (view state only) and the serializer gets back. */
interface SavedState {
  uri?: string;
  flow?: string;
}

/**
 * `Baton: Open Graph to the Side` (`baton.graph.open`, args `(uri?, flowName?)` — the CodeLens passes
 * both; without a flow, the flow at the cursor) and the panel it opens: a webview beside the editor that follows
 * the active `.flow` editor and the flow its cursor is in (or the flow a run started from the editor runs), asks
 * the language server for the flow's graph (`baton/graph`) on every edit (at once; edits made while a
 * request is under way are answered by one request when it returns), reveals a node's source on click, highlights the node at the cursor and
 * draws run events. A `WebviewPanelSerializer` restores it after a reload.
 * @returns the graph API (`BatonApi.graph`), whose `showRunEvent` the run controller calls.
 */
export function registerGraphPanel(context: vscode.ExtensionContext, client: Promise<LanguageClient | undefined>, history?: RunHistorySource): BatonGraphApi {
  const controller = new GraphPanelController(context, client, history);
  context.subscriptions.push(
    controller,
    vscode.commands.registerCommand('baton.graph.open', (uri?: vscode.Uri | string, flowName?: string) => controller.open(uri, flowName)),
    vscode.window.registerWebviewPanelSerializer(GRAPH_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => controller.adopt(panel, state as SavedState | undefined),
    }),
  );
  return controller.api;
}

/** Owns the (single) graph panel and the editor listeners that feed it. */
class GraphPanelController implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private panelDisposables: vscode.Disposable[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  /** The followed document and flow. */
  private uri: vscode.Uri | undefined;
  private flow: string | undefined;
  /** The cursor to draw the flow of (sent until a request with it is answered): `open` and a newly followed editor. */
  private pendingPosition: LspPosition | undefined;
  /** Where the followed document's flows are (from the last answer), and the flow the cursor was last in. */
  private flowRanges: { flow: string; range: LspRange }[] = [];
  private cursorFlow: string | undefined;
  /** The last `graph` message (replayed when the page reloads) and the last good graph (for reveals). */
  private lastUpdate: Extract<HostToWebviewMessage, { type: 'graph' }> | undefined;
  private graph: FlowGraph | undefined;
  private highlighted: string | undefined;
  /** The run drawn: its id and its events so far (replayed when the page reloads). */
  /** The run drawn: its events, and (a stored run) the definition it executes, as the title says it. */
  private run: { runId: string; events: RunEvent[]; definition?: string } | undefined;
  private requestId = 0;
  /** Whether a graph request is under way. */
  private requesting = false;
  /** The first edit (ms, `Date.now()`) made while a request was under way: it asks again when that returns. */
  private queuedEdit: number | undefined;
  /** When each graph request started (ms, `Date.now()`), to report edit → drawn times. */
  private readonly requestStarted = new Map<number, number>();
  private lastRendered: (RenderedMessage & { totalMs: number }) | undefined;
  private readonly renderListeners = new Set<(rendered: RenderedMessage & { totalMs: number }) => void>();
  private exportRequests = 0;
  /** The drawn flow's stored runs (the run picker), and the flow they belong to. */
  private history: RunSummary[] = [];
  /** Sub-flow steps drawn open, per `<uri>#<flow>` (kept while the panel lives). */
  private readonly expanded = new Map<string, Set<string>>();
  private historyFlow: string | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly client: Promise<LanguageClient | undefined>,
    private readonly historySource?: RunHistorySource,
  ) {
    this.disposables.push(
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (this.panel && editor && isFlowDocument(editor.document) && editor.document.uri.toString() !== this.uri?.toString()) this.follow(editor.document.uri, undefined, editor.selection.active);
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (this.panel && e.contentChanges.length > 0 && e.document.uri.toString() === this.uri?.toString()) this.schedule(Date.now());
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (!this.panel || e.textEditor.document.uri.toString() !== this.uri?.toString()) return;
        this.followCursor(e.textEditor.document.uri, e.selections[0].active);
        this.highlightAt(e.textEditor.document, e.selections[0].active);
      }),
    );
  }

  /** The API handed out by `activate()`. */
  readonly api: BatonGraphApi = {
    open: (uri, flow) => this.open(uri, flow),
    showRunEvent: (event, file) => this.showRunEvent(event, file),
    resetRun: () => {
      this.run = undefined;
      this.post({ type: 'runReset' });
    },
    snapshot: () => this.snapshot(),
    onDidRender: (listener) => {
      this.renderListeners.add(listener);
      return { dispose: () => this.renderListeners.delete(listener) };
    },
    reveal: (id) => this.reveal(id),
    showStoredRun: (runId) => this.showStoredRun(runId),
    toggleSubflow: (id) => this.toggleSubflow(id),
  };

  /**
   * Opens the panel beside the editor (or reveals it) and follows `uri` (default: the active `.flow` editor):
   * `flow`, or else the flow at that editor's cursor.
   */
  async open(target?: vscode.Uri | string, flow?: string): Promise<void> {
    const uri = typeof target === 'string' ? vscode.Uri.parse(target) : (target ?? activeFlowEditor()?.document.uri ?? this.uri);
    if (!uri) {
      void vscode.window.showWarningMessage('Open a .flow file to see its graph.');
      return;
    }
    if (this.panel) {
      this.panel.reveal(vscode.ViewColumn.Beside, true);
    } else {
      const panel = vscode.window.createWebviewPanel(GRAPH_VIEW_TYPE, 'Baton Graph', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, this.webviewOptions());
      this.attach(panel);
    }
    const editor = vscode.window.activeTextEditor?.document.uri.toString() === uri.toString() ? vscode.window.activeTextEditor : vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
    this.follow(uri, flow, flow === undefined ? editor?.selection.active : undefined);
  }

  /** Takes over a panel VS Code restored after a reload (the serializer) and follows what it showed. */
  async adopt(panel: vscode.WebviewPanel, state: SavedState | undefined): Promise<void> {
    if (this.panel) {
      // one graph panel at a time: a second restored one closes
      panel.dispose();
      return;
    }
    panel.webview.options = this.webviewOptions();
    this.attach(panel);
    const uri = state?.uri ? vscode.Uri.parse(state.uri) : activeFlowEditor()?.document.uri;
    if (uri) this.follow(uri, state?.flow);
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }

  private webviewOptions(): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.context.extensionUri, 'out', 'webview')], retainContextWhenHidden: false };
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    this.ready = false;
    const webview = panel.webview;
    const root = vscode.Uri.joinPath(this.context.extensionUri, 'out', 'webview');
    webview.html = graphPanelHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(18).toString('base64'),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'graph-panel.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'graph-panel.css')).toString(),
    });
    this.panelDisposables.push(
      webview.onDidReceiveMessage((message: WebviewToHostMessage) => this.receive(message)),
      panel.onDidChangeViewState(() => {
        // A hidden panel's page is discarded (no retained context); it sends `ready` again when shown.
        if (!panel.visible) this.ready = false;
      }),
      panel.onDidDispose(() => {
        for (const d of this.panelDisposables) d.dispose();
        this.panelDisposables = [];
        this.panel = undefined;
        this.ready = false;
      }),
    );
  }

  /** Follows `flow` of `uri` — or, given `position`, the flow declared there (the server decides: `GraphParams.position`). */
  private follow(uri: vscode.Uri, flow: string | undefined, position?: vscode.Position): void {
    const sameDocument = uri.toString() === this.uri?.toString();
    this.uri = uri;
    if (flow !== undefined || !sameDocument) this.flow = flow;
    if (!sameDocument) this.flowRanges = [];
    this.pendingPosition = position ? { line: position.line, character: position.character } : undefined;
    if (this.panel) this.panel.title = `Graph: ${path.basename(uri.path)}`;
    this.schedule(Date.now());
  }

  /**
   * Asks for the graph now — the server answers once the edit is linked — or, while a request is under way,
   * once it returns (a burst of typing costs one more request, not one per keystroke, and no fixed delay).
   */
  private schedule(editedAt: number): void {
    if (this.requesting) {
      this.queuedEdit ??= editedAt;
      return;
    }
    this.requesting = true;
    void this.refresh(editedAt).finally(() => {
      this.requesting = false;
      const queued = this.queuedEdit;
      this.queuedEdit = undefined;
      if (queued !== undefined) this.schedule(queued);
    });
  }

  /** Asks the server for the followed flow's graph and sends it to the page (stale answers are dropped). */
  private async refresh(editedAt: number): Promise<void> {
    const uri = this.uri;
    if (!uri || !this.panel) return;
    const requestId = ++this.requestId;
    this.requestStarted.set(requestId, editedAt);
    const position = this.pendingPosition;
    let result: GraphResult;
    const client = await this.client;
    if (!client) {
      result = { flows: [], error: 'the Baton language server is not running (see the "Baton" output)' };
    } else {
      try {
        result = await client.sendRequest(GraphRequest, { uri: uri.toString(), flow: this.flow, position, expand: [...this.expandedFor()] });
      } catch (error) {
        result = { flows: [], error: `the language server could not build the graph: ${(error as Error).message}` };
      }
    }
    // an edit (or another file) came while this one was under way: the next request answers it
    if (requestId !== this.requestId || this.queuedEdit !== undefined || uri.toString() !== this.uri?.toString()) return;
    if (this.pendingPosition === position) this.pendingPosition = undefined;
    this.flowRanges = result.flowRanges ?? [];
    if (result.flow && result.flow !== this.flow) {
      if (this.flow !== undefined && this.run) this.api.resetRun();
      this.flow = result.flow;
    }
    if (result.graph) this.graph = result.graph;
    else if (!result.error?.startsWith('line ')) this.graph = undefined;
    if (this.flow !== this.historyFlow) void this.refreshHistory();
    this.lastUpdate = { type: 'graph', requestId, uri: uri.toString(), title: path.basename(uri.path), flows: result.flows, flow: result.flow, graph: result.graph, error: result.error };
    this.post(this.lastUpdate);
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
    // the flow the cursor is in now is not a move into it: the picker's choice stands until the cursor moves to another flow
    this.cursorFlow = editor ? flowAt(this.flowRanges, editor.selection.active) : undefined;
    if (editor) this.highlightAt(editor.document, editor.selection.active);
  }

  /** The cursor moved: when it went into another flow than the one it was in, the panel draws that flow. */
  private followCursor(uri: vscode.Uri, position: vscode.Position): void {
    const at = flowAt(this.flowRanges, position);
    if (at === this.cursorFlow) return;
    this.cursorFlow = at;
    if (at !== undefined && at !== this.flow) this.follow(uri, at);
  }

  private highlightAt(document: vscode.TextDocument, position: vscode.Position): void {
    const id = this.graph ? nodeAtPosition(this.graph, document.uri.fsPath, position.line + 1, position.character + 1) : undefined;
    if (id === this.highlighted) return;
    this.highlighted = id;
    this.post({ type: 'highlight', id });
  }

  /**
   * Draws a run's event. A run of the drawn flow takes over the overlay; a run of another flow too when its file
   * is known (`file`, absolute: a run started from the editor), the panel then drawing that flow; runs of other
   * flows without a file are not drawn.
   */
  private showRunEvent(event: RunEvent, file?: string): void {
    if (event.type === 'run.started' || event.type === 'run.resumed') {
      const sameFile = !file || !this.uri || (this.uri.scheme === 'file' && path.resolve(this.uri.fsPath) === path.resolve(file));
      if (event.flow !== this.flow || !sameFile) {
        if (!this.panel || !file) return;
        this.follow(vscode.Uri.file(file), event.flow);
      }
      if (this.run?.runId !== event.runId) {
        this.run = { runId: event.runId, events: [] };
        this.post({ type: 'runReset' });
      }
    }
    if (!this.run || this.run.runId !== event.runId) return;
    this.run.events.push(event);
    this.post({ type: 'runEvent', event });
    // a run that stopped is stored: the picker lists it
    if (event.type === 'run.succeeded' || event.type === 'run.failed' || event.type === 'run.waiting' || event.type === 'run.cancelled') void this.refreshHistory();
  }

  /** The expanded sub-flow steps of the followed document's drawn flow (created empty). */
  private expandedFor(): Set<string> {
    const key = `${this.uri?.toString()}#${this.flow ?? ''}`;
    let set = this.expanded.get(key);
    if (!set) this.expanded.set(key, (set = new Set()));
    return set;
  }

  /** Opens or closes a sub-flow step (and everything opened inside it), then redraws at once. */
  private toggleSubflow(id: string): void {
    const set = this.expandedFor();
    if (set.has(id)) {
      for (const other of [...set]) if (other === id || other.startsWith(`${id}>`)) set.delete(other);
    } else {
      set.add(id);
    }
    if (this.uri) this.schedule(Date.now());
  }

  /** Reloads the drawn flow's stored runs into the run picker. A store that cannot be read leaves the picker empty. */
  private async refreshHistory(): Promise<void> {
    const flow = this.flow;
    this.historyFlow = flow;
    if (!flow || !this.historySource) return;
    let runs: RunSummary[];
    try {
      runs = await this.historySource.list(flow, this.uri?.scheme === 'file' ? this.uri.fsPath : undefined);
    } catch {
      runs = [];
    }
    if (flow !== this.flow) return; // the panel moved on meanwhile
    this.history = runs;
    this.post({ type: 'runHistory', runs, shown: this.run?.runId });
  }

  /**
   * History mode: draws a stored run of the drawn flow as if it were live (its events replayed), or none.
   * @returns false when the run's events could not be read (the reason is shown in a message).
   */
  private async showStoredRun(runId: string | undefined): Promise<boolean> {
    if (!runId) {
      this.run = undefined;
      this.post({ type: 'runReset' });
      return true;
    }
    if (!this.historySource) return false;
    let events: RunEvent[];
    let definition: string | undefined;
    try {
      ({ events, definition } = this.historySource.detail ? await this.historySource.detail(runId) : { events: await this.historySource.events(runId), definition: undefined });
    } catch (error) {
      void vscode.window.showErrorMessage(`Baton: run ${runId} could not be read: ${(error as Error).message}`);
      return false;
    }
    // a migrated run's earlier events read under the ids of the definition it executes now (and the file drawn)
    events = readAcrossMigrations(events);
    this.run = { runId, events, ...(definition ? { definition: definitionTitle(definition, events) } : {}) };
    this.post({ type: 'runReset', definition: this.run.definition });
    for (const event of events) this.post({ type: 'runEvent', event });
    return true;
  }

  /** Sends now when the page is ready; otherwise the message waits: on `ready` the page gets the current state. */
  private post(message: HostToWebviewMessage): void {
    if (this.panel && this.ready) void this.panel.webview.postMessage(message);
  }

  /** What a page that just sent `ready` needs: the latest graph, the run so far and the highlight, in that order. */
  private replay(): void {
    if (!this.panel) return;
    const messages: HostToWebviewMessage[] = [];
    if (this.lastUpdate) messages.push(this.lastUpdate);
    if (this.run) messages.push({ type: 'runReset', definition: this.run.definition }, ...this.run.events.map((event): HostToWebviewMessage => ({ type: 'runEvent', event })));
    if (this.history.length > 0) messages.push({ type: 'runHistory', runs: this.history, shown: this.run?.runId });
    if (this.highlighted) messages.push({ type: 'highlight', id: this.highlighted });
    for (const m of messages) void this.panel.webview.postMessage(m);
  }

  private receive(message: WebviewToHostMessage): void {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.replay();
        return;
      case 'reveal':
        void this.reveal(message.id);
        return;
      case 'selectFlow':
        if (this.uri) this.follow(this.uri, message.flow);
        return;
      case 'showRun':
        void this.showStoredRun(message.runId);
        return;
      case 'toggleSubflow':
        this.toggleSubflow(message.id);
        return;
      case 'export':
        void this.save(message);
        return;
      case 'rendered': {
        const started = this.requestStarted.get(message.requestId);
        this.requestStarted.delete(message.requestId);
        // edit → drawn: up to the page's drawnAt when its clock agrees with ours (same machine), else up to now
        const now = Date.now();
        const drawn = message.drawnAt !== undefined && started !== undefined && message.drawnAt >= started && message.drawnAt <= now ? message.drawnAt : now;
        const rendered = { ...message, totalMs: started !== undefined ? drawn - started : message.layoutMs };
        this.lastRendered = rendered;
        for (const l of this.renderListeners) l(rendered);
        return;
      }
      default:
        assertUnreachable(message);
    }
  }

  /** Reveals and selects a node's source range in its editor. @returns whether the node has a range. */
  private async reveal(id: string): Promise<boolean> {
    const range = this.graph?.nodes.find((n) => n.id === id)?.range;
    if (!range) return false;
    const uri = vscode.Uri.file(range.file);
    const selection = toRange(range);
    const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
    const document = visible?.document ?? (await vscode.workspace.openTextDocument(uri));
    const column = visible?.viewColumn ?? (this.panel?.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One);
    // a node of an expanded sub-flow lies in another flow: selecting it is not the cursor moving there
    if (uri.toString() === this.uri?.toString()) this.cursorFlow = flowAt(this.flowRanges, selection.end);
    const editor = await vscode.window.showTextDocument(document, { viewColumn: column, selection, preserveFocus: false });
    editor.revealRange(selection, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    return true;
  }

  private async save(message: Extract<WebviewToHostMessage, { type: 'export' }>): Promise<void> {
    const folder = this.uri ? vscode.Uri.joinPath(this.uri, '..') : vscode.workspace.workspaceFolders?.[0]?.uri;
    const name = `${message.flow}.${message.format}`;
    const target = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
      filters: message.format === 'svg' ? { 'SVG image': ['svg'] } : { 'PNG image': ['png'] },
      saveLabel: `Export ${message.format.toUpperCase()}`,
    });
    if (!target) {
      this.post({ type: 'exportResult', requestId: message.requestId, cancelled: true });
      return;
    }
    try {
      const bytes = message.format === 'svg' ? Buffer.from(message.data, 'utf8') : Buffer.from(message.data, 'base64');
      await vscode.workspace.fs.writeFile(target, bytes);
      this.exportRequests++;
      this.post({ type: 'exportResult', requestId: message.requestId, saved: vscode.workspace.asRelativePath(target) });
    } catch (error) {
      this.post({ type: 'exportResult', requestId: message.requestId, error: (error as Error).message });
    }
  }

  private snapshot(): GraphPanelSnapshot | undefined {
    if (!this.panel) return undefined;
    return {
      uri: this.uri?.toString(),
      flow: this.flow,
      flows: this.lastUpdate?.flows ?? [],
      nodes: this.graph?.nodes.map((n) => n.id) ?? [],
      error: this.lastUpdate?.error,
      highlighted: this.highlighted,
      ready: this.ready,
      lastRendered: this.lastRendered,
      runId: this.run?.runId,
      runEvents: this.run?.events.length ?? 0,
      runEventTypes: this.run?.events.map((e) => e.type) ?? [],
      runDefinition: this.run?.definition,
      history: this.history.map((r) => r.runId),
      expanded: [...this.expandedFor()],
      exports: this.exportRequests,
    };
  }
}

/** IR ranges are 1-based with an exclusive end; VS Code's are 0-based. */
function toRange(range: SourceRange): vscode.Range {
  return new vscode.Range(range.start.line - 1, range.start.column - 1, range.end.line - 1, range.end.column - 1);
}

const isFlowDocument = (document: vscode.TextDocument): boolean => document.languageId === 'baton' && (document.uri.scheme === 'file' || document.uri.scheme === 'untitled');

function activeFlowEditor(): vscode.TextEditor | undefined {
  const editor = vscode.window.activeTextEditor;
  return editor && isFlowDocument(editor.document) ? editor : undefined;
}

/** The flow whose declaration holds `position` (zero-based, both ends included), if any. */
function flowAt(ranges: { flow: string; range: LspRange }[], position: vscode.Position): string | undefined {
  for (const { flow, range } of ranges) {
    const { start, end } = range;
    if (position.line < start.line || position.line > end.line) continue;
    if (position.line === start.line && position.character < start.character) continue;
    if (position.line === end.line && position.character > end.character) continue;
    return flow;
  }
  return undefined;
}
