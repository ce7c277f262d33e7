import type { AgentDef, JsonValue } from '@baton/protocol';

/** One call of an agent by a step (or a compensation). */
export interface AgentRequest {
  agent: AgentDef;
  /** The step instance calling, e.g. `migrate[1]`. */
  stepKey: string;
  /** The rendered prompt (empty when the step has none). */
  prompt: string;
  /** The step's structured `input`, if any. */
  input?: JsonValue;
  /** 0-based index of this call among all calls of this agent in the run (retries count). */
  callIndex: number;
  /** Aborted on timeout, cancellation or a failing sibling branch. */
  signal: AbortSignal;
  /** The effective timeout, ms, when there is one. */
  timeoutMs?: number;
}

/**
 * What an agent answered. `tokens` counts input + output tokens (0 for stubs); `usage` splits them when the
 * provider says; `costUsd` is their price (US dollars) when the configuration gives the model's prices.
 */
export interface AgentResponse {
  output: JsonValue;
  tokens?: number;
  usage?: { input: number; output: number };
  costUsd?: number;
}

/**
 * Calls agents. The stub (`createStubAgents`) answers offline; real providers (OpenAI, Anthropic, HTTP,
 * local commands) implement the same interface. Failures throw a `BatonError` with a code
 * (`STUB_ERROR`, `AGENT_FAILED`, …).
 */
export interface AgentCaller {
  call(request: AgentRequest): Promise<AgentResponse>;
}
