import type { RunEventBase } from './events.js';
import type { TypeRef } from './ir.js';
import type { FlowGraph } from './graph.js';

/**
 * Flows written by agents (issue 14): an agent with `output: flow` answers with flow source text; the step that calls
 * it carries a `generate { … }` policy (`GeneratePolicy` in ir.ts). The runtime checks each answer with the language's
 * checker (an injected `FlowAuthoring`), gives the diagnostics back to the agent for at most `repairs` more attempts,
 * stores the accepted definition by hash, and `step s: run plan { input: … }` runs its flow as a sub-flow.
 */

/** `max_steps` when the policy gives none. */
export const DEFAULT_GENERATED_STEPS = 20;
/** The largest `max_steps` a policy may give. */
export const MAX_GENERATED_STEPS = 1000;
/** `repairs` when the policy gives none. */
export const DEFAULT_GENERATE_REPAIRS = 2;
/** The largest `repairs` a policy may give. */
export const MAX_GENERATE_REPAIRS = 10;
/**
 * The largest generated source accepted for checking, in UTF-16 code units (1 Mi); a longer one is refused unread.
 * Steps past `max_steps` are found by a scan of the text before it is parsed, so a long one is refused quickly too.
 */
export const MAX_GENERATED_SOURCE_LENGTH = 1024 * 1024;
/** The most of a generated source a `flow.generated` event records (256 Ki code units). */
export const MAX_RECORDED_GENERATED_SOURCE = 256 * 1024;

/** The keys a `generate { … }` policy may hold, with what each takes. */
export const GENERATE_KEYS = {
  agents: 'list',
  flows: 'list',
  tools: 'list',
  max_steps: 'number',
  budget_tokens: 'number',
  repairs: 'number',
  input: 'type',
  output: 'type',
} as const;

/** A problem found in a generated flow: line and column count from 1 in the source the agent wrote. */
export interface GeneratedFlowDiagnostic {
  line: number;
  column: number;
  /** The checker's code (`unknown-reference`, …) or the policy's (`generate-undeclared-agent`, …). */
  code: string;
  message: string;
}

/**
 * One attempt of a generating step: the agent wrote `source` (call `callIndex`), and the checker accepted it or
 * found `diagnostics`. An accepted attempt names the flow and the stored definition (`sha256:<hex>`); it is stored
 * after that definition, so a resumed run finds it.
 */
export interface FlowGeneratedEvent extends RunEventBase {
  type: 'flow.generated';
  step: string;
  node: string;
  agent: string;
  /** 1 for the first answer, then one more per repair. */
  attempt: number;
  callIndex: number;
  accepted: boolean;
  /** Empty when accepted; at most 50 otherwise. */
  diagnostics: GeneratedFlowDiagnostic[];
  /** What the agent wrote (at most {@link MAX_RECORDED_GENERATED_SOURCE} code units are kept). */
  source: string;
  /** The accepted flow's name. */
  flow?: string;
  /** The accepted definition, `sha256:<hex>` (the run store's definitions). */
  definition?: string;
  /** Tokens the call used. */
  tokens: number;
}

/**
 * A flow an agent wrote in a run and its policy accepted, as `baton runs show --json` gives it (`written`, one per
 * accepted definition, in the order they were accepted): what the editor's graph panel draws inside the run.
 */
export interface WrittenFlowView {
  /** The generating step's key in the run (`plan`, `items/plan#2`) and node id (`Dispatch/plan`). */
  step: string;
  node: string;
  /** The written flow's name. */
  flow: string;
  /** The stored definition, `sha256:<hex>`. */
  definition: string;
  /** The file the definition names for it (`<dir of the generating file>/<Flow>.generated.flow`): its nodes' `range.file`. */
  file: string;
  /** That file's stored text (the agent's text after the `import` line the runtime adds); absent when not stored. */
  source?: string;
  /** Its graph (`buildFlowGraph` of the stored definition, nothing expanded); node ids are those its events name. */
  graph: FlowGraph;
}

/**
 * What a generating step's output is: the accepted source, its flow's name, the stored definition (`sha256:<hex>`)
 * and the attempts it took. `step s: run plan` reads `flow` and `definition`.
 */
export const GENERATED_FLOW_OUTPUT: TypeRef = {
  kind: 'record',
  fields: [
    { name: 'source', type: { kind: 'string' }, optional: false },
    { name: 'flow', type: { kind: 'string' }, optional: false },
    { name: 'definition', type: { kind: 'string' }, optional: false },
    { name: 'attempts', type: { kind: 'number' }, optional: false },
  ],
};

/**
 * Whether a value of type `actual` fits where `expected` is wanted (structural; `any` fits and accepts everything,
 * a literal fits `string`, a record fits when it has every required field of `expected` with fitting types).
 */
export function typeFits(actual: TypeRef, expected: TypeRef): boolean {
  if (actual.kind === 'any' || expected.kind === 'any') return true;
  if (actual.kind === 'union') return actual.types.every((t) => typeFits(t, expected));
  if (expected.kind === 'union') return expected.types.some((t) => typeFits(actual, t));
  switch (expected.kind) {
    case 'string':
      return actual.kind === 'string' || actual.kind === 'literal';
    case 'literal':
      return actual.kind === 'literal' && actual.value === expected.value;
    case 'list':
      return actual.kind === 'list' && typeFits(actual.element, expected.element);
    case 'record':
      return actual.kind === 'record' && expected.fields.every((f) => {
        const own = actual.fields.find((a) => a.name === f.name);
        return own ? typeFits(own.type, f.type) && (f.optional || !own.optional) : f.optional;
      });
    default:
      return actual.kind === expected.kind;
  }
}
