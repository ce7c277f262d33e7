import type { AstNode, AstNodeDescription, LangiumDocument, Reference, ReferenceInfo } from 'langium';
import { MultiMap, isMultiReference, isReference } from 'langium';
import { astNodes, forEachReference, replaceInDocumentNodes } from './baton-ast-walk.js';

/**
 * The editor's re-check after a statement-only re-parse (BatonDocumentFactory), without re-computing what the edit
 * cannot change:
 *
 * - **local symbols**: the previous build's symbols are kept; the replaced elements' descriptions are taken out and
 *   the new elements' put in their place (same order as a full computation: document order);
 * - **links**: the references of untouched elements stay linked. Re-linked are the new elements' references and
 *   every reference whose name (`$refText`) an old or a new element declares — the only ones whose candidates can
 *   have changed (a scope is the names visible from a place; an edit inside one element adds or removes only the
 *   names declared in it; the descriptions of the others are the same objects). A name index (name → the
 *   references of that text, with their container and property) finds them; it is kept up to date here.
 *
 * Everything else falls back to Langium's full path: a full parse, a build that was cancelled between its parse and
 * its link phase (then a later edit may lie inside the replaced element), several documents changed at once, a
 * document that was not linked before. Validation still runs on the whole document.
 * `test/language/incremental-check.test.ts` compares diagnostics and links with a full check after every edit of
 * randomised edit sequences.
 */

/** What a build of a changed document may reuse from its previous build. */
interface Reusable {
  /** The AST root the reused state belongs to (a full parse makes a new one: nothing is reused). */
  root: AstNode;
  /** The previous build's local symbols (patched in place by {@link patchLocalSymbols}). */
  symbols: MultiMap<AstNode, AstNodeDescription>;
  /** The previous build's `document.references`, in link order, still linked. */
  references: Array<Reference | { _items?: unknown }>;
  /** Elements replaced since, in order: `old` was put out, `node` in; the line breaks `old`'s text held. */
  replacements: Replacement[];
  /** Set by the scope phase once the symbols are patched; the link phase then re-links incrementally. */
  scoped: boolean;
  /** Something was missed (a cancelled build, a replacement without this state): the full path must run. */
  broken: boolean;
}

/** One element replaced by a statement-only re-parse: `old` put out, `node` in; the line breaks `old`'s text held. */
interface Replacement {
  old: AstNode;
  node: AstNode;
  oldLineBreaks: number;
  /** Once re-linked: the references linked again (the new element's and those of the names it or `old` declares). */
  relinked?: ReadonlySet<unknown>;
}

const reusable = new WeakMap<LangiumDocument, Reusable>();

/**
 * The documents reset to `Changed` by the current update. When several change at once (files changed on disk, a
 * folder), an untouched reference of one may point into another's replaced element: then every one takes the full path.
 */
let changedTogether = new Set<LangiumDocument>();

/** Called by the document builder at the start of each update (before its documents are reset). */
export function startUpdate(): void {
  changedTogether = new Set();
}

/** Per document: name → the references with that text, with where they are (container, property, index). */
const nameIndexes = new WeakMap<LangiumDocument, { root: AstNode; byName: Map<string, ReferenceInfo[]> }>();

/**
 * Called by the document builder when `document` is reset to `Changed`: keeps its local symbols and links for the
 * next build instead of dropping them, when it was linked with a name index. Returns true when kept (the builder then
 * must not unlink the document); false when the full reset must run.
 */
export function keepForIncrementalBuild(document: LangiumDocument, linked: boolean): boolean {
  changedTogether.add(document);
  const previous = reusable.get(document);
  if (previous) {
    // the build since the last reset patched the symbols but did not link: what it left is not trusted
    if (previous.scoped) previous.broken = true;
    return true;
  }
  const root = document.parseResult.value;
  const symbols = document.localSymbols;
  if (!linked || !(symbols instanceof MultiMap) || nameIndexes.get(document)?.root !== root) return false;
  reusable.set(document, { root, symbols, references: document.references as Reusable['references'], replacements: [], scoped: false, broken: false });
  document.references = [];
  return true;
}

/** Called by the document factory when it replaced element `old` by `node` in `document`'s AST (a statement-only re-parse). */
export function recordReplacement(document: LangiumDocument, old: AstNode, node: AstNode): void {
  replaceInDocumentNodes(document.parseResult.value, old, node);
  // the old element's text is still the document's (the factory sets the new text after this call)
  reusable.get(document)?.replacements.push({ old, node, oldLineBreaks: lineBreaks(old.$cstNode?.text) });
}

