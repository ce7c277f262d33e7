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
  type WebviewToHostMessage,
} from '@baton/protocol';
import { nodeAtPosition } from '@baton/graph';
import type { BatonGraphApi, GraphPanelSnapshot, StoredRunView } from './api.js';
import { graphPanelHtml, readInlineAssets } from './graph-panel-html.js';
import { activeFlowEditor, exportDrawing, flowAt, isFlowDocument, toRange } from './graph-panel-editors.js';
import { chooseWritten, WRITTEN_SCHEME, WrittenTexts, writtenUri, type WrittenDrawing } from './graph-panel-written.js';
import { concerns, generatingStepOf, writtenEntryStep } from './written-flows.js';
import { followRunStatus } from './run-picker-status.js';

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
  /** A stored run's events, the SHA-256 (hex) of the definition it executes now, its file and written flows, as the source knows them. */
  detail?(runId: string): Promise<StoredRunView>;
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
    // a Runs view entry `<step> · flow <attempt>` (an accepted answer): the flow that step wrote; or (runId, which?)
    vscode.commands.registerCommand('baton.runs.showWrittenFlow', (arg?: { runId: string; key?: string } | string, which?: string) => {
      const runId = typeof arg === 'string' ? arg : arg?.runId;
      const step = typeof arg === 'object' ? writtenEntryStep(arg.key) : undefined;
      return runId ? controller.api.showWrittenFlow(runId, which ?? step) : Promise.resolve(false);
    }),
    vscode.workspace.registerTextDocumentContentProvider(WRITTEN_SCHEME, controller.texts),
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
  /** Whether the page answered a graph: until then requests ask for the layout too (the page draws without loading elkjs) and the run picker's store read (a CLI process) waits in `afterFirstDraw`. */
  private drawn = false;
  private afterFirstDraw: (() => void) | undefined;
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
  /** The flow an agent wrote in a run, when the panel draws one (graph-panel-written.ts), and the texts opened. */
  private written: WrittenDrawing | undefined;
  readonly texts = new WrittenTexts();

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
    showWrittenFlow: (runId, which) => this.showWrittenFlow(runId, which),
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
    if (uri?.scheme === WRITTEN_SCHEME) {
      // a written flow: drawn again from the store (its URI names the run and the definition)
      const query = new URLSearchParams(uri.query);
      if (query.get('run')) void this.showWrittenFlow(query.get('run')!, query.get('definition') ?? undefined);
      return;
    }
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
    this.drawn = false;
    const { webview } = panel, root = vscode.Uri.joinPath(this.context.extensionUri, 'out', 'webview');
    webview.html = graphPanelHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(18).toString('base64'),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'graph-panel.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'graph-panel.css')).toString(),
      elkUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'elk.js')).toString(),
      ...readInlineAssets(root.fsPath), // written into the page: not fetched through the webview's service worker
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
    if (!sameDocument) this.written = undefined;
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
    if (this.written) {
      // a written flow's graph is the stored one: no language server to ask
      this.graph = this.written.view.graph;
      this.lastUpdate = this.writtenUpdate(this.written, requestId);
      this.post(this.lastUpdate);
      return;
    }
    const position = this.pendingPosition;
    let result: GraphResult;
    const client = await this.client;
    if (!client) {
      result = { flows: [], error: 'the Baton language server is not running (see the "Baton" output)' };
    } else {
      try {
        result = await client.sendRequest(GraphRequest, { uri: uri.toString(), flow: this.flow, position, expand: [...this.expandedFor()], ...(this.drawn ? {} : { layout: true }) });
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
    if (this.flow !== this.historyFlow && this.drawn) void this.refreshHistory();
    else if (this.flow !== this.historyFlow) this.afterFirstDraw = () => void this.refreshHistory();
    this.lastUpdate = { type: 'graph', requestId, uri: uri.toString(), title: path.basename(uri.path), flows: result.flows, flow: result.flow, graph: result.graph, error: result.error, ...(result.layout ? { layout: result.layout } : {}) };
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
    const picked = this.written ? undefined : followRunStatus(this.history, this.historyFlow, event);
    if (picked) {
      this.history = picked;
      this.post({ type: 'runHistory', runs: picked, shown: this.run?.runId });
    }
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
    // a written flow drawn: only the run's own events and those of its nodes
    if (this.written && !concerns(this.written.nodes, event)) return;
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
    // `step s: run plan`: what it runs is the flow `plan` wrote in the drawn run
    const writer = this.written ? undefined : generatingStepOf(this.graph, id);
    if (writer !== undefined) {
      if (this.run) void this.showWrittenFlow(this.run.runId, writer);
      else void vscode.window.showInformationMessage(`Baton: ${id.slice(id.lastIndexOf('/') + 1)} runs the flow an agent writes during a run: run the flow, or pick a stored run, to see it.`);
      return;
    }
    if (this.written) return; // a written flow's graph is the stored one, nothing expanded
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
    if (this.written) {
      // a written flow has no stored runs of its own: the run it was written in is drawn
      this.history = [];
      this.post({ type: 'runHistory', runs: [], shown: this.run?.runId });
      return;
    }
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

  /**
   * Draws a flow an agent wrote in run `runId` (see {@link BatonGraphApi.showWrittenFlow}): opens the panel if needed,
   * sends the stored graph, then the run's events that concern it.
   */
  private async showWrittenFlow(runId: string, which?: string): Promise<boolean> {
    if (!this.historySource?.detail) return false;
    let detail: StoredRunView;
    try {
      detail = await this.historySource.detail(runId);
    } catch (error) {
      void vscode.window.showErrorMessage(`Baton: run ${runId} could not be read: ${(error as Error).message}`);
      return false;
    }
    const views = detail.written ?? [];
    const view = await chooseWritten(views, which);
    if (!view) {
      if (views.length === 0) void vscode.window.showInformationMessage(`Baton: no flow written by an agent was accepted in run ${runId}.`);
      else if (which !== undefined) void vscode.window.showInformationMessage(`Baton: run ${runId} has no written flow of ${which}.`);
      return false;
    }
    const runFlow = detail.events.find((e) => e.type === 'run.started')?.flow;
    const back = detail.file && runFlow ? { uri: vscode.Uri.file(detail.file), flow: runFlow } : this.written?.back;
    const uri = writtenUri(runId, view);
    this.texts.remember(uri, view);
    const nodes = new Set(view.graph.nodes.map((n) => n.id));
    this.written = { runId, view, uri, back, nodes };
    if (this.panel) this.panel.reveal(vscode.ViewColumn.Beside, true);
    else this.attach(vscode.window.createWebviewPanel(GRAPH_VIEW_TYPE, 'Baton Graph', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, this.webviewOptions()));
    this.panel!.title = `Graph: ${view.flow} (written)`;
    this.uri = uri;
    this.flow = view.flow;
    this.flowRanges = [];
    this.pendingPosition = undefined;
    this.cursorFlow = undefined;
    this.graph = view.graph;
    const requestId = ++this.requestId;
    this.requestStarted.set(requestId, Date.now());
    this.lastUpdate = this.writtenUpdate(this.written, requestId);
    this.post(this.lastUpdate);
    const events = readAcrossMigrations(detail.events).filter((e) => concerns(nodes, e));
    this.run = { runId, events, definition: `written by step ${view.step} · ${view.definition.replace(/^sha256:/, '').slice(0, 8)}` };
    this.post({ type: 'runReset', definition: this.run.definition });
    for (const event of events) this.post({ type: 'runEvent', event });
    void this.refreshHistory();
    return true;
  }

  /** The `graph` message of a written flow: its stored graph; the picker offers it and the run's flow (to go back). */
  private writtenUpdate(written: WrittenDrawing, requestId: number): Extract<HostToWebviewMessage, { type: 'graph' }> {
    const { view } = written;
    const flows = written.back && written.back.flow !== view.flow ? [written.back.flow, view.flow] : [view.flow];
    return { type: 'graph', requestId, uri: written.uri.toString(), title: path.basename(view.file), flows, flow: view.flow, graph: view.graph, written: { runId: written.runId, step: view.step } };
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
        if (this.written && message.flow !== this.written.view.flow) {
          // back from a written flow to the run's flow, the run drawn over it
          const { back, runId } = this.written;
          this.written = undefined;
          if (back) {
            this.follow(back.uri, back.flow);
            void this.showStoredRun(runId);
          }
          return;
        }
        if (this.uri && !this.written) this.follow(this.uri, message.flow);
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
        this.drawn = true;
        const next = this.afterFirstDraw;
        this.afterFirstDraw = undefined;
        next?.();
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
    // a written flow's node: its text, read-only
    const uri = this.written && range.file === this.written.view.file ? this.written.uri : vscode.Uri.file(range.file);
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
    // beside the drawn file (a written flow: beside the run's)
    const file = this.written ? this.written.back?.uri : this.uri;
    const result = await exportDrawing(message, file ? vscode.Uri.joinPath(file, '..') : vscode.workspace.workspaceFolders?.[0]?.uri);
    if (result.saved) this.exportRequests++;
    this.post(result);
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
      written: this.written && { runId: this.written.runId, step: this.written.view.step, flow: this.written.view.flow, definition: this.written.view.definition },
    };
  }
}
