import type { IToken } from 'chevrotain';
import { CompositeCstNodeImpl, CstNodeBuilder, GrammarAST as Grammar, GrammarUtils, LeafCstNodeImpl } from 'langium';
import type { CompositeCstNode, CstNode, LeafCstNode, RootCstNode } from 'langium';
import type { Range } from 'vscode-languageserver-types';
import { leafRangeFromText } from './baton-cst-ranges.js';
import { catchUpLeaf, shiftClock } from './baton-cst-shift.js';

/** The members of Langium 4.2's `CstNodeBuilder` this builder reads (private in its types). */
interface CstNodeBuilderInternals {
  rootNode: RootCstNode;
  nodeStack: CompositeCstNodeImpl[];
}

/** The array a composite CST node keeps its children in (Langium's `CstNodeContainer`, an `Array` subclass). */
type Content = CompositeCstNodeImpl['content'] & { parent: CompositeCstNodeImpl };

/**
 * Langium 4.2's `CstNodeBuilder` (langium/lib/parser/cst-node-builder.js), building the same CST, minus two costs that
 * grew with the number of statements in a flow (issue 15: together ~8 % of a cold `baton check` of 5,000 steps, and
 * the garbage they made):
 *
 * - **Hidden nodes.** The parser calls `addHiddenNodes` before every token it consumes, with the hidden tokens (comments)
 *   in front of it — almost always none. Langium's version does the work of placing them anyway: when the current
 *   composite node has no child yet (the first token of every step, expression, …) it looks the node up in its
 *   parent's children with `indexOf` — a flow's statement list, thousands long, scanned from the start for each
 *   statement — and splices nothing in, which makes a new `CstNodeContainer` (the array subclass's species) each time.
 *   Here no hidden token means nothing to do; with some, the node is looked up from the end (it is its parent's last
 *   child while it is being built).
 * - **Adding a child.** `CstNodeContainer.push(...items)` takes a rest array and spreads it again for every node; here
 *   the child's `container` is set and it is stored at the array's end — what that `push` does, without the arrays.
 * - **A leaf's range.** Langium gives every leaf a `Range` of three objects made from its token (`tokenToRange`) at
 *   parse time; a {@link BatonLeafCstNode} keeps the four numbers and makes the `Range` when it is read.
 * - **Pass-through levels.** An expression passes through up to 12 grammar rules (`ConditionalExpr` … `PrimaryExpr`,
 *   one per precedence level; a type 3; a statement `Statement` then `Step`) and Langium makes a composite node for
 *   each rule call: 11 nested composites with one child each around `input.topic` (three quarters of a 5,000-step
 *   flow's composites, all kept). Such a level has no AST node of its own (the parser copies the inner result into the
 *   caller's node and clears the inner composite's `astNode`, see `assignWithoutOverride`), so every CST search passes
 *   through it: `astNode` of what is below resolves to the composite above, `findAssignment` and
 *   `findNodesForProperty` find no assignment on it. Here it is dropped when the rule around it ends
 *   ({@link collapsePassThrough}): the same leaves, under the same composites that have an AST node or an assignment.
 */
export class BatonCstNodeBuilder extends CstNodeBuilder {
  override buildCompositeNode(feature: Grammar.AbstractElement): CompositeCstNode {
    const self = this as unknown as CstNodeBuilderInternals;
    const compositeNode = new BatonCompositeCstNode();
    compositeNode.grammarSource = feature;
    compositeNode.root = self.rootNode;
    add(this.current.content as Content, compositeNode);
    self.nodeStack.push(compositeNode);
    return compositeNode;
  }

  override buildLeafNode(token: IToken, feature?: Grammar.AbstractElement): LeafCstNode {
    const leafNode = new BatonLeafCstNode(token, !feature);
    leafNode.grammarSource = feature;
    leafNode.root = (this as unknown as CstNodeBuilderInternals).rootNode;
    add(this.current.content as Content, leafNode);
    return leafNode;
  }

  override construct(item: Parameters<CstNodeBuilder['construct']>[0]): void {
    collapsePassThrough(this.current as CompositeCstNodeImpl);
    super.construct(item);
  }

