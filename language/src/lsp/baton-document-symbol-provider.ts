import type { AstNode, CstNode, DocumentBuilder, LangiumDocument, WorkspaceLock } from 'langium';
import { DocumentState, GrammarUtils, isOperationCancelled } from 'langium';
import type { DocumentSymbolProvider, NodeKindProvider } from 'langium/lsp';
import { CancellationToken, SymbolKind, type DocumentSymbol, type DocumentSymbolParams, type Range } from 'vscode-languageserver';
import type { BatonServices } from '../baton-module.js';
import * as ast from '../generated/ast.js';
import { entryNameRange } from '../baton-tool-checks.js';

/** Longest condition or expression text shown in a block's outline name, in characters. */
const MAX_EXPRESSION = 40;

/**
 * The outline of a `.flow` file: its agents (each holding its tools), types, flows and tests in source order. A flow holds its
 * inputs, outputs and `sla` (a symbol `sla` whose detail is the duration), then its steps, approvals and `let` values nested as in the source: each `if` /
 * `else if` / `else`, `switch` / `case` / `default`, `parallel` (with its `branch N` blocks), `foreach` (with its loop variable) and
 * `repeat` block is a symbol (kind `Namespace`, named after its header, e.g. `foreach system in
 * intake.output.systems`) holding the statements inside it. A declaration without a name yet (a file
 * being typed) is left out and its contents move up a level, so a half-written file still has an outline.
 * Kinds come from {@link BatonNodeKindProvider}.
 *
 * A tool's detail (`tool: flow` / `tool: agent`) resolves the tool's reference, so a request for a document not
 * linked yet (Langium answers `textDocument/documentSymbol` from the `Parsed` state, e.g. for a file just opened
 * at start-up) first waits until the builder has linked it; before, it resolved references mid-build and Langium
 * logged "Attempted reference resolution before document reached ComputedScopes state". A cancelled request
 * rejects with Langium's OperationCancelled.
 */
export class BatonDocumentSymbolProvider implements DocumentSymbolProvider {
  private readonly kinds: NodeKindProvider;
  private readonly builder: DocumentBuilder;
  private readonly lock: WorkspaceLock;
  /** Whether the document being outlined is linked (its tools' references may be resolved). */
  private linked = false;

  constructor(services: BatonServices) {
    this.kinds = services.shared.lsp.NodeKindProvider;
    this.builder = services.shared.workspace.DocumentBuilder;
    this.lock = services.shared.workspace.WorkspaceLock;
  }

  async getSymbols(document: LangiumDocument, _params?: DocumentSymbolParams, cancelToken: CancellationToken = CancellationToken.None): Promise<DocumentSymbol[]> {
    if (document.state < DocumentState.Linked) {
      try {
        // linked, or no build running or queued (a read action runs: none is coming), whichever is first
        await Promise.race([this.builder.waitUntil(DocumentState.Linked, document.uri, cancelToken), this.lock.read(() => undefined)]);
      } catch (error) {
        if (isOperationCancelled(error)) throw error;
        // Langium refuses to wait (the document was left out of a build): answer without resolving references
      }
    }
    this.linked = document.state >= DocumentState.Linked;
    const root = document.parseResult.value as ast.Document;
    return (root.elements ?? []).flatMap((element) => this.declaration(element));
  }

  private declaration(element: ast.TopLevel): DocumentSymbol[] {
    if (ast.isFlowDecl(element)) {
      const children = [...element.members.flatMap((m) => this.member(m)), ...this.statements(element.body)];
      return this.named(element, children, undefined);
    }
    if (ast.isAgentDecl(element)) return this.named(element, this.tools(element), element.properties.find(ast.isModelProperty)?.value);
    if (ast.isTypeDecl(element)) return this.named(element, [], element.type?.$cstNode ? short(element.type.$cstNode.text) : undefined);
    if (ast.isEventDecl(element)) {
      const data = element.properties.find(ast.isEventDataProperty)?.type?.$cstNode;
      return this.named(element, [], data ? `event: ${short(data.text)}` : 'event');
    }
    return this.named(element, [], 'test');
  }

