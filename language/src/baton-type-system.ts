import type { AstNode, LangiumDocuments } from 'langium';
import { AstUtils } from 'langium';
import { BUILTIN_FUNCTIONS_BY_NAME, GENERATED_FLOW_OUTPUT, MAX_EXPRESSION_DEPTH, type TypeRef } from '@baton/protocol';
import { toTypeRef } from './baton-types.js';
import { eventDataType, findEventDecl } from './baton-event-types.js';
import * as ast from './generated/ast.js';

const ANY: TypeRef = { kind: 'any' };
const STRING: TypeRef = { kind: 'string' };
const NUMBER: TypeRef = { kind: 'number' };
const BOOLEAN: TypeRef = { kind: 'boolean' };
const lit = (value: string): TypeRef => ({ kind: 'literal', value });
const union = (...values: string[]): TypeRef => ({ kind: 'union', types: values.map(lit) });
const STEP_STATUS = union('succeeded', 'failed', 'skipped', 'waiting', 'cancelled');
/** A region's status after it: `cancelled` by `cancel r`, `completed` by `complete r`, `skipped` when not reached. */
const REGION_STATUS = union('succeeded', 'cancelled', 'completed', 'skipped');
/** `received`: the event came; `timeout`: its `timeout` passed; `waiting` while it waits; `skipped`: the wait was not reached. */
const EVENT_WAIT_STATUS = union('received', 'timeout', 'waiting', 'skipped');
const RUN_STATUS = union('succeeded', 'failed', 'waiting', 'cancelled');
const field = (name: string, type: TypeRef, optional = false) => ({ name, type, optional });

/**
 * Infers the type of expressions where it is known: literals, inputs and outputs, step results through
 * their agent's `output` type (or a sub-flow's outputs), loop variables, `let` values, function results
 * and operators. Unknown is `any`, which never causes an error. Results are cached per node.
 */
export class BatonTypeSystem {
  /** Per node (a Map, not a WeakMap: an instance lives for one check or request, and ephemerons are costly to collect). */
  private readonly cache = new Map<AstNode, TypeRef>();
  /** What a step reads as, per step target (agent or sub-flow): the same for every step of one target. */
  private readonly stepViews = new Map<AstNode, TypeRef>();
  private readonly inProgress = new Set<AstNode>();

  /** @param documents the workspace's documents: event declarations of imported files are seen too (else only the same file's). */
  constructor(private readonly documents?: LangiumDocuments) {}

  /** The inferred type of an expression. */
  typeOf(node: ast.Expression | undefined): TypeRef {
    if (!node) return ANY;
    const cached = this.cache.get(node);
    if (cached) return cached;
    if (this.inProgress.has(node)) return ANY;
    // deeper than a run evaluates (reported as nesting-too-deep): unknown, and the stack stays bounded
    if (this.inProgress.size > MAX_EXPRESSION_DEPTH) return ANY;
    this.inProgress.add(node);
    try {
      const type = this.infer(node);
      this.cache.set(node, type);
      return type;
    } finally {
      this.inProgress.delete(node);
    }
  }

  private infer(node: ast.Expression): TypeRef {
    switch (node.$type) {
      case 'StringLiteral':
        return lit(node.value);
      case 'TemplateString':
        return STRING;
      case 'NumberLiteral':
      case 'DurationLiteral':
        return NUMBER;
      case 'BooleanLiteral':
        return BOOLEAN;
      case 'NullLiteral':
        return { kind: 'null' };
      case 'ListLiteral':
        return { kind: 'list', element: node.items.length ? widen(this.typeOf(node.items[0])) : ANY };
      case 'RecordLiteral':
        return { kind: 'record', fields: node.entries.map((e) => field(e.key, this.typeOf(e.value))) };
      case 'InputRef':
        return node.input?.ref ? toTypeRef(node.input?.ref.type) : ANY;
      case 'OutputRef':
        return node.output?.ref ? toTypeRef(node.output?.ref.type) : ANY;
      case 'RunStatusRef':
        return RUN_STATUS;
      case 'NameRef':
        return this.refType(node);
      case 'MemberAccess':
        return memberType(this.typeOf(node.receiver), node.member) ?? ANY;
      case 'IndexAccess': {
        const receiver = this.typeOf(node.receiver);
        if (receiver.kind === 'list') return receiver.element;
        if (receiver.kind === 'record' && ast.isStringLiteral(node.index)) return memberType(receiver, node.index.value) ?? ANY;
        return ANY;
      }
      case 'UnaryExpression':
        return node.op === '!' ? BOOLEAN : NUMBER;
      case 'BinaryExpression': {
        switch (node.op) {
          case '==': case '!=': case '<': case '<=': case '>': case '>=': case 'in':
            return BOOLEAN;
          case '&&': case '||':
            return ANY;
          case '??': {
            const left = this.typeOf(node.left);
            return left.kind === 'any' ? this.typeOf(node.right) : left;
          }
          case '+': {
            const l = this.typeOf(node.left);
            const r = this.typeOf(node.right);
            if (isNumber(l) && isNumber(r)) return NUMBER;
            if (isString(l) || isString(r)) return STRING;
            if (l.kind === 'list' && r.kind === 'list') return l.element.kind === 'any' ? { kind: 'list', element: widenDeep(r.element) } : l;
            return ANY;
          }
          default:
            return NUMBER;
        }
      }
      case 'ConditionalExpression':
        return this.typeOf(node.then);
      case 'FunctionCall':
        return BUILTIN_FUNCTIONS_BY_NAME.get(node.function)?.returns ?? ANY;
      default:
        // error recovery leaves nodes of the rule's own type (`Expression` for a lone `(`): nothing is known
        return ANY;
    }
  }

