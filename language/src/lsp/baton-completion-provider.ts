import path from 'node:path';
import type { AstNodeDescription, LangiumDocument, LangiumDocuments, ReferenceInfo, Stream } from 'langium';
import { AstUtils, CstUtils, GrammarAST as Grammar, TextDocument as TextDocuments, UriUtils } from 'langium';
import {
  type CompletionAcceptor,
  type CompletionBacktrackingInformation,
  type CompletionContext,
  type CompletionProviderOptions,
  DefaultCompletionProvider,
  type NextFeature,
} from 'langium/lsp';
import { CompletionItemKind, InsertTextFormat, type CancellationToken, type CompletionItem, type CompletionList, type CompletionParams } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { BatonWorkspaceRoot } from '../baton-workspace.js';
import { importTarget } from '../baton-imports.js';
import { estimableFlows } from '../baton-join-checks.js';
import { NESTING_ERROR_PREFIX } from '../baton-parser.js';
import { answerFirst, type AnswerFirst } from './baton-answer-first.js';
import { reduceForCompletion, type ReducedText } from './baton-completion-text.js';
import { DECIDE_TOOL_PREFIX, decidableTools } from './baton-decide-completion.js';
import { BUILTIN_FUNCTIONS, GENERATE_KEYS, STUB_ONLY_FUNCTIONS, describeType } from '@baton/protocol';
import { mcpServersFor } from '../baton-mcp-config.js';
import type { BatonServices } from '../baton-module.js';
import type { BatonFlowChecks } from '../baton-flow-checks.js';
import { isActiveAt } from '../baton-region-checks.js';
import { BatonTypeSystem, fieldNames, memberType } from '../baton-type-system.js';
import { eventDataType, findEventDecl, visibleEventDecls } from '../baton-event-types.js';
import * as ast from '../generated/ast.js';
import { functionHover } from './baton-hover-provider.js';
import { GENERATE_KEY_DOCS, generateKeyMarkdown } from './baton-generate-hover.js';
import type { BatonClientOptions } from '../baton-client-options.js';

/**
 * Snippets offered beside a keyword wherever the grammar accepts that keyword (so `step …` only where a
 * statement may start, `agent …` only at the top level). Placeholders follow LSP snippet syntax.
 */
const KEYWORD_SNIPPETS: Record<string, { detail: string; body: string }> = {
  agent: { detail: 'agent with a stub', body: 'agent ${1:Name} {\n  model: "${2:openai/gpt-4o-mini}"\n  instructions: "$3"\n  stub: ${4:"ok"}\n}' },
  flow: { detail: 'flow with an input and a step', body: 'flow ${1:Name} {\n  input ${2:request}: ${3:string}\n\n  step ${4:first}: ${5:Agent} { prompt: "$6" }\n}' },
  test: { detail: 'test of a flow', body: 'test "${1:name}" {\n  flow: ${2:Flow}\n  input: { $3 }\n  expect: ${4:status == "succeeded"}\n}' },
  step: { detail: 'step calling an agent', body: 'step ${1:name}: ${2:Agent} {\n  prompt: "$3"\n}' },
  if: { detail: 'if block', body: 'if ${1:condition} {\n  $0\n}' },
  foreach: { detail: 'foreach loop', body: 'foreach ${1:item} in ${2:items} {\n  $0\n}' },
  parallel: { detail: 'parallel branches', body: 'parallel {\n  $0\n}' },
  branch: { detail: 'a branch of several statements', body: 'branch {\n  $0\n}' },
  lock: { detail: 'a critical section across runs', body: 'lock "${1:name}" {\n  $0\n}' },
  region: { detail: 'a cancellation region', body: 'region ${1:name} {\n  $0\n} on cancel {\n}' },
  approval: { detail: 'human approval', body: 'approval ${1:name} {\n  prompt: "$2"\n  assignee: "$3"\n  timeout: ${4:48h}\n}' },
};