  /** An agent's tools: one symbol per entry of `tools: [...]`, named as written (`LookupOrder`, `mcp.crm.search`). */
  private tools(agent: ast.AgentDecl): DocumentSymbol[] {
    return (agent.properties.find(ast.isToolsProperty)?.tools ?? []).flatMap((entry) => {
      const cst = entry.$cstNode;
      const range = entryNameRange(entry);
      if (!cst || !range) return [];
      const name = entry.isMcp ? `mcp.${entry.server ?? '?'}.${entry.tool ?? '?'}` : (entry.target?.$refText ?? '?');
      const target = this.linked ? entry.target?.ref : undefined;
      const detail = entry.isMcp ? 'tool: MCP' : ast.isFlowDecl(target) ? 'tool: flow' : ast.isAgentDecl(target) ? 'tool: agent' : 'tool';
      return [{ name, detail, kind: SymbolKind.Function, range: cst.range, selectionRange: range, children: [] }];
    });
  }

  private member(member: ast.FlowMember): DocumentSymbol[] {
    if (ast.isInputDecl(member)) return this.named(member, [], `input: ${member.type?.$cstNode ? short(member.type.$cstNode.text) : '?'}`);
    if (ast.isOutputDecl(member)) return this.named(member, [], `output: ${member.type?.$cstNode ? short(member.type.$cstNode.text) : '?'}`);
    // `sla 4h`: a symbol `sla` with its duration, beside the inputs and outputs
    if (ast.isSlaDecl(member) && member.$cstNode) return [{ name: 'sla', detail: member.duration?.$cstNode?.text ?? '?', kind: SymbolKind.Property, range: member.$cstNode.range, selectionRange: keywordRange(member.$cstNode, 'sla'), children: [] }];
    return [];
  }

  private statements(statements: ast.Statement[]): DocumentSymbol[] {
    return statements.flatMap((s) => this.statement(s));
  }

