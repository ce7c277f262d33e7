import type { AstNode } from 'langium';
import { CstUtils } from 'langium';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { TextEdit } from 'vscode-languageserver-types';
import { AbstractFormatter, Formatting } from 'langium/lsp';
import * as ast from '../generated/ast.js';

/**
 * The canonical layout of a `.flow` file (idempotent: formatting twice changes nothing):
 * - a block written on several lines puts each statement or property on its own line, indented one level
 *   (the editor's tab size), with `}` on its own line; a block written on one line stays on one line with
 *   one space inside its braces (`step a: W { prompt: "x" }`);
 * - one space before `{`, none before `:` or `,`, one after `:` (around `?` and `:` of a conditional);
 * - one space between the parts of a one-line block, and after a declaration's keyword (`agent W`);
 * - a flow's `sla 4h` with one space (an approval's `sla: 4h` like every property);
 * - one space between the clauses of a `parallel`/`foreach` header (`parallel concurrency 2 first 2 keep {`);
 * - a one-line `tools: [A, mcp.crm.search]` with no space inside its brackets or around an MCP tool's dots;
 * - nothing else is moved: blank lines (inside blocks too) and comments stay as written.
 */
export class BatonFormatter extends AbstractFormatter {
  /**
   * Langium's rule (an edit starting before the previous one ends replaces it), plus: an edit starting
   * where the previous one starts replaces it too. Two rules can format one gap between tokens — the
   * `:`'s "one space after" and a record type's `{`'s "one space before" in `output:{ … }` — and give two
   * edits with the same (empty) range; Langium kept both, inserting two spaces, and the next format
   * removed one (not idempotent).
   */
  protected override avoidOverlappingEdits(textDocument: TextDocument, textEdits: TextEdit[]): TextEdit[] {
    const edits: TextEdit[] = [];
    for (const edit of textEdits) {
      const start = textDocument.offsetAt(edit.range.start);
      let last = edits[edits.length - 1];
      while (last && (start < textDocument.offsetAt(last.range.end) || start === textDocument.offsetAt(last.range.start))) {
        edits.pop();
        last = edits[edits.length - 1];
      }
      edits.push(edit);
    }
    return edits.filter((edit) => this.isNecessary(edit, textDocument));
  }

