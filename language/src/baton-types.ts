import { MAX_EXPRESSION_DEPTH, type TypeRef } from '@baton/protocol';
import type * as ast from './generated/ast.js';

/**
 * The declared type of a type expression, with named types resolved. A named type that refers to itself
 * (directly or through others) is cut off as `any` at its second expansion; an unresolved name is `any`
 * (the linker reports it). A type nested more than 200 levels deep (reported as `nesting-too-deep`) is `any`
 * below that level.
 */
export function toTypeRef(type: ast.TypeExpr | undefined, expanding: Set<ast.TypeDecl> = new Set()): TypeRef {
  if (!type || typeDepth > MAX_EXPRESSION_DEPTH) return { kind: 'any' };
  typeDepth++;
  try {
    return typeRefOf(type, expanding);
  } finally {
    typeDepth--;
  }
}

/** How deep {@link toTypeRef} is in the type it converts. */
let typeDepth = 0;

function typeRefOf(type: ast.TypeExpr, expanding: Set<ast.TypeDecl>): TypeRef {
  switch (type.$type) {
    case 'BuiltinType':
      return { kind: type.name as 'string' | 'number' | 'boolean' | 'any' };
    case 'StringLiteralType':
      return { kind: 'literal', value: type.value };
    case 'ListTypeExpr':
      return { kind: 'list', element: toTypeRef(type.element, expanding) };
    case 'UnionTypeExpr':
      return { kind: 'union', types: type.types.map((t) => toTypeRef(t, expanding)) };
    case 'RecordType':
      return {
        kind: 'record',
        fields: type.fields.map((f) => ({ name: f.name, type: toTypeRef(f.type, expanding), optional: f.optional })),
      };
    case 'TypeReference': {
      const decl = type.ref?.ref;
      if (!decl || expanding.has(decl)) return { kind: 'any' };
      expanding.add(decl);
      try {
        return toTypeRef(decl.type, expanding);
      } finally {
        expanding.delete(decl);
      }
    }
    default:
      return { kind: 'any' };
  }
}
