import type { AstNode, CstNode, DocumentSegment, FindReferencesOptions, ReferenceDescription, Stream } from 'langium';
import { AstUtils, CstUtils, DefaultReferences, GrammarUtils, UriUtils, stream } from 'langium';
import type { BatonServices } from './baton-module.js';
import { testFlow } from './baton-scope-provider.js';
import { findEventDecl } from './baton-event-types.js';
import * as ast from './generated/ast.js';

/**
 * Cross-references of the Baton language: Langium's (every `[Target:Name]` of the grammar, found through the
 * index across files) plus the name uses the grammar cannot link because they are plain names:
 * - a key of the `input: { … }` record of a step that calls a sub-flow, or of a test, names an `input` of
 *   that flow (`step s: Sub { input: { who: … } }` → `input who: …` of `Sub`);
 * - the member after `s.output.` where step `s` calls a sub-flow names an `output` of that flow;
 * - the string of `wait event "x"` and `trigger event "x"` names the `event "x" { … }` declaration it sees.
 *
 * Go to definition, find references, document highlights and rename all go through this service, so they
 * agree on what a name's uses are. Only the index of the language server knows the uses in other files;
 * the CLI (`batch`) builds none.
 */
export class BatonReferences extends DefaultReferences {
  constructor(services: BatonServices) {
    super(services);
  }

  override findDeclarations(sourceCstNode: CstNode): AstNode[] {
    const declarations = super.findDeclarations(sourceCstNode);
    if (declarations.length > 0) return declarations;
    const implicit = implicitDeclaration(sourceCstNode) ?? this.eventDeclaration(sourceCstNode);
    return implicit ? [implicit] : [];
  }

  override findReferences(targetNode: AstNode, options: FindReferencesOptions): Stream<ReferenceDescription> {
    if (ast.isEventDecl(targetNode)) {
      let uses = stream(this.eventReferences(targetNode, options.includeDeclaration ?? false));
      if (options.documentUri) uses = uses.filter((r) => UriUtils.equals(r.sourceUri, options.documentUri!));
      return uses;
    }
    const references = super.findReferences(targetNode, options);
    if (!ast.isInputDecl(targetNode) && !ast.isOutputDecl(targetNode)) return references;
    let implicit = stream(this.implicitReferences(targetNode));
    if (options.documentUri) implicit = implicit.filter((r) => UriUtils.equals(r.sourceUri, options.documentUri!));
    return references.concat(implicit);
  }

  /** The `event "…"` declaration the event name at `source` names (in `wait event "x"` or `trigger event "x"`), if declared. */
  private eventDeclaration(source: CstNode): ast.EventDecl | undefined {
    const node = source.astNode;
    const feature = GrammarUtils.findAssignment(source)?.feature;
    if (ast.isWaitStatement(node) && feature === 'event') return findEventDecl(node, node.event, this.documents);
    if (ast.isTrigger(node) && node.kind === 'event' && feature === 'value') return findEventDecl(node, node.value, this.documents);
    return undefined;
  }

  /**
   * The uses of event `target`'s name — `wait event "x"` and `trigger event "x"` in the loaded files that see the
   * declaration — each the text inside the quotes (and the declaration's own name, with `includeDeclaration`).
   */
  private eventReferences(target: ast.EventDecl, includeDeclaration: boolean): ReferenceDescription[] {
    const result: ReferenceDescription[] = [];
    const targetUri = AstUtils.getDocument(target).uri;
    const targetPath = this.nodeLocator.getAstNodePath(target);
    const add = (source: AstNode, property: string): void => {
      const segment = quotedSegment(source, property);
      if (!segment) return;
      const sourceUri = AstUtils.getDocument(source).uri;
      result.push({ sourceUri, sourcePath: this.nodeLocator.getAstNodePath(source), targetUri, targetPath, segment, local: UriUtils.equals(sourceUri, targetUri) });
    };
    if (includeDeclaration) add(target, 'name');
    for (const doc of this.documents.all) {
      for (const node of AstUtils.streamAst(doc.parseResult.value)) {
        if (ast.isWaitStatement(node) && node.isEvent && node.event === target.name && findEventDecl(node, node.event, this.documents) === target) add(node, 'event');
        else if (ast.isTrigger(node) && node.kind === 'event' && node.value === target.name && findEventDecl(node, node.value, this.documents) === target) add(node, 'value');
      }
    }
    return result;
  }

  /** The record keys and `.output.` members, in every loaded file, that name `target`. */
  private implicitReferences(target: ast.InputDecl | ast.OutputDecl): ReferenceDescription[] {
    const flow = target.$container;
    const result: ReferenceDescription[] = [];
    const targetUri = AstUtils.getDocument(target).uri;
    const targetPath = this.nodeLocator.getAstNodePath(target);
    const add = (source: AstNode, segment: DocumentSegment | undefined): void => {
      if (!segment) return;
      const sourceUri = AstUtils.getDocument(source).uri;
      result.push({ sourceUri, sourcePath: this.nodeLocator.getAstNodePath(source), targetUri, targetPath, segment, local: UriUtils.equals(sourceUri, targetUri) });
    };
    for (const caller of this.callersOf(flow)) {
      if (ast.isInputDecl(target)) {
        for (const entry of inputEntries(caller)) {
          if (entryKey(entry) === target.name) add(entry, keySegment(entry));
        }
      } else if (ast.isStep(caller)) {
        for (const use of this.usesOf(caller)) {
          const member = outputMemberOf(use);
          if (member?.member === target.name) add(member, toSegment(GrammarUtils.findNodeForProperty(member.$cstNode, 'member')));
        }
      }
    }
    return result;
  }

