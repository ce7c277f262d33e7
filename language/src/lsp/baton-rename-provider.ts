import type { AstNode, CstNode, LangiumDocument, LangiumDocuments, Grammar } from 'langium';
import { AstUtils, CstUtils, GrammarAST, GrammarUtils } from 'langium';
import { DefaultRenameProvider } from 'langium/lsp';
import { ResponseError, type PrepareRenameParams, type Range, type RenameParams, type TextEdit, type WorkspaceEdit } from 'vscode-languageserver';
import type { BatonServices } from '../baton-module.js';
import { visibleDocuments } from '../baton-imports.js';
import { EVENT_NAME_PATTERN, visibleEventDecls } from '../baton-event-types.js';
import * as ast from '../generated/ast.js';

/** JSON-RPC error code of a refused rename (LSP `RequestFailed`); the client shows the message. */
export const RENAME_REFUSED = -32803;

/** A declaration a rename may change, with every use of its name. */
type Renamable = ast.AgentDecl | ast.FlowDecl | ast.TypeDecl | ast.Step | ast.RegionStatement | ast.ApprovalStatement | ast.LetStatement | ast.VarStatement | ast.LoopVariable | ast.InputDecl | ast.OutputDecl | ast.WaitStatement | ast.EventDecl;

const ID = /^[_a-zA-Z]\w*$/;

/**
 * Rename of the Baton language server, for agents, flows, types, steps, regions (with their `cancel`/`complete`), approvals, named event waits
 * (`wait event "x" as name`), `let` values, loop variables, inputs, outputs and event names (`event "x"`,
 * renamed inside the quotes of every `wait event "x"` and `trigger event "x"` that sees it) — at the declaration or at any use, in every loaded file (the uses come
 * from {@link BatonReferences}, so `input: { who: … }` keys and `s.output.x` members of sub-flow calls are
 * renamed with the input or output they name; an agent or flow used as a tool is renamed in the `call("<name>", …)`
 * of the stub scripts of the agents listing it too).
 *
 * `prepareRename` answers the range of the name under the cursor, or `null` where there is no name.
 * Both requests fail with a `ResponseError` (code {@link RENAME_REFUSED}) and a message the editor shows:
 * - on a test name (a string: edit it in place) or a field of a record type (its uses are not linked);
 * - (rename) when the new name is not a name: not `[_a-zA-Z][_a-zA-Z0-9]*`, or a keyword that cannot name
 *   this kind of declaration (`flow`, `if`, …; soft keywords such as `budget` may name a step);
 * - (rename) when the new name is already taken where the renamed one is visible: another agent, flow or
 *   type in the files that see the declaration; another step, approval, `let` value or loop variable of
 *   the flow; another input (or output) of the flow.
 */
export class BatonRenameProvider extends DefaultRenameProvider {
  private readonly documents: LangiumDocuments;
  private readonly grammar: Grammar;
  private readonly keywords: Set<string>;
  private readonly keywordsByRule = new Map<string, Set<string>>();

  constructor(services: BatonServices) {
    super(services);
    this.documents = services.shared.workspace.LangiumDocuments;
    this.grammar = services.Grammar;
    this.keywords = new Set(AstUtils.streamAllContents(this.grammar).filter(GrammarAST.isKeyword).map((k) => k.value).filter((k) => ID.test(k)));
  }

  override async rename(document: LangiumDocument, params: RenameParams): Promise<WorkspaceEdit | undefined> {
    const target = this.targetAt(document, params.position);
    if (!target) return undefined;
    const newName = params.newName.trim();
    this.checkName(target, newName);
    this.checkClash(target, newName);
    const changes: Record<string, TextEdit[]> = {};
    const seen = new Set<string>();
    for (const reference of this.references.findReferences(target, { includeDeclaration: true })) {
      const uri = reference.sourceUri.toString();
      const key = `${uri}#${reference.segment.offset}`;
      if (seen.has(key)) continue;
      seen.add(key);
      (changes[uri] ??= []).push({ range: reference.segment.range, newText: newName });
    }
    // an agent or flow used as a tool: the `call("<name>", …)` of stub scripts name it too (inside the quotes)
    if (ast.isAgentDecl(target) || ast.isFlowDecl(target)) {
      for (const literal of this.stubCallsOf(target)) {
        const cst = literal.$cstNode;
        if (!cst) continue;
        const text = AstUtils.getDocument(literal).textDocument;
        (changes[AstUtils.getDocument(literal).uri.toString()] ??= []).push({ range: { start: text.positionAt(cst.offset + 1), end: text.positionAt(cst.end - 1) }, newText: newName });
      }
    }
    for (const edits of Object.values(changes)) edits.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
    return { changes };
  }