/** How many line breaks (LF, CRLF, CR) `text` holds; -1 without a text. */
export function lineBreaks(text: string | undefined): number {
  if (text === undefined) return -1;
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) count++;
    else if (c === 13 && text.charCodeAt(i + 1) !== 10) count++;
  }
  return count;
}

/**
 * The references of the previous build that are still linked, when the document is about to be linked from
 * scratch (the full path): they must be unlinked first. Forgets the reusable state.
 */
export function takeStaleReferences(document: LangiumDocument): Reusable['references'] {
  sinceValidation.delete(document);
  const state = reusable.get(document);
  reusable.delete(document);
  return state?.references ?? [];
}

/**
 * The local symbols of `document` patched for its replaced elements, or undefined when they must be computed in
 * full (then the state is marked broken). `addSymbols(node, into)` adds the symbols of one named node as the
 * scope computation does.
 */
export function patchLocalSymbols(document: LangiumDocument, addSymbols: (node: AstNode, into: MultiMap<AstNode, AstNodeDescription>) => void): MultiMap<AstNode, AstNodeDescription> | undefined {
  const state = reusable.get(document);
  if (!state) return undefined;
  // several replacements (a build cancelled between its parse and its scopes, then another edit): the later may lie
  // inside the earlier's new element or replace it; rare enough to take the full path
  if (state.broken || state.root !== document.parseResult.value || state.replacements.length !== 1 || changedTogether.size > 1) {
    state.broken = true;
    return undefined;
  }
  const symbols = state.symbols;
  const patches = new Map<AstNode, { removed: readonly AstNodeDescription[]; added: readonly AstNodeDescription[] } | undefined>();
  for (const { old, node } of state.replacements) {
    const oldNodes = new Set(astNodes(old));
    const added = new MultiMap<AstNode, AstNodeDescription>();
    const newNodes = astNodes(node);
    for (const n of newNodes) if (typeof (n as { name?: unknown }).name === 'string') addSymbols(n, added);
    const removedFrom = new MultiMap<AstNode, AstNodeDescription>();
    for (const n of oldNodes) if (typeof (n as { name?: unknown }).name === 'string') addSymbols(n, removedFrom);
    const inNew = new Set(newNodes);
    // keys inside the old element are gone
    for (const key of removedFrom.keys()) if (oldNodes.has(key)) symbols.delete(key);
    for (const key of [...symbols.keys()]) if (oldNodes.has(key)) symbols.delete(key);
    // keys outside: the old element's descriptions out, the new element's in, at its place in document order
    const outer = new Set<AstNode>();
    for (const key of removedFrom.keys()) if (!oldNodes.has(key)) outer.add(key);
    for (const key of added.keys()) if (!inNew.has(key)) outer.add(key);
    for (const key of outer) {
      const list = symbols.get(key);
      let at = -1;
      const kept: AstNodeDescription[] = [];
      const removed: AstNodeDescription[] = [];
      let contiguous = true;
      for (const d of list) {
        if (d.node && oldNodes.has(d.node)) {
          if (at < 0) at = kept.length;
          else if (kept.length !== at) contiguous = false; // a kept one between two taken out
          removed.push(d);
        } else kept.push(d);
      }
      if (at < 0) at = insertionIndex(kept, node);
      const result = [...kept.slice(0, at), ...added.get(key), ...kept.slice(at)];
      symbols.delete(key);
      if (result.length > 0) symbols.addAll(key, result);
      patches.set(key, contiguous ? { removed, added: added.get(key) } : undefined);
    }
    for (const key of added.keys()) if (inNew.has(key)) symbols.addAll(key, added.get(key));
  }
  state.scoped = true;
  symbolsEpochs.set(document, { epoch: (symbolsEpochs.get(document)?.epoch ?? 0) + 1, patches });
  return symbols;
}

/**
 * Per document: a counter of how many times its local symbols were made, and, when the last time was a patch
 * ({@link patchLocalSymbols}), per container key whose list it changed: the descriptions taken out and those put in
 * their place (undefined: not side by side, the list changed otherwise); a key missing from `patches` kept its list.
 * The scope provider keeps a container's scope from one build to the next with it.
 */
const symbolsEpochs = new WeakMap<LangiumDocument, SymbolsEpoch>();

/** See {@link symbolsEpochs}. */
export interface SymbolsEpoch {
  epoch: number;
  patches?: ReadonlyMap<AstNode, { removed: readonly AstNodeDescription[]; added: readonly AstNodeDescription[] } | undefined>;
}

/** How `document`'s local symbols were last made (undefined: never through this module). */
export function symbolsEpoch(document: LangiumDocument): SymbolsEpoch | undefined {
  return symbolsEpochs.get(document);
}

/** Called by the scope computation when it computed `document`'s local symbols in full: no scope is patched across it. */
export function symbolsComputed(document: LangiumDocument): void {
  symbolsEpochs.set(document, { epoch: (symbolsEpochs.get(document)?.epoch ?? 0) + 1 });
}