  /** The steps that call `flow` and the tests that run it. */
  private callersOf(flow: ast.FlowDecl): (ast.Step | ast.TestDecl)[] {
    const callers: (ast.Step | ast.TestDecl)[] = [];
    for (const reference of this.index.findAllReferences(flow, this.nodeLocator.getAstNodePath(flow))) {
      const source = this.getNodeFromReferenceDescription(reference);
      if (ast.isStep(source)) callers.push(source);
      else if (ast.isTestFlowProperty(source)) callers.push(source.$container);
    }
    return callers;
  }

  /** The expressions that name `step` (`s`, in `s.output.x`). */
  private usesOf(step: ast.Step): AstNode[] {
    const uses: AstNode[] = [];
    for (const reference of this.index.findAllReferences(step, this.nodeLocator.getAstNodePath(step))) {
      const source = this.getNodeFromReferenceDescription(reference);
      if (source) uses.push(source);
    }
    return uses;
  }
}

/** The input or output a record key or `.output.` member at `source` names, if it names one. */
function implicitDeclaration(source: CstNode): ast.InputDecl | ast.OutputDecl | undefined {
  const node = source.astNode;
  const feature = GrammarUtils.findAssignment(source)?.feature;
  if (ast.isRecordEntry(node) && feature === 'key') {
    const caller = callerOfInputRecord(node);
    const flow = caller && calledFlow(caller);
    const name = entryKey(node);
    return flow?.members.find((m): m is ast.InputDecl => ast.isInputDecl(m) && m.name === name);
  }
  if (ast.isMemberAccess(node) && feature === 'member') {
    const step = stepOfOutput(node);
    const flow = step?.target?.ref;
    if (!ast.isFlowDecl(flow)) return undefined;
    return flow.members.find((m): m is ast.OutputDecl => ast.isOutputDecl(m) && m.name === node.member);
  }
  return undefined;
}

/** The step or test whose `input: { … }` record holds `entry` directly. */
function callerOfInputRecord(entry: ast.RecordEntry): ast.Step | ast.TestDecl | undefined {
  const record = entry.$container;
  if (!ast.isRecordLiteral(record)) return undefined;
  const property = record.$container;
  if (ast.isInputProperty(property) && ast.isStep(property.$container)) return property.$container;
  if (ast.isTestInputProperty(property)) return property.$container;
  return undefined;
}

/** The flow a step calls or a test runs. */
function calledFlow(caller: ast.Step | ast.TestDecl): ast.FlowDecl | undefined {
  if (ast.isTestDecl(caller)) return testFlow(caller);
  const target = caller.target?.ref;
  return ast.isFlowDecl(target) ? target : undefined;
}

/** The entries of the `input: { … }` record of a step or a test. */
function inputEntries(caller: ast.Step | ast.TestDecl): ast.RecordEntry[] {
  const properties: AstNode[] = caller.properties;
  const entries: ast.RecordEntry[] = [];
  for (const p of properties) {
    if ((ast.isInputProperty(p) || ast.isTestInputProperty(p)) && ast.isRecordLiteral(p.value)) entries.push(...p.value.entries);
  }
  return entries;
}

/** A record key without its quotes. */
function entryKey(entry: ast.RecordEntry): string | undefined {
  const node = GrammarUtils.findNodeForProperty(entry.$cstNode, 'key');
  if (!node) return undefined;
  return node.text.startsWith('"') ? node.text.slice(1, -1) : node.text;
}

/** The key's range; inside the quotes of a quoted key, so a rename keeps them. */
export function keySegment(entry: ast.RecordEntry): DocumentSegment | undefined {
  const node = GrammarUtils.findNodeForProperty(entry.$cstNode, 'key');
  if (!node) return undefined;
  if (!node.text.startsWith('"')) return toSegment(node);
  const document = AstUtils.getDocument(entry).textDocument;
  const offset = node.offset + 1;
  const end = node.end - 1;
  return { offset, end, length: end - offset, range: { start: document.positionAt(offset), end: document.positionAt(end) } };
}

/** For `s.output.x` (or `s[0].output.x`), given the node naming `s`: the member access `.x`. */
function outputMemberOf(use: AstNode): ast.MemberAccess | undefined {
  let node: AstNode | undefined = use;
  while (node?.$container && ast.isIndexAccess(node.$container) && node.$containerProperty === 'receiver') node = node.$container;
  const output = node?.$container;
  if (!ast.isMemberAccess(output) || node?.$containerProperty !== 'receiver' || output.member !== 'output') return undefined;
  const member = output.$container;
  return ast.isMemberAccess(member) && output.$containerProperty === 'receiver' ? member : undefined;
}

/** For the member access `.x` of `s.output.x` (or `s[0].output.x`): the step `s`. */
function stepOfOutput(member: ast.MemberAccess): ast.Step | undefined {
  const output = member.receiver;
  if (!ast.isMemberAccess(output) || output.member !== 'output') return undefined;
  let receiver: ast.Expression | undefined = output.receiver;
  while (ast.isIndexAccess(receiver)) receiver = receiver.receiver;
  const step = ast.isNameRef(receiver) ? receiver.ref?.ref : undefined;
  return ast.isStep(step) ? step : undefined;
}

/** The text inside the quotes of string property `property` of `node` (so a rename keeps them). */
function quotedSegment(node: AstNode, property: string): DocumentSegment | undefined {
  const cst = GrammarUtils.findNodeForProperty(node.$cstNode, property);
  if (!cst || !cst.text.startsWith('"')) return undefined;
  const document = AstUtils.getDocument(node).textDocument;
  const offset = cst.offset + 1;
  const end = cst.end - 1;
  return { offset, end, length: end - offset, range: { start: document.positionAt(offset), end: document.positionAt(end) } };
}

function toSegment(node: CstNode | undefined): DocumentSegment | undefined {
  return CstUtils.toDocumentSegment(node);
}