  private statement(statement: ast.Statement): DocumentSymbol[] {
    const cst = statement.$cstNode;
    if (!cst) return [];
    if (ast.isStep(statement)) return this.named(statement, [], statement.target?.$refText ? `→ ${statement.target.$refText}` : undefined);
    if (ast.isApprovalStatement(statement)) {
      const branch = statement.timeoutBranch;
      const escalation = branch?.$cstNode ? [block('on timeout', branch.$cstNode.range, keywordRange(branch.$cstNode, 'on'), this.statements(branch.body))] : [];
      return this.named(statement, escalation, 'approval');
    }
    if (ast.isLetStatement(statement)) return this.named(statement, [], 'let');
    if (ast.isVarStatement(statement)) return this.named(statement, [], 'var');
    if (ast.isWaitStatement(statement) && statement.isFirst) {
      // `wait first` with its arms: a named arm is a symbol of its name (`payment`, `write_off`), the others `on …`
      const arms = statement.arms.flatMap((arm) => {
        if (!arm.$cstNode) return [];
        const body = this.statements(arm.body);
        if (ast.isApprovalStatement(arm)) return this.named(arm, body, 'on approval');
        if (arm.isEvent && arm.name) return this.named(arm, body, `on event "${arm.event ?? ''}"`);
        const head = arm.isEvent ? `on event "${arm.event ?? ''}"` : arm.isSignal ? `on signal ${arm.signal ?? ''}` : `on timeout ${arm.duration?.value ?? ''}`;
        return [block(head, arm.$cstNode.range, keywordRange(arm.$cstNode, 'on'), body)];
      });
      return [block('wait first', cst.range, keywordRange(cst, 'wait'), arms)];
    }
    if (ast.isWaitStatement(statement) && statement.isSignal) {
      const branch = statement.timeoutBranch;
      const expiry = branch?.$cstNode ? [block('on timeout', branch.$cstNode.range, keywordRange(branch.$cstNode, 'on'), this.statements(branch.body))] : [];
      return [block(`wait signal ${statement.signal ?? ''}`, cst.range, keywordRange(cst, 'wait'), expiry)];
    }
    if (ast.isSignalStatement(statement)) return [block(`signal ${statement.name ?? ''}`, cst.range, keywordRange(cst, 'signal'), [])];
    if (ast.isWaitStatement(statement) && statement.isUntil) {
      const branch = statement.timeoutBranch;
      const expiry = branch?.$cstNode ? [block('on timeout', branch.$cstNode.range, keywordRange(branch.$cstNode, 'on'), this.statements(branch.body))] : [];
      return [block(`wait until ${expression(statement.condition)}`, cst.range, keywordRange(cst, 'wait'), expiry)];
    }
    if (ast.isWaitStatement(statement) && statement.isEvent) {
      // `wait event "x" as name`: a symbol named after the wait, with its `on timeout` arm
      const branch = statement.timeoutBranch;
      const arm = branch?.$cstNode ? [block('on timeout', branch.$cstNode.range, keywordRange(branch.$cstNode, 'on'), this.statements(branch.body))] : [];
      if (statement.name) return this.named(statement, arm, `event "${statement.event ?? ''}"`);
      return arm.length ? [block(`wait event "${statement.event ?? ''}"`, cst.range, keywordRange(cst, 'wait'), arm)] : [];
    }
    if (ast.isIfStatement(statement)) return this.ifChain(statement, 'if');
    if (ast.isSwitchStatement(statement)) {
      const closes = GrammarUtils.findNodesForKeyword(cst, '}');
      const cases = statement.cases.flatMap((c) => (c.$cstNode ? [block(`case ${short(c.values.map((v) => v.$cstNode?.text ?? '').join(', '))}`, c.$cstNode.range, keywordRange(c.$cstNode, 'case'), this.statements(c.body))] : []));
      const defaultKeyword = GrammarUtils.findNodeForKeyword(cst, 'default');
      if (defaultKeyword) {
        const end = closes.length >= 2 ? closes[closes.length - 2].range.end : cst.range.end;
        cases.push(block('default', { start: defaultKeyword.range.start, end }, defaultKeyword.range, this.statements(statement.defaultBody)));
      }
      return [block(`switch ${expression(statement.subject)}`, cst.range, keywordRange(cst, 'switch'), cases)];
    }
    if (ast.isParallelStatement(statement)) {
      // a `branch { … }` is `branch N` (its place among the parallel's branches, from 1)
      const branches = statement.branches.flatMap((b, i) => {
        if (!ast.isBranchBlock(b)) return this.statement(b);
        return b.$cstNode ? [block(`branch ${i + 1}`, b.$cstNode.range, keywordRange(b.$cstNode, 'branch'), this.statements(b.body))] : [];
      });
      return [block(parallelHeader(statement), cst.range, keywordRange(cst, 'parallel'), branches)];
    }
    if (ast.isForeachStatement(statement)) {
      const variable = statement.variable ? this.named(statement.variable, [], 'loop variable') : [];
      const over = statement.source ? `event ${statement.source.event ?? '?'}` : expression(statement.items);
      const name = `foreach ${statement.variable?.name ?? '?'} in ${over}${joinHeader(statement.join)}`;
      return [block(name, cst.range, keywordRange(cst, 'foreach'), [...variable, ...this.statements(statement.body)])];
    }
    if (ast.isLockStatement(statement)) {
      // `lock "name"` with its body, and its `on timeout` arm beside
      const branch = statement.timeoutBranch;
      const arm = branch?.$cstNode ? [block('on timeout', branch.$cstNode.range, keywordRange(branch.$cstNode, 'on'), this.statements(branch.body))] : [];
      return [block(`lock ${short(statement.name?.$cstNode?.text ?? '')}`, cst.range, keywordRange(cst, 'lock'), [...this.statements(statement.body), ...arm])];
    }
    if (ast.isRegionStatement(statement)) {
      // `region fulfil` with its body, and its `on cancel` arm beside
      const branch = statement.cancelBranch;
      const arm = branch?.$cstNode ? [block('on cancel', branch.$cstNode.range, keywordRange(branch.$cstNode, 'on'), this.statements(branch.body))] : [];
      return this.named(statement, [...this.statements(statement.body), ...arm], 'region');
    }
    if (ast.isRepeatStatement(statement)) return [block(`repeat until ${expression(statement.until)}`, cst.range, keywordRange(cst, 'repeat'), this.statements(statement.body))];
    return [];
  }