/** Where descriptions of `node`'s subtree go among `list` (in document order): after the nodes before it and its ancestors. */
function insertionIndex(list: readonly AstNodeDescription[], node: AstNode): number {
  const start = node.$cstNode?.offset ?? 0;
  let i = 0;
  while (i < list.length) {
    const other = list[i].node;
    const offset = other?.$cstNode?.offset ?? 0;
    if (offset > start || (offset === start && other && !isAncestor(other, node))) break;
    i++;
  }
  return i;
}

function isAncestor(candidate: AstNode, node: AstNode): boolean {
  for (let n = node.$container; n; n = n.$container) if (n === candidate) return true;
  return false;
}

/**
 * Re-links `document` after its elements were replaced, when its symbols were patched in this build
 * ({@link patchLocalSymbols}); false when the full link must run. `doLink(info)` links one reference as the linker
 * does (pushing it to `document.references`). Synchronous: a cancellation cannot stop it half-way.
 */
export function relinkIncrementally(document: LangiumDocument, doLink: (info: ReferenceInfo) => void): boolean {
  const state = reusable.get(document);
  const index = nameIndexes.get(document);
  if (!state || !state.scoped || state.broken || !index || index.root !== document.parseResult.value || changedTogether.size > 1) return false;
  reusable.delete(document);
  const names = new Set<string>();
  const removed = new Set<unknown>();
  const newInfos: ReferenceInfo[] = [];
  const oldContainers = new Set<AstNode>();
  const newContainers = new Set<AstNode>();
  for (const { old, node } of state.replacements) {
    for (const n of astNodes(old)) {
      oldContainers.add(n);
      if (typeof (n as { name?: unknown }).name === 'string') names.add((n as unknown as { name: string }).name);
      forEachReference(n, (info) => removed.add(info.reference));
    }
    for (const n of astNodes(node)) {
      newContainers.add(n);
      if (typeof (n as { name?: unknown }).name === 'string') names.add((n as unknown as { name: string }).name);
      forEachReference(n, (info) => newInfos.push(info));
    }
  }
  // a later replacement may have put out an element an earlier one put in: only what is in the AST now counts
  const live = newInfos.filter((info) => !oldContainers.has(info.container));
  // the name index: the old elements' references out, the new ones' in
  const byName = index.byName;
  const touched = new Set<string>();
  for (const reference of removed) touched.add((reference as Reference).$refText);
  for (const name of touched) {
    const list = byName.get(name);
    if (list) byName.set(name, list.filter((info) => !oldContainers.has(info.container)));
  }
  for (const info of live) addToIndex(byName, info);
  // unlink the untouched references whose name an old or new element declares
  const relink: ReferenceInfo[] = [];
  for (const name of names) {
    for (const info of byName.get(name) ?? []) {
      if (newContainers.has(info.container)) continue;
      unlinkReference(info.reference);
      relink.push(info);
    }
  }
  // the references in link order: the kept ones where they were, each new element's where its old one's were
  let references = state.references;
  for (const { old, node } of state.replacements) {
    const out = new Set<unknown>();
    for (const n of astNodes(old)) forEachReference(n, (info) => out.add(info.reference));
    const put: Reusable['references'] = [];
    for (const n of astNodes(node)) forEachReference(n, (info) => put.push(info.reference as Reusable['references'][number]));
    let at = runStart(references, out, lastRelinkAt.get(references) ?? 0);
    // the old element's references side by side (they are linked in document order): replaced in place
    let run = 0;
    if (at >= 0) while (run < out.size && at + run < references.length && out.has(references[at + run])) run++;
    if (at >= 0 && run === out.size) {
      references.splice(at, run, ...put);
      lastRelinkAt.set(references, at);
      continue;
    }
    // not side by side: where the first of them was (the number of kept references before it)
    if (at >= 0) at = references.findIndex((reference) => out.has(reference));
    const kept = out.size > 0 ? references.filter((reference) => !out.has(reference)) : references;
    if (at < 0) at = referenceInsertionIndex(kept, put[0] as Reference | undefined);
    references = [...kept.slice(0, at), ...put, ...kept.slice(at)];
  }
  document.references = [] as LangiumDocument['references'];
  for (const info of relink) doLink(info);
  for (const info of live) doLink(info);
  document.references = references as LangiumDocument['references'];
  incrementalBuilds.count++;
  const since = sinceValidation.get(document);
  const relinked = new Set<unknown>([...relink, ...live].map((info) => info.reference));
  if (since && since.root === state.root) since.edits.push(...state.replacements.map((r) => ({ ...r, relinked })));
  return true;
}