/** The arms of `wait first { … }` by grammar rule, as completion offers them where an arm may start. */
const CHOICE_ARMS: Record<string, { label: string; word: string; detail: string; body: string }> = {
  ChoiceEventArm: { label: 'on event "…" { … }', word: 'event', detail: 'arm: an event comes first', body: 'on event "${1:name}" as ${2:received} {\n  $0\n}' },
  ChoiceApprovalArm: { label: 'on approval … { … }', word: 'approval', detail: 'arm: a person decides first', body: 'on approval ${1:name} {\n  prompt: "$2"\n  $0\n}' },
  ChoiceTimerArm: { label: 'on timeout … { … }', word: 'timeout', detail: 'arm: nothing came in time', body: 'on timeout ${1:3d} {\n  $0\n}' },
  ChoiceSignalArm: { label: 'on signal … { … }', word: 'signal', detail: 'arm: a branch raised a signal first', body: 'on signal ${1:name} {\n  $0\n}' },
};

/** Characters that open completion by themselves: `.` (members), `"` and `/` (import paths only). */
const TRIGGER_CHARACTERS = ['.', '"', '/'];

/** `import "partial` up to the cursor: the partial path is group 1. */
const IMPORT_PREFIX = /^\s*import\s+"([^"]*)$/;

/** `mcp.partial` up to the cursor (in `tools: [`): the partial server name is group 1. */
const MCP_SERVER_PREFIX = /\bmcp\s*\.\s*([\w-]*)$/;

/** `wait event "partial` / `trigger event "partial` / `foreach x in event "partial` up to the cursor: the partial event name is group 1. */
const EVENT_NAME_PREFIX = /\b(?:wait|trigger|in|until)\s+event\s+"([^"]*)$/;

/** `estimate("partial` up to the cursor: the partial flow name is group 1. */
const ESTIMATE_PREFIX = /\bestimate\s*\(\s*"([^"]*)$/;

/**
 * `step s: run partial` up to the cursor: the partial step name is group 1. Langium's completion parser reads `run`
 * followed by nothing as the step's target (a name: `run` is a soft keyword), so it never reaches `run`'s reference.
 */
const RUN_PREFIX = /\bstep\s+[_a-zA-Z]\w*\s*:\s*run\s+(\w*)$/;

/** Grammar rules whose keyword alternatives are names, not keywords to propose. */
const NAME_RULES = new Set(['RefName', 'Name', 'ValueName']);

/**
 * Completion of the Baton language server, on top of Langium's (keywords valid at the cursor, names in
 * scope across imports):
 * - after `x.` — the fields of `x`'s type: a step's `output`, `status`, …; the fields of its agent's
 *   `output` type after `step.output.`; through lists and records;
 * - after `set ` — the `var`s in scope there (and the keyword `output`);
 * - where an expression starts — the steps, approvals, `let` values, `var`s and loop variables readable at the
 *   cursor (not a later step, not a sibling `parallel` branch's, not another `if` branch's), and the
 *   built-in functions with their signatures (inserted as a snippet);
 * - inside `wait event "…"` / `trigger event "…"` — the declared events; after `where ` — the event's data fields;
 * - inside `estimate("…")` — the flows of the file and of the files it imports;
 * - inside `import "…"` — the other `.flow` files of the workspace (those loaded, inside the workspace
 *   folder, not imported yet), as paths relative to the file (`./agents/common.flow`), replacing what is
 *   between the quotes;
 * - beside the keywords `agent`, `flow`, `test`, `step`, `if`, `foreach`, `parallel`, `branch`, `lock` and `approval` (unless the client
 *   sends `keywordSnippets: false`, see BatonClientOptions), a
 *   snippet of the whole declaration, only where the grammar accepts the keyword;
 * - inside `tools: [` — the agents and flows (not the agent itself, nor those listed), `mcp` and `mcp.<server>` for
 *   the servers of the nearest baton.config.json; after `mcp.` — those servers;
 * - `turns(…)` and `call(…)` only inside a stub;
 * - soft keywords that only serve as names (`budget`, `tokens`, …) are not proposed as keywords.
 * `"` and `/` trigger completion only for import paths; elsewhere they answer an empty list.
 */