  /**
   * What Langium's parser does with the CST when an action takes the tree so far (`{infer MemberAccess.receiver=current}`):
   * `node` (the composite just finished — its parent's last child) leaves its parent and becomes the only child of a
   * new composite for `action`, added where it was. Langium's `removeNode` + `push` do the same with an `indexOf` and a
   * `splice` of the array subclass (a new array per call). Returns the new composite.
   */
  wrapInAction(action: Grammar.Action, node: CstNode): CompositeCstNode {
    const parent = node.container;
    if (parent) {
      const content = parent.content as Content;
      if (content[content.length - 1] === node) content.length--;
      else {
        const index = content.indexOf(node);
        if (index >= 0) content.splice(index, 1);
      }
    }
    const composite = this.buildCompositeNode(action);
    add(composite.content as Content, node as CompositeCstNodeImpl);
    return composite;
  }

  override addHiddenNodes(tokens: IToken[]): void {
    if (tokens.length === 0) return;
    const self = this as unknown as CstNodeBuilderInternals;
    // comments are BatonLeafCstNodes too: a range the document factory drops after an edit is computed again by them
    const nodes = tokens.map((token) => {
      const leafNode = new BatonLeafCstNode(token, true);
      leafNode.root = self.rootNode;
      return leafNode;
    });
    let current: CompositeCstNode = this.current;
    if (current.content.length > 0) {
      current.content.push(...nodes);
      return;
    }
    while (current.container) {
      const index = current.container.content.lastIndexOf(current);
      if (index > 0) {
        current.container.content.splice(index, 0, ...nodes);
        return;
      }
      current = current.container;
    }
    self.rootNode.content.unshift(...nodes);
  }
}

/**
 * Langium's composite CST node with every field it gets over its life set in the constructor — by this builder
 * (`grammarSource`, `root`, `container`), by the parser (`_astNode`) and by baton-cst-extents.ts (`_offsetCache`,
 * `_endCache`) — so that V8 keeps them all inside the object: added later, they went to a separate property array
 * per node (40 bytes more, for each of the ~80,000 composites of a 5,000-step flow).
 */
class BatonCompositeCstNode extends CompositeCstNodeImpl {
  constructor() {
    super();
    const fields = this as unknown as Record<string, unknown>;
    fields.grammarSource = undefined;
    fields.root = undefined;
    fields.container = undefined;
    fields._astNode = undefined;
    fields._offsetCache = undefined;
    fields._endCache = undefined;
    fields._epoch = shiftClock.epoch;
  }
}

/** Per grammar element a composite came from: whether a composite of it can be a level to pass through. */
const passThroughSources = new WeakMap<object, boolean>();

/**
 * Whether a composite from `source` can be a pass-through level: a call of a parser rule that makes AST nodes (not a
 * data type rule: its composite is what a property's CST node is), or an action (`{infer MemberAccess.receiver=current}`).
 */
function isPassThroughSource(source: Grammar.AbstractElement | undefined): boolean {
  if (!source) return false;
  let known = passThroughSources.get(source);
  if (known === undefined) {
    const rule = Grammar.isRuleCall(source) ? source.rule.ref : undefined;
    known = Grammar.isAction(source) || (Grammar.isParserRule(rule) && !rule.fragment && !GrammarUtils.isDataTypeRule(rule));
    passThroughSources.set(source, known);
  }
  return known;
}

/**
 * When `node`'s only child is the composite of a rule call or an action with no AST node of its own (its `astNode`
 * cleared by the pass-through copy, see {@link BatonCstNodeBuilder}), that child's children become `node`'s. Called
 * as `node`'s rule ends, when the child is final (each level was collapsed as its own rule ended: a whole chain folds
 * one level at a time).
 */
