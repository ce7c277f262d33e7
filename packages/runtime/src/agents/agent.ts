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
  /**
   * 0-based index of this call among all calls of this agent in the run (retries count). Stable under replay:
   * a step that was in flight when its run stopped (a crash, a lost lease, an interruption) calls again with the
   * same index when the run is resumed.
   */
  callIndex: number;
  /** The run calling. */
  runId: string;
  /**
   * `runId/stepKey/callIndex` (a compensation's: `runId/stepKey:compensation/callIndex`; see
   * {@link idempotencyKeyOf}): the same for the same call however often the run is resumed, new for a retry
   * of a failed attempt and for a redrive. `http/` agents send it as the `Idempotency-Key` header, `command/`
   * agents get it as `BATON_IDEMPOTENCY_KEY`, OpenAI-wire model providers as `Idempotency-Key`.
   */
  idempotencyKey: string;
  /** Aborted on timeout, cancellation or a failing sibling branch. */
  signal: AbortSignal;
  /** The effective timeout, ms, when there is one. */
  timeoutMs?: number;
  /**
   * The call's W3C trace context (`00-<trace id>-<span id>-<flags>`), when the process traces runs
   * (docs/observability.md): `http/` agents send it as the `traceparent` header.
   */
  traceparent?: string;
}

/**
 * The idempotency key of a call (see {@link AgentRequest.idempotencyKey}): `${runId}/${stepKey}/${callIndex}`, or
 * `${runId}/${stepKey}:compensation/${callIndex}` for a step's compensation (so that it never shares a key with
 * the step's own calls of another agent).
 */
export function idempotencyKeyOf(runId: string, stepKey: string, callIndex: number, compensation = false): string {
  return `${runId}/${stepKey}${compensation ? ':compensation' : ''}/${callIndex}`;
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
  /**
   * The model that answered, when a model provider did: its provider and model name as resolved (after
   * `baton.config.json`'s `agents.<Name>.model` override and `defaultModel`) — for the traces' GenAI attributes.
   */
  model?: { provider: string; name: string };
}

/**
 * Calls agents. The stub (`createStubAgents`) answers offline; real providers (OpenAI, Anthropic, HTTP,
 * local commands) implement the same interface. Failures throw a `BatonError` with a code
 * (`STUB_ERROR`, `AGENT_FAILED`, …).
 */
export interface AgentCaller {
  call(request: AgentRequest): Promise<AgentResponse>;
}