export class BatonCompletionProvider extends DefaultCompletionProvider {
  private readonly flowChecks: BatonFlowChecks;
  private readonly documents: LangiumDocuments;
  private readonly workspaceRoot: BatonWorkspaceRoot;
  private readonly clientOptions: BatonClientOptions;
  /** Holds the build's validation until the completions being computed are answered (see AnswerFirst). */
  private readonly answerFirst: AnswerFirst;

  override readonly completionOptions: CompletionProviderOptions = { triggerCharacters: TRIGGER_CHARACTERS };

  constructor(services: BatonServices) {
    super(services);
    this.flowChecks = services.validation.BatonFlowChecks;
    this.documents = services.shared.workspace.LangiumDocuments;
    this.workspaceRoot = services.baton.WorkspaceRoot;
    this.clientOptions = services.baton.ClientOptions;
    this.answerFirst = answerFirst(services.shared);
  }

  /** The completion at `params.position`; a build that linked `document` validates it after this answer is written. */
  override getCompletion(document: LangiumDocument, params: CompletionParams, cancelToken?: CancellationToken): Promise<CompletionList | undefined> {
    return this.answerFirst.track(() => this.complete(document, params, cancelToken));
  }

  private async complete(document: LangiumDocument, params: CompletionParams, cancelToken?: CancellationToken): Promise<CompletionList | undefined> {
    const text = document.textDocument;
    const lineStart = text.offsetAt({ line: params.position.line, character: 0 });
    const before = text.getText().slice(lineStart, text.offsetAt(params.position));
    const partial = IMPORT_PREFIX.exec(before);
    if (partial) return { isIncomplete: false, items: this.importPaths(document, params, partial[1]) };
    const eventName = EVENT_NAME_PREFIX.exec(before);
    if (eventName) return { isIncomplete: false, items: this.eventNames(document, params, eventName[1]) };
    const mcp = MCP_SERVER_PREFIX.exec(before);
    if (mcp && inToolsList(document, text.offsetAt(params.position))) {
      const start = { line: params.position.line, character: params.position.character - mcp[1].length };
      const items = mcpServersOf(document).map((server) => ({ label: server, kind: CompletionItemKind.Module, detail: 'MCP server (baton.config.json)', textEdit: { range: { start, end: params.position }, newText: server } }));
      return { isIncomplete: false, items };
    }
    const estimated = ESTIMATE_PREFIX.exec(before);
    if (estimated) {
      const start = { line: params.position.line, character: params.position.character - estimated[1].length };
      const items = estimableFlows(document, this.documents).map((flow) => ({ label: flow, kind: CompletionItemKind.Function, detail: 'flow (its worst case)', textEdit: { range: { start, end: params.position }, newText: flow } }));
      return { isIncomplete: false, items };
    }
    const trigger = params.context?.triggerCharacter;
    if (trigger === '"' || trigger === '/') return { isIncomplete: false, items: [] };
    const decided = DECIDE_TOOL_PREFIX.exec(before);
    if (decided) return { isIncomplete: false, items: decidableTools(document, params.position, decided[1], decided[2]) };
    const run = RUN_PREFIX.exec(before);
    if (run) return { isIncomplete: false, items: this.generatingSteps(document, params, run[1]) };
    // Langium's completion re-parses the text before the cursor with a parser of its own, which has no depth
    // guard (BatonParser's): a document the parser refused as too deep gets no completion rather than a stack
    // overflow, and the user sees its nesting-too-deep diagnostic instead
    if (tooDeepToComplete(document)) return { isIncomplete: false, items: [] };
    // Langium's completion, reading a reduced text (see completionParseText) while this request runs
    const reduced = this.completionParseText(document, text.offsetAt(params.position));
    this.reduced = reduced === undefined ? undefined : { text: text.getText(), ...reduced };
    try {
      return await super.getCompletion(document, params, cancelToken);
    } catch (error) {
      // a backstop for nesting the guard above did not see (the text before the cursor nests deeper than the
      // whole document's parse reported): no completion, never a failed request
      if (error instanceof RangeError) return { isIncomplete: false, items: [] };
      throw error;
    } finally {
      this.reduced = undefined;
    }
  }

