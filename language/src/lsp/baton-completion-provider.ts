import type { AstNodeDescription, LangiumDocument, ReferenceInfo, Stream } from 'langium';
import { AstUtils, GrammarAST as Grammar } from 'langium';
import { type CompletionAcceptor, type CompletionBacktrackingInformation, type CompletionContext, DefaultCompletionProvider, type NextFeature } from 'langium/lsp';
import { CompletionItemKind, InsertTextFormat, type CancellationToken, type CompletionList, type CompletionParams } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { completionText } from './baton-completion-text.js';
import { BUILTIN_FUNCTIONS, describeType } from '@baton/protocol';
import type { BatonServices } from '../baton-module.js';
import type { BatonFlowChecks } from '../baton-flow-checks.js';
import { BatonTypeSystem, fieldNames, memberType } from '../baton-type-system.js';
import * as ast from '../generated/ast.js';
import { functionHover } from './baton-hover-provider.js';

/** Grammar rules whose keyword alternatives are names, not keywords to propose. */
const NAME_RULES = new Set(['RefName', 'Name', 'ValueName']);

/**
 * Completion of the Baton language server, on top of Langium's (keywords valid at the cursor, names in
 * scope across imports):
 * - after `x.` — the fields of `x`'s type: a step's `output`, `status`, …; the fields of its agent's
 *   `output` type after `step.output.`; through lists and records;
 * - where an expression starts — the steps, approvals, `let` values and loop variables readable at the
 *   cursor (not a later step, not a sibling `parallel` branch's, not another `if` branch's), and the
 *   built-in functions with their signatures (inserted as a snippet);
 * - soft keywords that only serve as names (`budget`, `tokens`, …) are not proposed as keywords.
 */
export class BatonCompletionProvider extends DefaultCompletionProvider {
  private readonly flowChecks: BatonFlowChecks;

  constructor(services: BatonServices) {
    super(services);
    this.flowChecks = services.validation.BatonFlowChecks;
  }

  /** The current request's text with list elements blanked (see completionText), while it runs. */
  private reduced: { text: string; reduced: string } | undefined;

  override async getCompletion(document: LangiumDocument, params: CompletionParams, cancelToken?: CancellationToken): Promise<CompletionList | undefined> {
    const reduced = this.completionParseText(document, document.textDocument.offsetAt(params.position));
    this.reduced = reduced === undefined ? undefined : { text: document.textDocument.getText(), reduced };
    try {
      return await super.getCompletion(document, params, cancelToken);
    } finally {
      this.reduced = undefined;
    }
  }

  /**
   * The text completion tokenizes and parses (see completionText): the document's text with list elements
   * that cannot change the result blanked; undefined to read the text as it is.
   */
  protected completionParseText(document: LangiumDocument, offset: number): string | undefined {
    return completionText(document, offset);
  }

  /** Langium's, on the reduced text: the same features, without re-parsing thousands of statements. */
  protected override findFeaturesAt(document: TextDocument, offset: number): NextFeature[] {
    const reduced = this.reduced;
    if (!reduced || document.getText() !== reduced.text) return super.findFeaturesAt(document, offset);
    const view: Pick<TextDocument, 'getText' | 'positionAt' | 'offsetAt'> = {
      getText: (range) => (range ? reduced.reduced.slice(document.offsetAt(range.start), document.offsetAt(range.end)) : reduced.reduced),
      positionAt: (o) => document.positionAt(o),
      offsetAt: (p) => document.offsetAt(p),
    };
    return super.findFeaturesAt(view as TextDocument, offset);
  }

  protected override backtrackToAnyToken(text: string, offset: number): CompletionBacktrackingInformation {
    const reduced = this.reduced;
    return super.backtrackToAnyToken(reduced && text === reduced.text ? reduced.reduced : text, offset);
  }

  protected override completionFor(context: CompletionContext, next: NextFeature, acceptor: CompletionAcceptor): void | Promise<void> {
    if (next.property === 'member' && !next.type) return this.completeMember(context, acceptor);
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
    if (refInfo.property !== 'ref' || !(ast.isNameRef(refInfo.container) || refInfo.container.$type === 'NameRef')) return candidates;
    const position = context.node ?? refInfo.container;
    return candidates.filter((d) => !d.node || this.flowChecks.isReadableAt(position, d.node));
  }

  /** The fields of the value before the dot. */
  private completeMember(context: CompletionContext, acceptor: CompletionAcceptor): void {
    let receiver = context.node;
    // `a.output.` or `a.output.te|`: the node at the cursor is the member access being written
    if (ast.isMemberAccess(receiver) && (receiver.member === undefined || (receiver.$cstNode && receiver.$cstNode.end >= context.tokenEndOffset))) {
      receiver = receiver.receiver;
    }
    if (!receiver || !isExpression(receiver)) return;
    const type = new BatonTypeSystem().typeOf(receiver);
    for (const name of fieldNames(type) ?? []) {
      const fieldType = memberType(type, name);
      acceptor(context, { label: name, kind: CompletionItemKind.Field, detail: fieldType ? describeType(fieldType) : undefined, sortText: '0' });
    }
  }

  private completeFunctions(context: CompletionContext, acceptor: CompletionAcceptor): void {
    for (const fn of BUILTIN_FUNCTIONS) {
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

function isExpression(node: { $type: string }): node is ast.Expression {
  return ast.reflection.isSubtype(node.$type, ast.Expression.$type);
}

