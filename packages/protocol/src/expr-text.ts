import type { ChoiceArm, EventSource, Expr, JoinSpec } from './ir.js';
import { formatDurationLiteral } from './run-format.js';

const PRECEDENCE: Record<string, number> = {
  '??': 2, '||': 3, '&&': 4, '==': 5, '!=': 5, '<': 6, '<=': 6, '>': 6, '>=': 6, in: 6, '+': 7, '-': 7, '*': 8, '/': 8, '%': 8,
};

/**
 * Prints an IR expression as source-like text (`intake.output.severity == "CRITICAL"`), for branch labels,
 * graph labels and messages. Parenthesises only where precedence needs it; templates print with `${…}`.
 */
export function exprToText(e: Expr, parent = 0): string {
  switch (e.kind) {
    case 'literal':
      return typeof e.value === 'string' ? JSON.stringify(e.value) : String(e.value);
    case 'template':
      return '"' + e.parts.map((p) => (p.kind === 'text' ? p.text.replace(/["\\]/g, (c) => '\\' + c).replace(/\$\{/g, '\\${') : '${' + exprToText(p.expr) + '}')).join('') + '"';
    case 'list':
      return '[' + e.items.map((i) => exprToText(i)).join(', ') + ']';
    case 'record':
      return '{ ' + e.fields.map((f) => `${/^[A-Za-z_]\w*$/.test(f.key) ? f.key : JSON.stringify(f.key)}: ${exprToText(f.value)}`).join(', ') + ' }';
    case 'ref':
      return e.name;
    case 'member':
      return `${exprToText(e.object, 10)}.${e.property}`;
    case 'index':
      return `${exprToText(e.object, 10)}[${exprToText(e.index)}]`;
    case 'unary':
      return `${e.op}${exprToText(e.operand, 9)}`;
    case 'binary': {
      const p = PRECEDENCE[e.op] ?? 1;
      const text = `${exprToText(e.left, p)} ${e.op} ${exprToText(e.right, p + 1)}`;
      return p < parent ? `(${text})` : text;
    }
    case 'conditional': {
      const text = `${exprToText(e.test, 2)} ? ${exprToText(e.then)} : ${exprToText(e.else)}`;
      return parent > 1 ? `(${text})` : text;
    }
    case 'call':
      return `${e.fn}(${e.args.map((a) => exprToText(a)).join(', ')})`;
  }
}

/**
 * What a partial join waits for, for people (the graph's join, `join.reached`, messages): `first 2 of 3` (with the
 * number of parts when known: a `parallel`'s branches), `first 2 where review.output.ok`, `until a.status == "succeeded"`.
 */
export function joinText(join: JoinSpec, parts?: number): string {
  if (join.kind === 'until') return `until ${exprToText(join.condition)}`;
  return `first ${join.count}${parts !== undefined ? ` of ${parts}` : ''}${join.where ? ` where ${exprToText(join.where)}` : ''}`;
}

/** A length as the language writes it (the graph's labels, `branch.taken` labels): {@link formatDurationLiteral} — `90s`, `1.5s`, `2h`. */
export function formatMs(ms: number): string {
  return formatDurationLiteral(ms);
}

/**
 * What an arm of `wait first { … }` waits for, for people (the graph's branch edges, `branch.taken` labels, `runs
 * show`): `event payment.received`, `approval write_off`, `after 3d`, `signal stock_ok`.
 */
export function choiceArmText(arm: ChoiceArm): string {
  switch (arm.kind) {
    case 'event':
      return `event ${arm.event}`;
    case 'approval':
      return `approval ${arm.name}`;
    case 'timer':
      return `after ${formatMs(arm.durationMs)}`;
    case 'signal':
      return `signal ${arm.signal}`;
  }
}

/**
 * The source of an event `foreach` as its header says it, for graph details and messages:
 * `event line.added · where order_id == input.order_id · timeout 1d`.
 */
export function eventSourceText(source: EventSource): string {
  const parts = [`event ${source.event}`];
  if (source.where) parts.push(`where ${source.where.path.join('.')} == ${exprToText(source.where.value)}`);
  if (source.end) parts.push(`until event ${source.end.event}${source.end.where ? ` where ${source.end.where.path.join('.')} == ${exprToText(source.end.where.value)}` : ''}`);
  if (source.timeoutMs !== undefined) parts.push(`timeout ${formatMs(source.timeoutMs)}`);
  return parts.join(' · ');
}
