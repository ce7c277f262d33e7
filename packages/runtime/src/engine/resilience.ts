import { DEFAULT_MAX_RETRY_DELAY_MS, type CircuitPolicy, type RetryPolicy } from '@baton/protocol';
import { BatonError } from '../errors.js';

/**
 * Failures worth another attempt: the dependency was slow, overloaded or unreachable (timeouts, HTTP
 * 408/429/5xx, connection errors), plus the stub's `error("…")` items, which stand for such faults offline.
 * Everything else — a rejected request, bad credentials, an answer of the wrong shape, a command that
 * exits non-zero, an open circuit — fails at once: repeating it would only repeat the failure.
 */
export const RETRYABLE_CODES: ReadonlySet<string> = new Set(['STEP_TIMEOUT', 'AGENT_REQUEST_TIMEOUT', 'AGENT_RATE_LIMITED', 'AGENT_UNAVAILABLE', 'AGENT_UNREACHABLE', 'STUB_ERROR']);

/** The largest delay between two attempts when the `retry` does not say `max` (ms; defined in protocol, which the estimate reads it from). */
export { DEFAULT_MAX_RETRY_DELAY_MS };

/** Whether a failure with this code is worth another attempt ({@link RETRYABLE_CODES}). */
export function isRetryable(code: string): boolean {
  return RETRYABLE_CODES.has(code);
}

/**
 * The wait before the next attempt, or why there is none.
 *
 * Exponential backoff with "full jitter" (a random delay between 0 and `backoff × 2^(attempt−1)`, capped at the
 * policy's `max`; AWS Architecture Blog, "Exponential Backoff And Jitter", 2015). A `Retry-After` from the
 * provider (seconds, or an HTTP date; RFC 9110 §10.2.3) raises the delay to at least that; one longer than the
 * cap ends the retries instead (the step fails with the provider's error).
 * @param attempt the attempt that just failed (1-based); `random` in [0, 1); `now` in ms since the epoch.
 * @returns `{ delayMs }` (ms), or `{ stop }` with the reason.
 */
export function retryDelay(policy: RetryPolicy | undefined, attempt: number, random: number, retryAfter: string | undefined, now: number): { delayMs: number } | { stop: string } {
  const cap = policy?.maxDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
  const ceiling = Math.min(cap, (policy?.backoffMs ?? 0) * 2 ** (attempt - 1));
  let delayMs = Math.round(random * ceiling);
  const asked = retryAfterMs(retryAfter, now);
  if (asked !== undefined) {
    if (asked > cap) return { stop: `the provider asked to wait ${Math.ceil(asked / 1000)} s (Retry-After), longer than the step's largest delay of ${Math.round(cap / 1000)} s` };
    delayMs = Math.max(delayMs, asked);
  }
  return { delayMs };
}

/** A `Retry-After` value in ms: delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A circuit's state: calls go through (`closed`), fail fast (`open`), or one probe goes through (`half-open`). */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** A change of an agent's circuit, for the run's events. `until`: when an open circuit lets a probe through (ISO 8601). */
export interface CircuitChange {
  agent: string;
  state: CircuitState;
  failures: number;
  until?: string;
}

interface Circuit {
  state: CircuitState;
  /** Failed calls in a row. */
  failures: number;
  /** When the circuit opened (ms since the epoch). */
  openedAt: number;
  /** A half-open probe is under way. */
  probing: boolean;
}

/**
 * Circuit breakers, one per agent that declares `circuit: N failures <duration>`, shared by every run of the
 * process (a `baton serve`, the CLI's one run): after N retryable failures in a row the circuit opens and
 * calls fail fast with `CIRCUIT_OPEN` without reaching the provider; once the duration has passed one call
 * goes through as a probe (half-open) — its success closes the circuit, its failure opens it again. Only
 * failures of the dependency count ({@link isRetryable}); cancellations and answers of the wrong shape do not.
 * (The pattern: Nygard, "Release It!", 2007.)
 */
export class CircuitBreakers {
  private readonly circuits = new Map<string, Circuit>();

  /**
   * Asks to call `agent` at `now` (ms).
   * @returns the change to report (an open circuit turning half-open), or undefined.
   * @throws BatonError `CIRCUIT_OPEN` while the circuit is open, or half-open with its probe under way.
   */
  beforeCall(agent: string, policy: CircuitPolicy | undefined, now: number): CircuitChange | undefined {
    if (!policy) return undefined;
    const circuit = this.circuits.get(agent);
    if (!circuit || circuit.state === 'closed') return undefined;
    const until = circuit.openedAt + policy.openMs;
    if (circuit.state === 'open' && now >= until) {
      circuit.state = 'half-open';
      circuit.probing = true;
      return { agent, state: 'half-open', failures: circuit.failures };
    }
    if (circuit.state === 'open' || circuit.probing) {
      const reopen = circuit.state === 'open' ? ` until ${new Date(until).toISOString()}` : ' while a probe call is under way';
      throw new BatonError('CIRCUIT_OPEN', `agent ${agent}'s circuit is open after ${circuit.failures} failures in a row: calls fail fast${reopen}`);
    }
    circuit.probing = true;
    return undefined;
  }

  /**
   * Records how a call of `agent` ended (`code`: the failure's, or undefined for a success) at `now` (ms).
   * @returns the change to report (opened, closed), or undefined.
   */
  afterCall(agent: string, policy: CircuitPolicy | undefined, code: string | undefined, now: number): CircuitChange | undefined {
    if (!policy) return undefined;
    let circuit = this.circuits.get(agent);
    if (!circuit) {
      circuit = { state: 'closed', failures: 0, openedAt: 0, probing: false };
      this.circuits.set(agent, circuit);
    }
    const wasProbe = circuit.state === 'half-open';
    circuit.probing = false;
    if (code === undefined) {
      circuit.failures = 0;
      if (circuit.state === 'closed') return undefined;
      circuit.state = 'closed';
      return { agent, state: 'closed', failures: 0 };
    }
    if (!isRetryable(code)) {
      // not the dependency's fault: a probe that ends this way tells nothing, so the next call probes again
      if (wasProbe) circuit.state = 'open';
      return undefined;
    }
    circuit.failures++;
    if (wasProbe || (circuit.state === 'closed' && circuit.failures >= policy.failures)) {
      circuit.state = 'open';
      circuit.openedAt = now;
      return { agent, state: 'open', failures: circuit.failures, until: new Date(now + policy.openMs).toISOString() };
    }
    return undefined;
  }

  /** An agent's current state (for tests and status displays). */
  stateOf(agent: string): CircuitState {
    return this.circuits.get(agent)?.state ?? 'closed';
  }
}

/** The breakers of this process, shared by every run that is not given its own. */
export const processCircuitBreakers = new CircuitBreakers();