  protected override completionForKeyword(context: CompletionContext, keyword: Grammar.Keyword, acceptor: CompletionAcceptor): void | Promise<void> {
    // inside `wait first {`: the four arms, each as a whole (`on event "…" { … }`), instead of a bare `on` (the parser's
    // lookahead may name only one arm's `on`; the same items offered again are merged by Langium's deduplication)
    if (keyword.value === 'on' && CHOICE_ARMS[AstUtils.getContainerOfType(keyword, Grammar.isParserRule)?.name ?? '']) {
      const snippets = this.clientOptions.keywordSnippets;
      for (const arm of Object.values(CHOICE_ARMS)) {
        acceptor(context, { label: arm.label, filterText: `on ${arm.word}`, kind: CompletionItemKind.Snippet, detail: arm.detail, insertText: snippets ? arm.body : `on ${arm.word} `, ...(snippets ? { insertTextFormat: InsertTextFormat.Snippet } : {}), sortText: '0' });
      }
      return;
    }
    // `tools: [` — beside `mcp`, the MCP servers of the nearest baton.config.json (`mcp.crm.`)
    if (keyword.value === 'mcp' && AstUtils.getContainerOfType(keyword, Grammar.isParserRule)?.name === 'ToolEntry') {
      for (const server of mcpServersOf(context.document)) {
        acceptor(context, { label: `mcp.${server}`, kind: CompletionItemKind.Module, detail: 'MCP server (baton.config.json): its tools are read when the step starts', insertText: `mcp.${server}.`, sortText: '1' });
      }
    }
    const result = super.completionForKeyword(context, keyword, acceptor);
    const snippet = KEYWORD_SNIPPETS[keyword.value];
    // a tool's `approval:` setting is no `approval` statement
    const ruleName = AstUtils.getContainerOfType(keyword, Grammar.isParserRule)?.name;
    if (snippet && ruleName !== 'ToolApprovalProperty' && this.clientOptions.keywordSnippets && this.filterKeyword(context, keyword)) {
      acceptor(context, { label: `${keyword.value} …`, filterText: keyword.value, kind: CompletionItemKind.Snippet, detail: snippet.detail, insertText: snippet.body, insertTextFormat: InsertTextFormat.Snippet, sortText: '9' });
    }
    return result;
  }


  /** The `.flow` files `document` could import, relative to it, replacing the text between the quotes. */
  private importPaths(document: LangiumDocument, params: CompletionParams, partial: string): CompletionItem[] {
    const text = document.textDocument;
    const lineText = text.getText({ start: { line: params.position.line, character: 0 }, end: { line: params.position.line + 1, character: 0 } });
    const closing = lineText.indexOf('"', params.position.character);
    const start = { line: params.position.line, character: params.position.character - partial.length };
    const end = closing >= 0 ? { line: params.position.line, character: closing } : params.position;
    const root = document.parseResult.value as ast.Document;
    const imported = new Set((root.imports ?? []).filter((i) => i.path).map((i) => importTarget(document, i.path).toString()));
    const folder = UriUtils.dirname(document.uri);
    const items: CompletionItem[] = [];
    for (const other of this.documents.all) {
      const uri = other.uri;
      if (uri.toString() === document.uri.toString() || imported.has(uri.toString()) || !uri.path.endsWith('.flow')) continue;
      if (uri.scheme === 'file' && !this.workspaceRoot.contains(uri.fsPath)) continue;
      let relative = path.posix.relative(folder.path, uri.path);
      if (!relative.startsWith('../')) relative = `./${relative}`;
      items.push({ label: relative, kind: CompletionItemKind.File, textEdit: { range: { start, end }, newText: relative } });
    }
    return items.sort((a, b) => a.label.localeCompare(b.label));
  }

  /** The current request's text with list elements blanked (see reduceForCompletion), while it runs. */
  private reduced: (ReducedText & { text: string }) | undefined;


  /**
   * The text completion tokenizes and parses (see completionText): the document's text with list elements
   * that cannot change the result blanked; undefined to read the text as it is.
   */
  protected completionParseText(document: LangiumDocument, offset: number): ReducedText | undefined {
    return reduceForCompletion(document, offset);
  }