  protected format(node: AstNode): void {
    const f = this.getNodeFormatter(node);
    // this node's own braces, matched by nesting (a `switch` owns its braces and its `default { … }`'s)
    const braces = [...f.keywords('{', '}').nodes].sort((a, b) => a.offset - b.offset);
    const pairs: [number, number][] = [];
    const stack: number[] = [];
    braces.forEach((n, i) => {
      if (n.text === '{') stack.push(i);
      else if (stack.length > 0) pairs.push([stack.pop()!, i]);
    });
    for (const [o, c] of pairs) {
      const open = f.cst([braces[o]]);
      const close = f.cst([braces[c]]);
      // a block's brace follows its header with one space; a record value's follows whatever precedes it
      if (!ast.isRecordLiteral(node)) open.prepend(Formatting.oneSpace());
      const inline = open.nodes[0].range.start.line === close.nodes[0].range.end.line;
      if (inline) {
        const inside = f.interior(open, close);
        if (inside.nodes.length === 0) {
          open.append(Formatting.noSpace());
        } else {
          // (after a comma, the comma's own space is enough)
          f.cst(inside.nodes.filter((n) => n.text !== ',' && CstUtils.getPreviousNode(n, false)?.text !== ',')).prepend(Formatting.oneSpace());
          close.prepend(Formatting.oneSpace());
        }
      } else {
        // the lines inside, minus an inner block's braces and contents (its own pair formats those)
        const inner = pairs.filter(([io, ic]) => io > o && ic < c).map(([io, ic]) => [braces[io].offset, braces[ic].end]);
        const lines = f.interior(open, close).nodes.filter((n) => !inner.some(([from, to]) => n.offset >= from && n.end <= to));
        // a block nested in another block of this same node (a switch's `default { … }`) is one level deeper
        const depth = pairs.filter(([po, pc]) => po < o && pc > c).length;
        f.cst(lines).prepend({ options: { allowMore: true }, moves: [{ tabs: depth + 1, lines: 1 }] });
        close.prepend(depth === 0 ? Formatting.newLine() : { options: {}, moves: [{ tabs: depth, lines: 1 }] });
      }
    }
    if (ast.isAgentDecl(node) || ast.isFlowDecl(node) || ast.isTypeDecl(node) || ast.isStep(node) || ast.isApprovalStatement(node) || ast.isLetStatement(node) || ast.isVarStatement(node) || ast.isInputDecl(node) || ast.isOutputDecl(node) || ast.isTestDecl(node) || ast.isEventDecl(node) || (ast.isWaitStatement(node) && node.name)) {
      this.getNodeFormatter(node as ast.AgentDecl).property('name').prepend(Formatting.oneSpace());
    }
    if (ast.isTimeoutBranch(node)) {
      f.keyword('timeout').prepend(Formatting.oneSpace()); // `on timeout {`
      // a wait's or a lock's `on timeout` follows its header or closing brace on the same line (`wait event "x" timeout 3d on timeout {`)
      if (ast.isWaitStatement(node.$container) || ast.isLockStatement(node.$container)) f.keyword('on').prepend(Formatting.oneSpace());
    }
    if (ast.isWaitStatement(node) && node.isSignal) {
      // `wait signal s timeout 5m`: one space between the parts
      f.keywords('signal', 'timeout').prepend(Formatting.oneSpace());
      f.properties('signal', 'timeout').prepend(Formatting.oneSpace());
    }
    if (ast.isSignalStatement(node) || ast.isRegionStatement(node)) f.property('name').prepend(Formatting.oneSpace());
    // `wait first {`, and its arms' heads: `on event "x" as p where …`, `on approval a`, `on timeout 3d`, `on signal s`
    if (ast.isWaitStatement(node) && node.isFirst) f.keyword('first').prepend(Formatting.oneSpace());
    if ((ast.isWaitStatement(node) || ast.isApprovalStatement(node)) && node.$containerProperty === 'arms') {
      f.keywords('event', 'approval', 'timeout', 'signal').prepend(Formatting.oneSpace());
      f.property('duration').prepend(Formatting.oneSpace());
    }
    // `} on cancel {`: on the region's closing brace's line, as `else`
    if (ast.isCancelBranch(node)) f.keywords('on', 'cancel').prepend(Formatting.oneSpace());
    // `cancel fulfil`, `complete fulfil`
    if (ast.isCancelStatement(node) || ast.isCompleteStatement(node)) f.property('target').prepend(Formatting.oneSpace());
    if (ast.isLockStatement(node)) {
      // `lock "stock:${input.sku}" timeout 10m {`: one space between the parts
      f.property('name').prepend(Formatting.oneSpace());
      f.keyword('timeout').prepend(Formatting.oneSpace());
      f.property('timeout').prepend(Formatting.oneSpace());
    }
    if (ast.isWaitStatement(node) && node.isEvent) {
      // `wait event "x" as p where a.b == v timeout 3d`: one space between the parts, none around the path's dots
      f.keywords('event', 'as', 'timeout').prepend(Formatting.oneSpace());
      f.properties('event', 'name', 'timeout', 'correlation').prepend(Formatting.oneSpace());
    }
    if (ast.isSlaDecl(node)) f.property('duration').prepend(Formatting.oneSpace()); // `sla 4h` (an approval's `sla: 4h` is a property)
    if (ast.isForeachStatement(node)) f.property('source').prepend(Formatting.oneSpace()); // `foreach x in event …`
    if (ast.isEventSource(node)) {
      // `event "line.added" where order_id == input.order_id timeout 1d`: one space between the parts
      f.keywords('event', 'timeout', 'until').prepend(Formatting.oneSpace());
      f.properties('event', 'correlation', 'end', 'timeout').prepend(Formatting.oneSpace());
    }
    if (ast.isEndEvent(node)) f.property('correlation').prepend(Formatting.oneSpace()); // `until event "order.closed" where …`
    if (ast.isEventBufferProperty(node)) f.keyword('max').surround(Formatting.oneSpace()); // `buffer: 7d max 100`
    if (ast.isCorrelation(node)) {
      f.keyword('where').append(Formatting.oneSpace());
      f.keywords('.').surround(Formatting.noSpace());
      f.keyword('==').surround(Formatting.oneSpace());
    }
    // a block header's clauses: `parallel concurrency 2 {`, `foreach x in xs concurrency 2 {`
    if (ast.isParallelStatement(node) || ast.isForeachStatement(node)) {
      f.keyword('concurrency').prepend(Formatting.oneSpace());
      f.property('concurrency').prepend(Formatting.oneSpace());
      f.property('join').prepend(Formatting.oneSpace());
    }
    // a partial join: `first 2 where … keep`, `until … keep`
    if (ast.isJoinClause(node)) {
      f.keywords('where', 'keep').prepend(Formatting.oneSpace());
      f.properties('count', 'where', 'until').prepend(Formatting.oneSpace());
    }
    // `tools: [A, mcp.crm.search]`: no space inside a one-line list's brackets, none around an MCP tool's dots
    if (ast.isToolsProperty(node)) {
      const open = f.keyword('[');
      const close = f.keyword(']');
      if (open.nodes[0] && close.nodes[0] && open.nodes[0].range.start.line === close.nodes[0].range.end.line) {
        open.append(Formatting.noSpace());
        close.prepend(Formatting.noSpace());
      }
    }
    // `mcp.crm.search`, and a test's `decide answer.RefundFlow: "approved"`: no space around the dots
    if ((ast.isToolEntry(node) && node.isMcp) || ast.isTestDecideProperty(node)) f.keywords('.').surround(Formatting.noSpace());
    if (ast.isTestDecideProperty(node)) f.keyword('after').surround(Formatting.oneSpace());
    if (ast.isConditionalExpression(node)) {
      f.keywords('?', ':').surround(Formatting.oneSpace());
    } else {
      f.keywords(':').prepend(Formatting.noSpace()).append(Formatting.oneSpace());
    }
    const commas = f.keywords(',');
    commas.prepend(Formatting.noSpace({ priority: 2 }));
    // one space after a comma, unless the list goes on on the next line
    const sameLine = commas.nodes.filter((comma) => {
      const next = CstUtils.getNextNode(comma, false);
      return next !== undefined && next.range.start.line === comma.range.end.line;
    });
    f.cst(sameLine).append(Formatting.oneSpace());
  }
}
