import type { AstNode, AstReflection, CstNode } from 'langium';
import { DatatypeSymbol } from 'langium';

/**
 * What Langium 4.2's `assignMandatoryProperties` (langium/lib/utils/ast-utils.js) does when the parser finishes an AST
 * node — every property of the node's type that has a default value (`[]` for a list, `false` for a boolean) and was
 * not set gets a fresh copy of it — with the properties to fill worked out once per type instead of per node.
 * Langium's walks `Object.values` of the type's metadata and copies each default with a spread of a `map` (two arrays
 * per list property, per node): ~6 % of the parse of a 5,000-step flow (issue 15).
 */
export class MandatoryDefaults {
  /** Per `$type`: the names and default values of its properties that have one. */
  private readonly byType = new Map<string, Array<readonly [string, unknown]>>();

  constructor(private readonly reflection: AstReflection) {}

  /** Sets each defaulted property of `node` that is `undefined` to a copy of its default (lists are copied deeply). */
  assign(node: AstNode): void {
    let defaults = this.byType.get(node.$type);
    if (defaults === undefined) {
      defaults = [];
      for (const property of Object.values(this.reflection.getTypeMetaData(node.$type).properties)) {
        if (property.defaultValue !== undefined) defaults.push([property.name, property.defaultValue]);
      }
      this.byType.set(node.$type, defaults);
    }
    const record = node as unknown as Record<string, unknown>;
    for (let i = 0; i < defaults.length; i++) {
      const [name, value] = defaults[i];
      if (record[name] === undefined) record[name] = copyDefault(value);
    }
  }
}

/** A default value as the node gets it: a list is a new list (of copies), anything else is itself. */
function copyDefault(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  const copy = new Array<unknown>(value.length);
  for (let i = 0; i < value.length; i++) copy[i] = copyDefault(value[i]);
  return copy;
}

/** Whether `node` is the value being built by a data type rule (Langium's `isDataTypeNode`, not exported). */
export function isDataTypeNode(node: { $type: unknown }): node is { $type: symbol; value: string; $cstNode?: CstNode } {
  return node.$type === DatatypeSymbol;
}