  /**
   * Langium's, on the compact reduced text: the same features (they depend on the tokens before `offset`, which
   * blanked runs do not change), without re-lexing and re-parsing thousands of statements. Langium reads the text
   * up to `offset` through the document's `positionAt` and `getText(range)`; the view answers them in the compact
   * text's offsets.
   */
  protected override findFeaturesAt(document: TextDocument, offset: number): NextFeature[] {
    const reduced = this.reduced;
    if (!reduced || document.getText() !== reduced.text) return super.findFeaturesAt(document, offset);
    const compact = TextDocuments.create(document.uri, document.languageId, document.version, reduced.compact);
    return super.findFeaturesAt(compact, reduced.compactOffset(offset));
  }

  protected override backtrackToAnyToken(text: string, offset: number): CompletionBacktrackingInformation {
    const reduced = this.reduced;
    return super.backtrackToAnyToken(reduced && text === reduced.text ? reduced.reduced : text, offset);
  }

  protected override completionFor(context: CompletionContext, next: NextFeature, acceptor: CompletionAcceptor): void | Promise<void> {
    if (next.property === 'member' && !next.type) return this.completeMember(context, acceptor);
    if (next.property === 'path' && (next.type === 'Correlation' || ast.isCorrelation(context.node) || ast.isWaitStatement(context.node) || ast.isEventSource(context.node) || ast.isEndEvent(context.node))) return this.completeCorrelation(context, acceptor);
    if (next.property === 'signal' && (next.type === 'WaitStatement' || ast.isWaitStatement(context.node))) return this.completeSignals(context, acceptor);
    if (next.property === 'key' && (next.type === 'GenerateEntry' || ast.isGenerateProperty(context.node))) return this.completeGenerateKeys(context, acceptor);
    if (Grammar.isKeyword(next.feature)) {
      const rule = AstUtils.getContainerOfType(next.feature, Grammar.isParserRule);
      if (rule && NAME_RULES.has(rule.name)) return;
    }
    const result = super.completionFor(context, next, acceptor);
    if (Grammar.isCrossReference(next.feature) && (next.type === 'NameRef' || (ast.isNameRef(context.node) && next.property === 'ref'))) {
      this.completeFunctions(context, acceptor);
    }
    return result;
  }

  protected override getReferenceCandidates(refInfo: ReferenceInfo, context: CompletionContext): Stream<AstNodeDescription> {
    const candidates = super.getReferenceCandidates(refInfo, context);
    // `set |`: the vars that can be set here (`set output.` is its own keyword path)
    if (refInfo.property === 'variable' && (ast.isSetStatement(refInfo.container) || refInfo.container.$type === 'SetStatement')) {
      const position = context.node ?? refInfo.container;
      return candidates.filter((d) => d.type === ast.VarStatement.$type && (!d.node || this.flowChecks.isReadableAt(position, d.node)));
    }
    // `cancel |`, `complete |`: the regions (and, after `cancel`, steps) that can be running there
    if (refInfo.property === 'target' && (ast.isCancelStatement(refInfo.container) || ast.isCompleteStatement(refInfo.container))) {
      const at = refInfo.container;
      return candidates.filter((d) => !d.node || ((ast.isRegionStatement(d.node) || ast.isStep(d.node)) && isActiveAt(d.node, at)));
    }
    // `run |`: the steps that write a flow (`generate { … }`)
    if (refInfo.property === 'generated') return candidates.filter((d) => !d.node || (ast.isStep(d.node) && d.node.properties.some(ast.isGenerateProperty)));
    // `tools: [`: the agents and flows, but not the agent itself nor those already listed
    if (refInfo.property === 'target' && (ast.isToolEntry(refInfo.container) || refInfo.container.$type === 'ToolEntry' || ast.isToolsProperty(refInfo.container))) {
      const agent = AstUtils.getContainerOfType(context.node ?? refInfo.container, ast.isAgentDecl);
      const listed = new Set((agent?.properties.find(ast.isToolsProperty)?.tools ?? []).filter((t) => t !== refInfo.container && t.target?.ref).map((t) => t.target!.ref!.name));
      return candidates.filter((d) => d.name !== agent?.name && !listed.has(d.name));
    }
    if (refInfo.property !== 'ref' || !(ast.isNameRef(refInfo.container) || refInfo.container.$type === 'NameRef')) return candidates;
    const position = context.node ?? refInfo.container;
    return candidates.filter((d) => !d.node || this.flowChecks.isReadableAt(position, d.node));
  }