/** Per list of references kept across builds: where the last re-link replaced an element's references (typing stays near). */
const lastRelinkAt = new WeakMap<object, number>();

/**
 * The start of the run of elements of `out` (side by side) holding the one found first from `hint` on (then before
 * it), or -1 when `list` holds none: the first element of `out` in `list` whenever they all lie side by side — the
 * case the caller splices; otherwise the start of some run (the caller then looks for the first). Searching from
 * where the last edit was spares going through the 15,000 references of a 5,000-step flow from the start.
 */
export function runStart(list: readonly unknown[], out: ReadonlySet<unknown>, hint: number): number {
  if (out.size === 0) return -1;
  let at = -1;
  for (let i = Math.max(0, Math.min(hint, list.length)); i < list.length; i++) {
    if (out.has(list[i])) {
      at = i;
      break;
    }
  }
  if (at < 0) {
    for (let i = Math.min(hint, list.length) - 1; i >= 0; i--) {
      if (out.has(list[i])) {
        at = i;
        break;
      }
    }
  }
  while (at > 0 && out.has(list[at - 1])) at--;
  return at;
}

/** Where references starting with `first` go among `list` (in document order): after those before it. */
function referenceInsertionIndex(list: Reusable['references'], first: Reference | undefined): number {
  const start = first?.$refNode?.offset;
  if (start === undefined) return list.length;
  let i = 0;
  while (i < list.length && ((list[i] as Reference).$refNode?.offset ?? 0) < start) i++;
  return i;
}

/**
 * Unlinks one reference as Langium's `DefaultLinker.unlink` does (the next read or link resolves it again), clearing
 * the description rather than deleting it: a deleted property makes the object a slow, dictionary-mode one (see
 * BatonReference). Used by every unlink (BatonLinker.unlink, the incremental re-link).
 */
export function unlinkReference(reference: ReferenceInfo['reference']): void {
  const r = reference as unknown as { _ref?: unknown; _nodeDescription?: unknown; _items?: unknown; _linkingError?: unknown };
  if ('_ref' in r) {
    r._ref = undefined;
    r._nodeDescription = undefined;
  } else if ('_items' in r) {
    r._items = undefined;
    delete r._linkingError;
  }
}

function addToIndex(byName: Map<string, ReferenceInfo[]>, info: ReferenceInfo): void {
  const name = info.reference.$refText;
  const list = byName.get(name);
  if (list) list.push(info);
  else byName.set(name, [info]);
}

/**
 * A name index for a document being linked in full: `record(info)` for each reference the linker visits, then
 * `finish()` when the link is complete (an unfinished link leaves no index, so no incremental build trusts it).
 */
export function nameIndexBuilder(document: LangiumDocument): { record: (info: ReferenceInfo) => void; finish: () => void } {
  nameIndexes.delete(document);
  sinceValidation.delete(document);
  const root = document.parseResult.value;
  const byName = new Map<string, ReferenceInfo[]>();
  return {
    record: (info) => {
      if (isReference(info.reference) || isMultiReference(info.reference)) addToIndex(byName, info);
    },
    finish: () => nameIndexes.set(document, { root, byName }),
  };
}

/**
 * Per document: the elements replaced (and re-linked incrementally) since its last complete validation, for the
 * incremental validation (baton-incremental-validation.ts). Started by {@link validationCompleted}; dropped by any
 * full link, so a document whose links were all recomputed since is validated in full.
 */
const sinceValidation = new WeakMap<LangiumDocument, { root: AstNode; edits: Replacement[] }>();

/** What changed in `document` since its last complete validation, when that is exactly one re-linked replacement. */
export function editSinceValidation(document: LangiumDocument): (Replacement & { byName: ReadonlyMap<string, readonly ReferenceInfo[]> }) | undefined {
  const since = sinceValidation.get(document);
  const index = nameIndexes.get(document);
  const root = document.parseResult.value;
  if (!since || since.root !== root || since.edits.length !== 1 || !index || index.root !== root) return undefined;
  return { ...since.edits[0], byName: index.byName };
}

/** The linker's name index of `document` (name → the references with that text), or undefined without a current one. */
export function nameIndexOf(document: LangiumDocument): ReadonlyMap<string, readonly ReferenceInfo[]> | undefined {
  const index = nameIndexes.get(document);
  return index && index.root === document.parseResult.value ? index.byName : undefined;
}

/** Called when a validation of `document` completed: later replacements are recorded against it. */
export function validationCompleted(document: LangiumDocument): void {
  sinceValidation.set(document, { root: document.parseResult.value, edits: [] });
}

/** How many builds re-linked incrementally since the process started (tests assert the path is taken). */
export const incrementalBuilds = { count: 0 };
