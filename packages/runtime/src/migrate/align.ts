// Aligning two versions of a definition's statement trees, so the events of a run stored under the old one can be
// read under the new one (see migrate-run.ts). Named statements keep their ids across edits (`<Flow>/<name>`); the
// others have path-based ids (`<Flow>/<kind>@<path>`) that move when a statement is inserted before them.
import { forEachStatement, nestedBodies, type FlowDef, type Statement, type WorkflowDefinition } from '@baton/protocol';

/** How the statements of an old definition map onto a new one. */
export interface Alignment {
  /** Old statement id → the new statement it aligned with. */
  matched: Map<string, Statement>;
  /** Old statement id → the old statement (every statement of the aligned flows). */
  old: Map<string, Statement>;
  /** Old id → new id, for the aligned statements whose id changed (the `renamed` of `run.migrated`). */
  renamed: Record<string, string>;
}

/**
 * The name a statement is known by in its flow, when its id is name-based (`<Flow>/<name>`: steps, approvals,
 * named event waits, vars, and any later kind built the same way); undefined for a path-based id.
 */
export function statementName(s: Statement, flow: string): string | undefined {
  const name = (s as { name?: unknown }).name;
  return typeof name === 'string' && s.id === `${flow}/${name}` ? name : undefined;
}

/**
 * Aligns the flows of `from` with those of `to`: `flows` maps an old flow name to the new flow it continues as
 * (the run's flow may be given another name; every other flow of `from` aligns with the flow of the same name in
 * `to`, when there is one).
 *
 * The algorithm, generic over statement kinds (it only uses `nestedBodies` and the id scheme): a named statement
 * aligns with the new statement of the same name and kind anywhere in the new flow; an unnamed one with the
 * unnamed statement of the same kind and the same ordinal (among the unnamed statements of that kind) in the
 * aligned body of its aligned parent — the n-th nested body of a statement with the n-th of its counterpart. What
 * does not align is left out (the compatibility checks and the dry replay name what that breaks).
 */
export function alignDefinitions(from: WorkflowDefinition, to: WorkflowDefinition, flows: Record<string, string>): Alignment {
  const alignment: Alignment = { matched: new Map(), old: new Map(), renamed: {} };
  for (const [name, oldFlow] of Object.entries(from.flows)) {
    const newFlow = to.flows[flows[name] ?? name];
    forEachStatement(oldFlow.body, (s) => alignment.old.set(s.id, s));
    if (newFlow) alignFlow(oldFlow, newFlow, alignment);
  }
  return alignment;
}

function alignFlow(oldFlow: FlowDef, newFlow: FlowDef, alignment: Alignment): void {
  const named = new Map<string, Statement>();
  forEachStatement(newFlow.body, (s) => {
    const name = statementName(s, newFlow.name);
    if (name !== undefined) named.set(name, s);
  });
  const pair = (a: Statement, b: Statement): void => {
    if (alignment.matched.has(a.id)) return;
    alignment.matched.set(a.id, b);
    if (a.id !== b.id) alignment.renamed[a.id] = b.id;
    // the parts with ids of their own (a choice's arms, …) at the same place in both
    const parts = ownParts(b);
    for (const [where, part] of ownParts(a)) {
      const counterpart = parts.get(where);
      if (counterpart && counterpart.id !== part.id) alignment.renamed[part.id] = counterpart.id;
    }
    const oldBodies = nestedBodies(a);
    const newBodies = nestedBodies(b);
    for (let i = 0; i < Math.min(oldBodies.length, newBodies.length); i++) body(oldBodies[i], newBodies[i]);
  };
  const body = (oldBody: Statement[], newBody: Statement[]): void => {
    const ordinal = new Map<string, number>();
    for (const s of oldBody) {
      const name = statementName(s, oldFlow.name);
      if (name !== undefined) {
        const counterpart = named.get(name);
        if (counterpart && counterpart.kind === s.kind) pair(s, counterpart);
        continue;
      }
      const n = ordinal.get(s.kind) ?? 0;
      ordinal.set(s.kind, n + 1);
      const counterpart = newBody.filter((t) => t.kind === s.kind && statementName(t, newFlow.name) === undefined)[n];
      if (counterpart) pair(s, counterpart);
    }
  };
  body(oldFlow.body, newFlow.body);
  // named statements nested where the walk above did not reach (their parent did not align) still align by name
  forEachStatement(oldFlow.body, (s) => {
    const name = statementName(s, oldFlow.name);
    const counterpart = name !== undefined ? named.get(name) : undefined;
    if (counterpart && counterpart.kind === s.kind) pair(s, counterpart);
  });
}

/**
 * The objects inside statement `s` that have an `id` of their own and are not statements of its nested bodies (a
 * `wait first`'s arms, and whatever later kinds carry), by their property path in `s` (`arms.1`): generic over
 * statement kinds, as the ids of events name them.
 */
function ownParts(s: Statement): Map<string, { id: string }> {
  const nested = new Set<unknown>(nestedBodies(s).flat());
  const parts = new Map<string, { id: string }>();
  const walk = (value: unknown, where: string): void => {
    if (!value || typeof value !== 'object' || nested.has(value)) return;
    if (value !== s && typeof (value as { id?: unknown }).id === 'string') parts.set(where, value as { id: string });
    for (const [key, inner] of Object.entries(value)) walk(inner, where ? `${where}.${key}` : key);
  };
  walk(s, '');
  return parts;
}
