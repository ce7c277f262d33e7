import type { AgentDef, JsonValue, StubSpec, ToolCallRequest, TypeRef } from '@baton/protocol';
import { BatonError } from '../errors.js';
import { checkMalformedStreak, type AgentCaller, type AgentRequest, type AgentResponse, type AgentTurnRequest, type AgentTurnResponse } from './agent.js';

/**
 * The stub agent: offline and deterministic. An agent's `stub` items answer its calls in order (the
 * `callIndex`-th item, the last one repeated); an `error("…")` item throws `STUB_ERROR`. `overrides`
 * (a test's `stub Agent:` lines) replace an agent's own stub. Without any stub, the value is built from
 * the agent's `output` type by {@link stubValueFor}.
 *
 * In a tool loop (`turn`), a `turns(t1, …, final)` stub item answers turn N with its Nth entry — a list of
 * `call(tool, args)` is a turn of (parallel) tool calls, the last entry is the final output; an item that is not
 * `turns(…)` (or no stub) answers the final output at the first turn. `call` on a `turns(…)` item answers its final
 * output. In a list (`stub: [turns(…), turns(…)]`, one script per step call) the item is the one turn 1 was answered
 * from (`TurnHistoryItem.callIndex`; turns are calls of their own).
 */
export function createStubAgents(overrides: Record<string, StubSpec> = {}): AgentCaller & Required<Pick<AgentCaller, 'turn'>> {
  /** The stub item's value answering `request` (`STUB_ERROR` for an `error(…)` item), or undefined without a stub. */
  const itemFor = (request: AgentRequest, index = request.callIndex): JsonValue | undefined => {
    if (request.signal.aborted) throw new BatonError('STEP_CANCELLED', 'the call was cancelled');
    const spec = overrides[request.agent.name] ?? request.agent.stub;
    if (!spec || spec.items.length === 0) return undefined;
    const item = spec.items[Math.min(index, spec.items.length - 1)];
    if (item.kind === 'error') throw new BatonError('STUB_ERROR', item.message);
    return item.value;
  };
  return {
    async call(request: AgentRequest): Promise<AgentResponse> {
      const value = itemFor(request);
      if (value === undefined) return { output: stubValueFor(request.agent, request.callIndex), tokens: 0 };
      const script = turnsOf(value);
      return { output: script ? script[script.length - 1] : value, tokens: 0 };
    },
    async turn(request: AgentTurnRequest): Promise<AgentTurnResponse> {
      // every turn is a call of its own: the item is the one turn 1 was answered from (its call index in the history)
      const value = itemFor(request, request.turn > 1 ? (request.history[0]?.callIndex ?? request.callIndex) : request.callIndex);
      if (value === undefined) return { kind: 'final', output: stubValueFor(request.agent, request.callIndex), tokens: 0 };
      const script = turnsOf(value);
      if (!script || request.turn >= script.length) return { kind: 'final', output: script ? script[script.length - 1] : value, tokens: 0 };
      const calls = stubCalls(script[request.turn - 1], request);
      checkMalformedStreak(request, calls, `the stub of agent ${request.agent.name}`);
      return { kind: 'calls', calls, tokens: 0 };
    },
  };
}

/** The entries of a `turns(…)` stub value (`{ "$turns": [turn1, …, final] }`), or undefined for another value. */
export function turnsOf(value: JsonValue): JsonValue[] | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !Array.isArray(value.$turns) || value.$turns.length === 0) return undefined;
  return value.$turns;
}

/**
 * The calls of one scripted turn: a list of `call(name, args)` values (`{ "$call": name, "arguments": args }`), or
 * one such value. Call ids are `stub-<turn>-<n>` (n from 1), the same every time the turn is answered.
 * @throws BatonError `STUB_ERROR` when the entry is not calls (only the last entry of `turns(…)` is the output).
 */
function stubCalls(entry: JsonValue, request: AgentTurnRequest): ToolCallRequest[] {
  const list = Array.isArray(entry) ? entry : [entry];
  return list.map((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item) || typeof item.$call !== 'string') {
      throw new BatonError('STUB_ERROR', `the stub of agent ${request.agent.name}: turn ${request.turn} of its turns(…) is not a list of call(…) (only the last entry is the output)`);
    }
    return { id: `stub-${request.turn}-${i + 1}`, tool: item.$call, arguments: item.arguments ?? {} };
  });
}

/**
 * A deterministic value of the agent's `output` type: text `"<Agent>.<field>"`, the first literal of a
 * union, `0` for numbers, `true`, one list item, every required field of a record, `null` for `any`.
 * Without an output type, the text `"<Agent> result"`. Depends only on the agent (not on time or order).
 */
export function stubValueFor(agent: AgentDef, _callIndex = 0): JsonValue {
  if (!agent.output) return `${agent.name} result`;
  return valueOf(agent.output, agent.name, 0);
}

function valueOf(type: TypeRef, path: string, depth: number): JsonValue {
  if (depth > 8) return null;
  switch (type.kind) {
    case 'string':
      return path;
    case 'number':
      return 0;
    case 'boolean':
      return true;
    case 'any':
    case 'null':
      return null;
    case 'literal':
      return type.value;
    case 'union':
      return type.types.length ? valueOf(type.types[0], path, depth + 1) : null;
    case 'list':
      return [valueOf(type.element, `${path}[0]`, depth + 1)];
    case 'record': {
      const record: Record<string, JsonValue> = {};
      for (const f of type.fields) if (!f.optional) record[f.name] = valueOf(f.type, `${path}.${f.name}`, depth + 1);
      return record;
    }
  }
}