  /**
   * The tool names in `call("<name>", …)` of the stub scripts (an agent's `stub:`, a test's `stub Agent:`) of every
   * agent that lists `target` among its tools.
   */
  private stubCallsOf(target: ast.AgentDecl | ast.FlowDecl): ast.StringLiteral[] {
    const all = this.documents.all.toArray();
    const agents = new Set<ast.AgentDecl>();
    for (const document of all) {
      for (const node of AstUtils.streamAst(document.parseResult.value)) {
        if (ast.isToolEntry(node) && node.target?.ref === target) {
          const agent = AstUtils.getContainerOfType(node, ast.isAgentDecl);
          if (agent) agents.add(agent);
        }
      }
    }
    if (agents.size === 0) return [];
    const literals: ast.StringLiteral[] = [];
    for (const document of all) {
      for (const node of AstUtils.streamAst(document.parseResult.value)) {
        const stubbed = ast.isStubProperty(node) ? node.$container : ast.isTestStubProperty(node) ? node.agent?.ref : undefined;
        if (!stubbed || !agents.has(stubbed) || !node.$cstNode) continue;
        for (const call of AstUtils.streamAllContents(node).filter(ast.isFunctionCall)) {
          const name = call.function === 'call' ? call.args[0] : undefined;
          if (ast.isStringLiteral(name) && name.value === target.name) literals.push(name);
        }
      }
    }
    return literals;
  }

  override prepareRename(document: LangiumDocument, params: PrepareRenameParams): Range | undefined {
    const leaf = this.nameLeafAt(document, params.position);
    if (!leaf) return undefined;
    const target = this.targetOf(leaf);
    if (!target) return undefined;
    // a quoted record key: the name inside the quotes
    if (leaf.text.startsWith('"')) {
      const text = document.textDocument;
      return { start: text.positionAt(leaf.offset + 1), end: text.positionAt(leaf.end - 1) };
    }
    return leaf.range;
  }

  /** The declaration to rename at `position`, or undefined where there is none; throws where it may not be renamed. */
  private targetAt(document: LangiumDocument, position: { line: number; character: number }): Renamable | undefined {
    const leaf = this.nameLeafAt(document, position);
    return leaf && this.targetOf(leaf);
  }

  private nameLeafAt(document: LangiumDocument, position: { line: number; character: number }): CstNode | undefined {
    const root = document.parseResult.value.$cstNode;
    if (!root) return undefined;
    return CstUtils.findDeclarationNodeAtOffset(root, document.textDocument.offsetAt(position), this.grammarConfig.nameRegexp);
  }

  private targetOf(leaf: CstNode): Renamable | undefined {
    if (ast.isTestDecl(leaf.astNode) && GrammarUtils.findAssignment(leaf)?.feature === 'name') {
      throw new ResponseError(RENAME_REFUSED, 'A test\'s name is a string, not a name other code refers to: edit it between the quotes.');
    }
    const target = this.references.findDeclarations(leaf)[0];
    if (!target) return undefined;
    if (ast.isFieldDecl(target)) {
      throw new ResponseError(RENAME_REFUSED, `\`${target.name}\` is a field of a record type; renaming fields is not supported (its uses in expressions are not linked to it).`);
    }
    return isRenamable(target) ? target : undefined;
  }

  /** Throws unless `name` can be written where `target`'s name is. */
  private checkName(target: Renamable, name: string): void {
    if (ast.isEventDecl(target)) {
      // an event's name is a string (`event "payment.received"`): letters, digits and `_ . : -`
      if (!EVENT_NAME_PATTERN.test(name)) throw new ResponseError(RENAME_REFUSED, `"${name}" is not a valid event name: use 1 to 200 letters, digits and _ . : -`);
      return;
    }
    if (!ID.test(name)) {
      throw new ResponseError(RENAME_REFUSED, `\`${name}\` is not a valid name: a name starts with a letter or \`_\` and has only letters, digits and \`_\`.`);
    }
    if (!this.keywords.has(name)) return;
    const rule = ast.isInputDecl(target) || ast.isOutputDecl(target) ? 'ValueName' : 'RefName';
    if (!this.keywordsOf(rule).has(name)) {
      throw new ResponseError(RENAME_REFUSED, `\`${name}\` is a keyword of the language and cannot name ${kindOf(target)}.`);
    }
  }

  /** Throws when `name` already names something that would clash with `target` renamed. */
  private checkClash(target: Renamable, name: string): void {
    if (target.name === name) return;
    if (ast.isEventDecl(target)) {
      // another event of that name where this one is seen
      const clash = this.documents.all
        .toArray()
        .flatMap((d) => visibleEventDecls(d.parseResult.value, this.documents))
        .find((e) => e !== target && e.name === name && (visibleEventDecls(target, this.documents).includes(e) || visibleEventDecls(e, this.documents).includes(target)));
      if (clash) throw new ResponseError(RENAME_REFUSED, `"${name}" is already the name of an event (${fileName(clash)}, line ${line(clash)}); pick another name.`);
      return;
    }
    const clash = this.findClash(target, name);
    if (!clash) return;
    const where = AstUtils.getDocument(clash) === AstUtils.getDocument(target) ? `line ${line(clash)}` : `${fileName(clash)}, line ${line(clash)}`;
    throw new ResponseError(RENAME_REFUSED, `\`${name}\` is already the name of ${kindOf(clash as Renamable)} (${where}); pick another name.`);
  }

