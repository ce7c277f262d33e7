// `GET /runs/:id/definition` of `baton serve`: what the console's run page draws and shows beside a run — the graph
// of the definition the run executes (built here from the stored definition, as the editor's panel builds it from
// the IR) and the `.flow` texts it was compiled from, highlighted by the language's lexer. The run's log is not read
// (a page that wants a migration's old definition has it in its fold: `RunModel.migrations`).
import type http from 'node:http';
import type { FlowGraph, GraphGeometry, WorkflowDefinition } from '@baton/protocol';
import { buildFlowGraph } from '@baton/graph';
import { BatonError, definitionHash, type RunStoreApi } from '@baton/runtime';
import type { Access } from './access.js';
import { decodeSegment, HttpError, send } from './http-io.js';
import { GraphLayouts, type LayoutOutcome } from './layout-service.js';
import { sourceTokens, type SourceToken } from './source-tokens.js';

/** One `.flow` file of the definition: its text and its highlighting ({@link sourceTokens}). */
export interface DefinitionSource {
  /** As the definition names it (`WorkflowDefinition.files`). */
  file: string;
  text: string;
  tokens: SourceToken[];
}

/**
 * The answer of `GET /runs/:id/definition`. `sources` is empty when the store has no text for the definition (a run
 * started before the store kept sources, or by a client that sent none): `sourceError` then says so, and the graph
 * is still there.
 */
export interface DefinitionAnswer {
  /** The definition's SHA-256 hex (the hash the store keeps it by). */
  hash: string;
  /** The flow the run executes (after a migration, the new definition's). */
  flow: string;
  graph: FlowGraph;
  sources: DefinitionSource[];
  /** `SOURCE_NOT_STORED` with a sentence for people, when `sources` is empty. */
  sourceError?: { code: 'SOURCE_NOT_STORED'; message: string };
  /**
   * The drawing's geometry, laid out by the server (layout-service.ts: @baton/graph's layoutFlowGraph, the page's own)
   * for `graph` with the regions `folded` folded first (@baton/graph's panelFolds: what the page draws at first).
   * Absent when it was not ready within the server's budget, failed, or the graph is too large: `layoutNote` says
   * which, and the page lays the graph out itself.
   */
  layout?: { folded: string[]; geometry: GraphGeometry };
  /** Why `layout` is absent, a sentence for people. */
  layoutNote?: string;
  /**
   * The layout is being made and was not ready in time: `GET /runs/:id/definition?only=layout` asks for it again
   * (it then answers {@link LayoutAnswer}).
   */
  layoutPending?: true;
}

/** `GET /runs/:id/definition?only=layout`: the layout fields of {@link DefinitionAnswer} with its hash and flow. */
export type LayoutAnswer = Pick<DefinitionAnswer, 'hash' | 'flow' | 'layout' | 'layoutNote' | 'layoutPending'>;

/** What the route needs to send the layout beside the graph. */
export interface DefinitionLayouts {
  layouts: GraphLayouts;
  /** How long (ms) an answer waits for a layout that is not ready; past it, it goes without. */
  budgetMs: number;
}

/** Built graphs by `<hash>#<flow>` (the last {@link GRAPH_CACHE_SIZE}): a definition never changes under its hash. */
const GRAPH_CACHE_SIZE = 16;
const graphs = new Map<string, FlowGraph>();

/**
 * Answers `GET /runs/:id/definition` for an authenticated caller with the `read` permission, and nothing else.
 * @returns false when `path` is not this route (the caller goes on to the other routes).
 * @throws HttpError 404 `RUN_NOT_FOUND` (also another tenant's run), 404 `DEFINITION_MISSING` (the run's definition
 *   is not in the store: `getDefinition`'s `STORE_UNREADABLE`), 405 for another method, 401/403 from {@link Access}.
 */
