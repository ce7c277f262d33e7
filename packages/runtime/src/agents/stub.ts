import type { AgentDef, JsonValue, StubSpec, TypeRef } from '@baton/protocol';
import { BatonError } from '../errors.js';
import type { AgentCaller, AgentRequest, AgentResponse } from './agent.js';

/**
 * The stub agent: offline and deterministic. An agent's `stub` items answer its calls in order (the
 * `callIndex`-th item, the last one repeated); an `error("…")` item throws `STUB_ERROR`. `overrides`
 * (a test's `stub Agent:` lines) replace an agent's own stub. Without any stub, the value is built from
 * the agent's `output` type by {@link stubValueFor}.
 */
export function createStubAgents(overrides: Record<string, StubSpec> = {}): AgentCaller {
  return {
    async call(request: AgentRequest): Promise<AgentResponse> {
      if (request.signal.aborted) throw new BatonError('STEP_CANCELLED', 'the call was cancelled');
      const spec = overrides[request.agent.name] ?? request.agent.stub;
      if (spec && spec.items.length > 0) {
        const item = spec.items[Math.min(request.callIndex, spec.items.length - 1)];
        if (item.kind === 'error') throw new BatonError('STUB_ERROR', item.message);
        return { output: item.value, tokens: 0 };
      }
      return { output: stubValueFor(request.agent, request.callIndex), tokens: 0 };
    },
  };
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