  private stepView(step: ast.Step): TypeRef {
    const target = step.target?.ref;
    if (!target) return stepViewType(step);
    let view = this.stepViews.get(target);
    if (!view) {
      view = stepViewType(step);
      this.stepViews.set(target, view);
    }
    return view;
  }

  /** What `wait event "x" as name` reads as: `{ data, status, at }`, `data` typed by the event's declaration. */
  eventWaitView(wait: ast.WaitStatement): TypeRef {
    return eventWaitViewType(eventDataType(findEventDecl(wait, wait.event, this.documents)));
  }

  private refType(node: ast.NameRef): TypeRef {
    const target = node.ref?.ref;
    if (!target) return ANY;
    if (ast.isLetStatement(target)) return this.typeOf(target.value);
    if (ast.isVarStatement(target)) return varType(target, this);
    if (ast.isLoopVariable(target)) {
      const source = target.$container.source;
      // an event loop's variable: its instance's event, `{ data, at }`
      if (source) return eventInstanceType(eventDataType(findEventDecl(source, source.event, this.documents)));
      const items = this.typeOf(target.$container.items);
      return items.kind === 'list' ? items.element : ANY;
    }
    if (!ast.isStep(target) && !ast.isApprovalStatement(target) && !ast.isWaitStatement(target) && !ast.isRegionStatement(target)) return ANY;
    const view = ast.isStep(target)
      ? this.stepView(target)
      : ast.isWaitStatement(target)
        ? this.eventWaitView(target)
        : ast.isRegionStatement(target)
          ? { kind: 'record' as const, fields: [field('status', REGION_STATUS)] }
          : approvalViewType(target);
    // A step of a foreach body read after the loop is the list of its iterations.
    const loop = AstUtils.getContainerOfType(target.$container, ast.isForeachStatement);
    if (loop && !isInside(node, loop)) return { kind: 'list', element: view };
    return view;
  }
}

/** What a step's name reads: `{ output, status, error, duration, tokens, attempts }`. */
export function stepViewType(step: ast.Step): TypeRef {
  return {
    kind: 'record',
    fields: [
      field('output', stepOutputType(step)),
      field('status', STEP_STATUS),
      field('error', { kind: 'union', types: [{ kind: 'null' }, { kind: 'record', fields: [field('code', STRING), field('message', STRING)] }] }),
      field('duration', NUMBER),
      field('tokens', NUMBER),
      field('attempts', NUMBER),
    ],
  };
}

/** The type of a step's `output`: its agent's `output` type, or its sub-flow's outputs as a record. */
export function stepOutputType(step: ast.Step): TypeRef {
  if (step.generated) {
    // the outputs the policy of the generating step declares (the generated flow must have them), else unknown
    const declared = step.generated.ref?.properties.find(ast.isGenerateProperty)?.entries.find((e) => e.key === 'output')?.type;
    return declared ? toTypeRef(declared) : ANY;
  }
  const target = step.target?.ref;
  if (ast.isAgentDecl(target)) {
    const p = target.properties.find(ast.isOutputTypeProperty);
    if (p?.isFlow) return GENERATED_FLOW_OUTPUT;
    return p ? toTypeRef(p.type) : ANY;
  }
  if (ast.isFlowDecl(target)) {
    return { kind: 'record', fields: target.members.filter(ast.isOutputDecl).map((o) => field(o.name, toTypeRef(o.type))) };
  }
  return ANY;
}