export function collapsePassThrough(node: CompositeCstNodeImpl): void {
  const content = node.content;
  if (content.length !== 1) return;
  const only = content[0] as CompositeCstNodeImpl;
  if (only.content === undefined || (only as unknown as { _astNode?: unknown })._astNode !== undefined || !isPassThroughSource(only.grammarSource)) return;
  const inner = only.content as Content;
  for (let i = 0; i < inner.length; i++) (inner[i] as { container?: CompositeCstNode }).container = node;
  inner.parent = node;
  (node as unknown as { content: Content }).content = inner;
}

/** Adds `node` as the last child of `content`'s composite node (what `CstNodeContainer.push(node)` does). */
function add(content: Content, node: CompositeCstNodeImpl | LeafCstNodeImpl | BatonLeafCstNode): void {
  node.container = content.parent;
  content[content.length] = node;
}

/**
 * A leaf CST node that keeps its position as four numbers (0-based lines and characters, as LSP counts them) instead
 * of a `Range` object: `range` is made from them when read (a new object each time). The values are `tokenToRange`'s
 * (langium/lib/utils/cst-utils.js): Chevrotain's 1-based lines and columns minus one, its end column as it is (one
 * past the last character). `_range` — which Langium's class keeps, and which the document factory sets after an
 * edit or clears when the leaf moved (baton-cst-ranges.ts's `dropLeafRange`) — reads as the range, or undefined
 * once cleared; setting it stores its four numbers, clearing it marks them stale (`startLine` −1), and the next read
 * of `range` computes them again from the leaf's offset and the document's text (`leafRangeFromText`).
 */
/** Langium's `LeafCstNodeImpl` fields (private in its types). */
interface LeafFields {
  _offset: number;
  _length: number;
}

export class BatonLeafCstNode extends LeafCstNodeImpl {
  declare private startLine: number;
  declare private startCharacter: number;
  declare private endLine: number;
  declare private endCharacter: number;
  /** The shift clock's value when this leaf's offset was last right (baton-cst-shift.ts: later edits' moves are applied when read). */
  declare private _epoch: number;

  constructor(token: IToken, hidden: boolean) {
    super(token.startOffset, token.image.length, undefined as unknown as Range, token.tokenType, hidden);
    this.startLine = (token.startLine as number) - 1;
    this.startCharacter = (token.startColumn as number) - 1;
    this.endLine = (token.endLine as number) - 1;
    this.endCharacter = token.endColumn as number;
    this._epoch = shiftClock.epoch;
  }

  override get offset(): number {
    if (this._epoch !== shiftClock.epoch) catchUpLeaf(this);
    return (this as unknown as LeafFields)._offset;
  }

  override get end(): number {
    if (this._epoch !== shiftClock.epoch) catchUpLeaf(this);
    const fields = this as unknown as LeafFields;
    return fields._offset + fields._length;
  }

  override get range(): Range {
    if (this._epoch !== shiftClock.epoch) catchUpLeaf(this);
    if (this.startLine < 0) {
      const { start, end } = leafRangeFromText(this as unknown as Parameters<typeof leafRangeFromText>[0]);
      this.startLine = start.line;
      this.startCharacter = start.character;
      this.endLine = end.line;
      this.endCharacter = end.character;
    }
    return { start: { character: this.startCharacter, line: this.startLine }, end: { character: this.endCharacter, line: this.endLine } };
  }
}

// What Langium's class keeps in `_range` (private in its types; its constructor stores the range it is given — here
// none, before the numbers are set): made from, and stored into, the four numbers; undefined clears them.
Object.defineProperty(BatonLeafCstNode.prototype, '_range', {
  configurable: true,
  get(this: { startLine: number; range: Range; _epoch: number }): Range | undefined {
    if (this._epoch !== shiftClock.epoch) catchUpLeaf(this); // the moves of later edits first (baton-cst-shift.ts)
    return this.startLine < 0 ? undefined : this.range;
  },
  set(this: { startLine: number; startCharacter: number; endLine: number; endCharacter: number }, range: Range | undefined) {
    if (range === undefined) {
      this.startLine = -1;
      return;
    }
    this.startLine = range.start.line;
    this.startCharacter = range.start.character;
    this.endLine = range.end.line;
    this.endCharacter = range.end.character;
  },
});