  /**
   * After `step s: run `: the steps of the flow that write a flow (an agent with `output: flow`, a `generate { … }`
   * policy) and can be read there (earlier, not in a sibling branch), replacing the partial name.
   */
  private generatingSteps(document: LangiumDocument, params: CompletionParams, partial: string): CompletionItem[] {
    const root = document.parseResult.value.$cstNode;
    const offset = document.textDocument.offsetAt(params.position);
    const at = root && CstUtils.findLeafNodeBeforeOffset(root, offset)?.astNode;
    const flow = at && AstUtils.getContainerOfType(at, ast.isFlowDecl);
    if (!flow) return [];
    const current = AstUtils.getContainerOfType(at, ast.isStep);
    const start = { line: params.position.line, character: params.position.character - partial.length };
    const items: CompletionItem[] = [];
    for (const node of AstUtils.streamAllContents(flow)) {
      if (!ast.isStep(node) || node === current || !node.name || !node.properties.some(ast.isGenerateProperty) || !this.fuzzyMatcher.match(partial, node.name)) continue;
      if (!this.flowChecks.isReadableAt(current ?? at, node)) continue;
      const agent = node.target?.ref?.name ?? node.target?.$refText;
      items.push({ label: node.name, kind: CompletionItemKind.Reference, detail: `runs the flow ${agent ? `${agent} writes` : 'this step writes'}`, textEdit: { range: { start, end: params.position }, newText: node.name }, sortText: '0' });
    }
    return items;
  }