  private findClash(target: Renamable, name: string): AstNode | undefined {
    if (ast.isAgentDecl(target) || ast.isFlowDecl(target) || ast.isTypeDecl(target)) {
      // Every file that sees the declaration — its own, the files importing it (transitively) — and what each of them sees.
      const home = AstUtils.getDocument(target);
      const all = this.documents.all.toArray();
      const seers = all.filter((d) => d === home || visibleDocuments(d, this.documents).includes(home));
      const scope = new Set(seers.flatMap((d) => visibleDocuments(d, this.documents)));
      for (const document of scope) {
        for (const element of (document.parseResult.value as ast.Document).elements ?? []) {
          if (!ast.isTestDecl(element) && !ast.isEventDecl(element) && element !== target && element.name === name) return element;
        }
      }
      return undefined;
    }
    const flow = AstUtils.getContainerOfType(target, ast.isFlowDecl);
    if (!flow) return undefined;
    if (ast.isInputDecl(target)) return flow.members.find((m) => ast.isInputDecl(m) && m !== target && m.name === name);
    if (ast.isOutputDecl(target)) return flow.members.find((m) => ast.isOutputDecl(m) && m !== target && m.name === name);
    return AstUtils.streamAst(flow).find(
      (n) => n !== target && (ast.isStep(n) || ast.isRegionStatement(n) || ast.isApprovalStatement(n) || ast.isLetStatement(n) || ast.isVarStatement(n) || ast.isLoopVariable(n) || ast.isWaitStatement(n)) && n.name === name,
    );
  }

  /** The keywords a datatype rule (`RefName`, `ValueName`) accepts as a name. */
  private keywordsOf(ruleName: string): Set<string> {
    let result = this.keywordsByRule.get(ruleName);
    if (result) return result;
    result = new Set();
    const visit = (rule: GrammarAST.AbstractRule | undefined, seen: Set<string>): void => {
      if (!rule || seen.has(rule.name)) return;
      seen.add(rule.name);
      for (const node of AstUtils.streamAllContents(rule)) {
        if (GrammarAST.isKeyword(node)) result!.add(node.value);
        else if (GrammarAST.isRuleCall(node) && GrammarAST.isParserRule(node.rule.ref)) visit(node.rule.ref, seen);
      }
    };
    visit(this.grammar.rules.find((r) => r.name === ruleName), new Set());
    this.keywordsByRule.set(ruleName, result);
    return result;
  }
}

function isRenamable(node: AstNode): node is Renamable {
  return (
    ast.isAgentDecl(node) || ast.isFlowDecl(node) || ast.isTypeDecl(node) || ast.isStep(node) || ast.isRegionStatement(node) || ast.isApprovalStatement(node)
    || ast.isLetStatement(node) || ast.isVarStatement(node) || ast.isLoopVariable(node) || ast.isInputDecl(node) || ast.isOutputDecl(node)
    || (ast.isWaitStatement(node) && node.name !== undefined) || ast.isEventDecl(node)
  );
}

/** "an agent", "a step of flow `F`", … */
function kindOf(node: Renamable): string {
  const flow = AstUtils.getContainerOfType(node, ast.isFlowDecl);
  const of = flow && !ast.isFlowDecl(node) ? ` of flow \`${flow.name}\`` : '';
  if (ast.isAgentDecl(node)) return 'an agent';
  if (ast.isFlowDecl(node)) return 'a flow';
  if (ast.isTypeDecl(node)) return 'a type';
  if (ast.isStep(node)) return `a step${of}`;
  if (ast.isRegionStatement(node)) return `a region${of}`;
  if (ast.isApprovalStatement(node)) return `an approval${of}`;
  if (ast.isWaitStatement(node)) return `an event wait${of}`;
  if (ast.isEventDecl(node)) return 'an event';
  if (ast.isLetStatement(node)) return `a \`let\` value${of}`;
  if (ast.isVarStatement(node)) return `a \`var\`${of}`;
  if (ast.isLoopVariable(node)) return `a loop variable${of}`;
  if (ast.isInputDecl(node)) return `an input${of}`;
  return `an output${of}`;
}

function line(node: AstNode): number {
  return (node.$cstNode?.range.start.line ?? 0) + 1;
}

function fileName(node: AstNode): string {
  const path = AstUtils.getDocument(node).uri.path;
  return path.slice(path.lastIndexOf('/') + 1);
}
