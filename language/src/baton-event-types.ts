import type { AstNode, LangiumDocuments } from 'langium';
import { AstUtils } from 'langium';
import type { TypeRef } from '@baton/protocol';
import { visibleDocuments } from './baton-imports.js';
import { toTypeRef } from './baton-types.js';
import * as ast from './generated/ast.js';

/**
 * The `event "…" { … }` declarations visible from `node`: those of its document and, when `documents` is
 * given, of every document it imports (transitively) — the same visibility as types and agents. Event names
 * are strings, not cross-references (a `wait event` on an undeclared event stays valid and untyped), so
 * checking, hover, go-to-definition and rename look them up here.
 */
export function visibleEventDecls(node: AstNode, documents?: LangiumDocuments): ast.EventDecl[] {
  const document = AstUtils.getDocument(node);
  const docs = documents ? visibleDocuments(document, documents) : [document];
  const decls: ast.EventDecl[] = [];
  for (const doc of docs) {
    for (const element of (doc.parseResult?.value as ast.Document | undefined)?.elements ?? []) if (ast.isEventDecl(element)) decls.push(element);
  }
  return decls;
}

/** The declaration of event `name` seen from `node` (the first one, when it is declared twice), if any. */
export function findEventDecl(node: AstNode, name: string | undefined, documents?: LangiumDocuments): ast.EventDecl | undefined {
  if (name === undefined) return undefined;
  return visibleEventDecls(node, documents).find((d) => d.name === name);
}

/** The declared type of an event's `data` (`any` when it declares none). */
export function eventDataType(decl: ast.EventDecl | undefined): TypeRef {
  const p = decl?.properties.find(ast.isEventDataProperty);
  return p ? toTypeRef(p.type) : { kind: 'any' };
}

/** Allowed event names: letters, digits and `_ . : -`, 1 to 200 characters (they appear in URLs and CLI arguments). */
export const EVENT_NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,200}$/;