export async function serveDefinition(req: http.IncomingMessage, res: http.ServerResponse, path: string, deps: { store: RunStoreApi; access: Access; now: () => Date; layouts?: DefinitionLayouts }): Promise<boolean> {
  const match = /^\/runs\/([^/]+)\/definition$/.exec(path);
  if (!match) return false;
  const caller = deps.access.authenticate(req, deps.now().getTime());
  if ((req.method ?? 'GET') !== 'GET') throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${path} takes GET`);
  deps.access.require(caller, 'read', 'read runs');
  const query = new URL(req.url ?? '/', 'http://host').searchParams;
  const only = query.get('only');
  if (only !== null && only !== 'layout') throw new HttpError(400, 'BAD_QUERY', `only must be layout (the only part that can be asked alone), not "${only.slice(0, 40)}"`);
  const generated = query.get('generated');
  if (generated !== null) {
    send(res, 200, await generatedDefinition(deps.store, decodeSegment(match[1]), { tenant: caller.tenant }, generated));
    return true;
  }
  send(res, 200, await runDefinition(deps.store, decodeSegment(match[1]), { tenant: caller.tenant }, deps.layouts, only === 'layout'));
  return true;
}

/**
 * See {@link serveDefinition}: the answer for run `runId` of `scope`'s tenant, with the layout of its graph when
 * `layouts` has it or makes it within its budget.
 */
export async function runDefinition(store: RunStoreApi, runId: string, scope: { tenant: string }, layouts?: DefinitionLayouts, layoutOnly = false): Promise<DefinitionAnswer | LayoutAnswer> {
  const run = await store.getRun(runId, scope);
  const stored = store.getDefinitionSources ? await store.getDefinitionSources(run.id, scope) : undefined;
  let definition: WorkflowDefinition;
  try {
    definition = await store.getDefinition(run.id);
  } catch (error) {
    if (error instanceof BatonError && error.code === 'STORE_UNREADABLE') {
      const named = stored?.definition ? ` sha256:${stored.definition}` : '';
      throw new HttpError(404, 'DEFINITION_MISSING', `the definition${named} of run ${run.id} is not in this store: no graph or source`);
    }
    throw error;
  }
  const hash = stored?.definition ?? definitionHash(definition);
  const key = `${hash}#${run.flow}`;
  let graph = graphs.get(key);
  if (!graph) {
    graph = buildFlowGraph(definition, run.flow);
    graphs.set(key, graph);
    if (graphs.size > GRAPH_CACHE_SIZE) graphs.delete(graphs.keys().next().value!);
  }
  const layout = layouts ? layoutFields(await within(layouts.layouts.layout(GraphLayouts.key(hash, run.flow), { flow: run.flow, graph }), layouts.budgetMs), graph) : {};
  if (layoutOnly) return { hash, flow: run.flow, ...layout };
  // the server's folders never reach a page: files are named relative to the folder that holds them all
  const local = localNames([...definition.files, ...(stored?.sources ?? []).map((s) => s.file)]);
  const sources = (stored?.sources ?? []).map((s) => ({ file: local(s.file), text: s.text, tokens: sourceTokens(s.text) }));
  const answer: DefinitionAnswer = { hash, flow: run.flow, graph: withLocalRanges(graph, local), sources };
  Object.assign(answer, layout);
  if (sources.length === 0) {
    answer.sourceError = { code: 'SOURCE_NOT_STORED', message: `the source of definition sha256:${hash} is not stored (the run started before this store kept sources)` };
  }
  return answer;
}

/**
 * `GET /runs/:id/definition?generated=sha256:<hex>`: a flow an agent wrote during run `runId` and its policy accepted
 * (docs/agents.md, "Flows written by agents") — the {@link DefinitionAnswer} of that stored definition, drawn from its
 * generated flow, with the generated file's text (the files it was checked beside are the run's own). No server
 * layout: the page lays it out.
 * @throws HttpError 400 `BAD_QUERY` (not a hash), 404 `RUN_NOT_FOUND`, 404 `GENERATED_NOT_FOUND` (no accepted
 *   `flow.generated` of this run names it), 404 `DEFINITION_MISSING`.
 */