  /** `if` (or `else if`) with its body, then its `else if` / `else` as siblings. */
  private ifChain(statement: ast.IfStatement, label: 'if' | 'else if'): DocumentSymbol[] {
    const cst = statement.$cstNode!;
    const closes = GrammarUtils.findNodesForKeyword(cst, '}');
    const ifKeyword = keywordRange(cst, 'if');
    const thenEnd = closes[0]?.range.end ?? cst.range.end;
    const symbols = [block(`${label} ${expression(statement.condition)}`, { start: cst.range.start, end: thenEnd }, ifKeyword, this.statements(statement.body))];
    if (statement.elseIf?.$cstNode) symbols.push(...this.ifChain(statement.elseIf, 'else if'));
    else {
      const elseKeyword = GrammarUtils.findNodeForKeyword(cst, 'else');
      if (elseKeyword) symbols.push(block('else', { start: elseKeyword.range.start, end: cst.range.end }, elseKeyword.range, this.statements(statement.elseBody)));
    }
    return symbols;
  }

  /** The symbol of a named declaration; without a name yet, its children in its place. */
  private named(node: AstNode & { name?: string }, children: DocumentSymbol[], detail: string | undefined): DocumentSymbol[] {
    const nameNode = GrammarUtils.findNodeForProperty(node.$cstNode, 'name');
    if (!node.name || !nameNode || !node.$cstNode) return children;
    return [{ name: node.name, detail, kind: this.kinds.getSymbolKind(node), range: node.$cstNode.range, selectionRange: nameNode.range, children }];
  }
}

/** `parallel`, `parallel concurrency 1`, `parallel first 2 keep`. */
function parallelHeader(statement: ast.ParallelStatement): string {
  return `parallel${statement.concurrency ? ` concurrency ${statement.concurrency.value}` : ''}${joinHeader(statement.join)}`;
}

/** ` first 2 keep`, ` until a.status == "succeeded"`, or '' without a join. */
function joinHeader(join: ast.JoinClause | undefined): string {
  if (!join) return '';
  const keep = join.keep ? ' keep' : '';
  if (join.isUntil) return ` until ${expression(join.until)}${keep}`;
  return ` first${join.count ? ` ${join.count.value}` : ''}${join.where ? ` where ${expression(join.where)}` : ''}${keep}`;
}

function block(name: string, range: Range, selectionRange: Range, children: DocumentSymbol[]): DocumentSymbol {
  return { name, kind: SymbolKind.Namespace, range, selectionRange, children };
}

function keywordRange(cst: CstNode, keyword: string): Range {
  return GrammarUtils.findNodeForKeyword(cst, keyword)?.range ?? cst.range;
}

function expression(node: AstNode | undefined): string {
  return node?.$cstNode ? short(node.$cstNode.text) : '?';
}

/** One line, at most {@link MAX_EXPRESSION} characters. */
function short(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > MAX_EXPRESSION ? `${line.slice(0, MAX_EXPRESSION - 1)}…` : line;
}