function approvalViewType(approval: ast.ApprovalStatement): TypeRef {
  const options = approval.properties.find(ast.isOptionsProperty)?.values ?? [];
  const decisions = [...new Set(['approved', 'rejected', 'timeout', ...options])];
  return {
    kind: 'record',
    fields: [
      field('output', { kind: 'record', fields: [field('decision', union(...decisions)), field('by', STRING), field('comment', ANY)] }),
      field('status', STEP_STATUS),
    ],
  };
}

/** What a named event wait reads: `{ data: <the event's data type>, status, at }`. */
export function eventWaitViewType(data: TypeRef): TypeRef {
  return {
    kind: 'record',
    fields: [field('data', data), field('status', EVENT_WAIT_STATUS), field('at', { kind: 'union', types: [STRING, { kind: 'null' }] })],
  };
}

/** What the variable of `foreach x in event "…"` reads: `{ data, at }` of the instance's event, `data` typed by its declaration. */
export function eventInstanceType(data: TypeRef): TypeRef {
  return { kind: 'record', fields: [field('data', data), field('at', STRING)] };
}

/** The type of `type.member`, `undefined` when a known record has no such field. */
export function memberType(type: TypeRef, member: string): TypeRef | undefined {
  switch (type.kind) {
    case 'record': {
      const f = type.fields.find((x) => x.name === member);
      return f ? f.type : undefined;
    }
    case 'union': {
      const results = type.types.filter((t) => t.kind !== 'null').map((t) => memberType(t, member));
      if (results.length === 0) return ANY;
      if (results.some((r) => r === undefined)) return results.every((r) => r === undefined) ? undefined : ANY;
      return results[0];
    }
    case 'string':
    case 'literal':
    case 'list':
      return member === 'length' ? NUMBER : undefined;
    case 'number':
    case 'boolean':
      return undefined;
    default:
      return ANY;
  }
}

/** Field names of a record type (for messages), or undefined. */
export function fieldNames(type: TypeRef): string[] | undefined {
  if (type.kind === 'record') return type.fields.map((f) => f.name);
  if (type.kind === 'union') {
    const records = type.types.filter((t) => t.kind === 'record');
    if (records.length === 1) return fieldNames(records[0]);
  }
  return undefined;
}

/**
 * The type of a `var`: its declared type, else its initial value's widened by {@link widenDeep} (so
 * `var stage = "new"` may later be set to `"packed"`); `null` without a declared type is `any` (the checker
 * reports `var-needs-type`).
 */
export function varType(node: ast.VarStatement, types: BatonTypeSystem = new BatonTypeSystem()): TypeRef {
  if (node.type) return toTypeRef(node.type);
  const value = types.typeOf(node.value);
  return value.kind === 'null' ? ANY : widenDeep(value);
}

/** A type with every string literal widened to string, in unions, lists and record fields too (`"a" | "b"` → string). */
export function widenDeep(type: TypeRef): TypeRef {
  switch (type.kind) {
    case 'literal':
      return STRING;
    case 'union':
      return isString(type) ? STRING : { kind: 'union', types: type.types.map(widenDeep) };
    case 'list':
      return { kind: 'list', element: widenDeep(type.element) };
    case 'record':
      return { kind: 'record', fields: type.fields.map((f) => ({ ...f, type: widenDeep(f.type) })) };
    default:
      return type;
  }
}

/** A literal widened to its base type (`"A"` → string). */
export function widen(type: TypeRef): TypeRef {
  return type.kind === 'literal' ? STRING : type;
}

export function isNumber(t: TypeRef): boolean {
  return t.kind === 'number';
}

export function isString(t: TypeRef): boolean {
  return t.kind === 'string' || t.kind === 'literal' || (t.kind === 'union' && t.types.length > 0 && t.types.every((x) => x.kind === 'literal' || x.kind === 'string'));
}

/** The literal values a type allows, when it is only string literals. */
export function literalValues(t: TypeRef): string[] | undefined {
  if (t.kind === 'literal') return [t.value];
  if (t.kind === 'union' && t.types.every((x) => x.kind === 'literal')) return t.types.map((x) => (x as { value: string }).value);
  return undefined;
}

/** The broad kind of a known type: 'string' | 'number' | 'boolean' | 'list' | 'record' | undefined (unknown or mixed). */
export function broadKind(t: TypeRef): 'string' | 'number' | 'boolean' | 'list' | 'record' | undefined {
  if (isString(t)) return 'string';
  if (t.kind === 'number' || t.kind === 'boolean' || t.kind === 'list' || t.kind === 'record') return t.kind;
  return undefined;
}

function isInside(node: AstNode, container: AstNode): boolean {
  for (let n: AstNode | undefined = node; n; n = n.$container) if (n === container) return true;
  return false;
}
