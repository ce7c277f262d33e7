import { exprToText, type WaitEventNode } from '@baton/protocol';
import { formatMs } from './build-graph.js';

/**
 * The detail line of a `wait event` node: `as payment · order_id == input.order_id · timeout 3d` (the parts the
 * wait has), or undefined for a bare `wait event "x"`.
 */
export function eventWaitDetail(s: WaitEventNode): string | undefined {
  const parts: string[] = [];
  if (s.name) parts.push(`as ${s.name}`);
  if (s.where) parts.push(`${s.where.path.join('.')} == ${exprToText(s.where.value)}`);
  if (s.timeoutMs !== undefined) parts.push(`timeout ${formatMs(s.timeoutMs)}`);
  return parts.length ? parts.join(' · ') : undefined;
}