export async function generatedDefinition(store: RunStoreApi, runId: string, scope: { tenant: string }, wanted: string): Promise<DefinitionAnswer> {
  const hash = /^(sha256:)?([0-9a-f]{64})$/.exec(wanted)?.[2];
  if (!hash) throw new HttpError(400, 'BAD_QUERY', `generated must be a definition hash (sha256:<64 hex digits>), not "${wanted.slice(0, 40)}"`);
  const run = await store.getRun(runId, scope);
  const accepted = (await store.getEvents(run.id)).find((e) => e.type === 'flow.generated' && e.accepted && e.definition === `sha256:${hash}`);
  if (!accepted || accepted.type !== 'flow.generated' || !accepted.flow) throw new HttpError(404, 'GENERATED_NOT_FOUND', `run ${run.id} generated no flow sha256:${hash}`);
  let definition: WorkflowDefinition;
  try {
    definition = await store.getDefinitionByHash(hash);
  } catch (error) {
    if (error instanceof BatonError && error.code === 'DEFINITION_NOT_FOUND') throw new HttpError(404, 'DEFINITION_MISSING', `the definition sha256:${hash} step ${accepted.step} generated is not in this store`);
    throw error;
  }
  const texts = (await store.getSourcesByHash(hash)).filter((s) => s.file === definition.files[0]);
  const local = localNames([...definition.files, ...texts.map((s) => s.file)]);
  const graph = buildFlowGraph(definition, accepted.flow);
  const sources = texts.map((s) => ({ file: local(s.file), text: s.text, tokens: sourceTokens(s.text) }));
  const answer: DefinitionAnswer = { hash, flow: accepted.flow, graph: withLocalRanges(graph, local), sources, layoutNote: `the page lays out ${accepted.flow}` };
  if (sources.length === 0) answer.sourceError = { code: 'SOURCE_NOT_STORED', message: `the source of the generated flow ${accepted.flow} is not stored` };
  return answer;
}

/** `promise`'s value, or undefined when it takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The answer's `layout` or `layoutNote` for a layout's outcome (undefined: not ready in time). */
function layoutFields(outcome: LayoutOutcome | undefined, graph: FlowGraph): Pick<DefinitionAnswer, 'layout' | 'layoutNote' | 'layoutPending'> {
  if (!outcome) return { layoutPending: true, layoutNote: `the server is still laying out ${graph.flow} (${graph.nodes.length.toLocaleString('en-US')} nodes)` };
  if ('geometry' in outcome) return { layout: { folded: outcome.folded, geometry: outcome.geometry } };
  if ('tooLarge' in outcome) return { layoutNote: `${graph.flow} has ${outcome.tooLarge.nodes.toLocaleString('en-US')} nodes (${outcome.tooLarge.drawn.toLocaleString('en-US')} folded): too large to draw` };
  return { layoutNote: `the server could not lay out ${graph.flow}: ${outcome.error}` };
}

/**
 * Names files relative to the deepest folder holding them all (`/srv/flows/a.flow`, `/srv/flows/lib/b.flow` →
 * `a.flow`, `lib/b.flow`), `/`-separated; a name not under it is kept as its last segment.
 */
export function localNames(files: readonly string[]): (file: string) => string {
  const split = (f: string) => f.replace(/\\/g, '/').split('/');
  const parts = files.map(split);
  let common = parts.length ? parts[0].length - 1 : 0;
  for (const p of parts) {
    let i = 0;
    while (i < common && i < p.length - 1 && p[i] === parts[0][i]) i++;
    common = i;
  }
  const base = parts.length ? parts[0].slice(0, common) : [];
  return (file) => {
    const p = split(file);
    return base.every((segment, i) => p[i] === segment) && p.length > base.length ? p.slice(base.length).join('/') : p[p.length - 1];
  };
}

/** `graph` with its nodes' `range.file` named by `local` (a copy; the cached graph is not changed). */
function withLocalRanges(graph: FlowGraph, local: (file: string) => string): FlowGraph {
  return { ...graph, nodes: graph.nodes.map((n) => (n.range ? { ...n, range: { ...n.range, file: local(n.range.file) } } : n)) };
}