  /** `generate { |`: the policy's keys not given yet (docs/agents.md, Flows written by agents). */
  private completeGenerateKeys(context: CompletionContext, acceptor: CompletionAcceptor): void {
    const policy = AstUtils.getContainerOfType(context.node, ast.isGenerateProperty);
    const given = new Set(policy?.entries.map((e) => e.key) ?? []);
    for (const key of Object.keys(GENERATE_KEYS) as (keyof typeof GENERATE_KEYS)[]) {
      if (given.has(key)) continue;
      acceptor(context, { label: key, kind: CompletionItemKind.Property, detail: GENERATE_KEY_DOCS[key].takes.replace(/`/g, ''), documentation: { kind: 'markdown', value: generateKeyMarkdown(key)! }, insertText: `${key}: `, sortText: '0' });
    }
  }

  /** The fields of the value before the dot. */
  private completeMember(context: CompletionContext, acceptor: CompletionAcceptor): void {
    let receiver = context.node;
    // `a.output.` or `a.output.te|`: the node at the cursor is the member access being written
    if (ast.isMemberAccess(receiver) && (receiver.member === undefined || (receiver.$cstNode && receiver.$cstNode.end >= context.tokenEndOffset))) {
      receiver = receiver.receiver;
    }
    if (!receiver || !isExpression(receiver)) return;
    const type = new BatonTypeSystem(this.documents).typeOf(receiver);
    for (const name of fieldNames(type) ?? []) {
      const fieldType = memberType(type, name);
      acceptor(context, { label: name, kind: CompletionItemKind.Field, detail: fieldType ? describeType(fieldType) : undefined, sortText: '0' });
    }
  }

  /** After `wait signal `: the signals the flow raises (`signal s` anywhere in it). */
  private completeSignals(context: CompletionContext, acceptor: CompletionAcceptor): void {
    const flow = AstUtils.getContainerOfType(context.node, ast.isFlowDecl);
    if (!flow) return;
    const names = new Set<string>();
    for (const node of AstUtils.streamAllContents(flow)) if (ast.isSignalStatement(node) && node.name) names.add(node.name);
    for (const name of names) acceptor(context, { label: name, kind: CompletionItemKind.Event, detail: 'signal raised in this flow', sortText: '0' });
  }

  /** After `where ` (and `where a.`): the fields of the awaited event's declared data (at that path). */
  private completeCorrelation(context: CompletionContext, acceptor: CompletionAcceptor): void {
    // a `wait event`'s or an event loop's (`foreach x in event "…" where …`)
    const wait = AstUtils.getContainerOfType(context.node, (n): n is ast.WaitStatement | ast.EventSource | ast.EndEvent => ast.isWaitStatement(n) || ast.isEndEvent(n) || ast.isEventSource(n));
    if (!wait) return;
    let type = eventDataType(findEventDecl(wait, wait.event, this.documents));
    // the path written before the cursor (`where order.` → into `order`)
    const written = context.textDocument.getText().slice(0, context.tokenOffset);
    const path = /\bwhere\s+((?:[\w]+\s*\.\s*)*)$/.exec(written)?.[1].split('.').map((p) => p.trim()).filter(Boolean) ?? [];
    for (const part of path) type = memberType(type, part) ?? { kind: 'any' };
    for (const name of fieldNames(type) ?? []) {
      const fieldType = memberType(type, name);
      acceptor(context, { label: name, kind: CompletionItemKind.Field, detail: fieldType ? describeType(fieldType) : undefined, sortText: '0' });
    }
  }

  /** Inside `wait event "…` / `trigger event "…`: the events declared in the file and the files it imports, replacing what is between the quotes. */
  private eventNames(document: LangiumDocument, params: CompletionParams, partial: string): CompletionItem[] {
    const root = document.parseResult.value;
    const start = { line: params.position.line, character: params.position.character - partial.length };
    return visibleEventDecls(root, this.documents).map((decl) => ({
      label: decl.name,
      kind: CompletionItemKind.Event,
      detail: `event: ${describeType(eventDataType(decl))}`,
      textEdit: { range: { start, end: params.position }, newText: decl.name },
    }));
  }

  private completeFunctions(context: CompletionContext, acceptor: CompletionAcceptor): void {
    // `turns(…)` and `call(…)` only where they are allowed: in an agent's (or a test's) stub
    const inStub = !!context.node && !!AstUtils.getContainerOfType(context.node, (n) => ast.isStubProperty(n) || ast.isTestStubProperty(n));
    for (const fn of BUILTIN_FUNCTIONS) {
      if (STUB_ONLY_FUNCTIONS.has(fn.name) && !inStub) continue;
      acceptor(context, {
        label: fn.name,
        kind: CompletionItemKind.Function,
        detail: `${fn.name}(${fn.params.map((p) => `${p.name}${p.optional ? '?' : ''}`).join(', ')}) → ${describeType(fn.returns)}`,
        documentation: { kind: 'markdown', value: functionHover(fn) },
        insertText: fn.params.length === 0 ? `${fn.name}()` : `${fn.name}($1)`,
        insertTextFormat: InsertTextFormat.Snippet,
        sortText: '2',
      });
    }
  }
}

/** The MCP servers of the baton.config.json nearest the document (none for a document not on disk). */
function mcpServersOf(document: LangiumDocument): string[] {
  return document.uri.scheme === 'file' ? (mcpServersFor(document.uri.fsPath)?.servers ?? []) : [];
}

/** Whether `offset` is inside an agent's `tools: [...]` (the token before it belongs to one). */
function inToolsList(document: LangiumDocument, offset: number): boolean {
  const root = document.parseResult.value.$cstNode;
  const leaf = root && CstUtils.findLeafNodeBeforeOffset(root, offset);
  return !!leaf && !!AstUtils.getContainerOfType(leaf.astNode, (n) => ast.isToolsProperty(n) || ast.isToolEntry(n));
}

function isExpression(node: { $type: string }): node is ast.Expression {
  return ast.reflection.isSubtype(node.$type, ast.Expression.$type);
}

/**
 * True when the document's parse hit BatonParser's depth guard (a `nesting-too-deep` error): completion's
 * own parser would recurse as deep as the text and overflow the stack.
 */
function tooDeepToComplete(document: LangiumDocument): boolean {
  return document.parseResult.parserErrors.some((e) => e.message.startsWith(NESTING_ERROR_PREFIX));
}
