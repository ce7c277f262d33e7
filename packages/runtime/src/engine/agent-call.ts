import type { AgentDef } from '@baton/protocol';
import type { AgentCaller, AgentRequest, AgentResponse } from '../agents/agent.js';
import { BatonError } from '../errors.js';

/**
 * How deeply an agent's answer may nest (arrays and records inside each other). Deeper answers are refused
 * (`AGENT_BAD_RESPONSE`): real outputs nest a few levels, and a hostile one 20,000 levels deep could be parsed
 * but not stored (serializing it overflows the stack), which stranded the run.
 */
export const MAX_OUTPUT_DEPTH = 100;

/** What a step asks of its agent: those fields of `AgentRequest` (the agent and the signal are `callAgent`'s). */
export type CallRequest = Pick<AgentRequest, 'stepKey' | 'prompt' | 'input' | 'callIndex' | 'runId' | 'idempotencyKey' | 'timeoutMs'>;

/**
 * Calls an agent, stopping the wait when `parent` aborts or the timeout passes (see {@link bounded}).
 * @throws BatonError `STEP_TIMEOUT` (no answer within `timeoutMs`), `STEP_CANCELLED` (`parent` aborted),
 *   `AGENT_BAD_RESPONSE` (an answer nested deeper than {@link MAX_OUTPUT_DEPTH}), or whatever the agent throws.
 */
export async function callAgent(agents: AgentCaller, agent: AgentDef, request: CallRequest, parent: AbortSignal): Promise<AgentResponse> {
  const response = await bounded((signal) => agents.call({ agent, ...request, signal }), request.timeoutMs, parent);
  checkDepth(agent, response.output);
  return response;
}

/** Refuses an answer nested deeper than {@link MAX_OUTPUT_DEPTH}. @throws BatonError `AGENT_BAD_RESPONSE` */
export function checkDepth(agent: AgentDef, output: unknown): void {
  if (nestedDeeperThan(output, MAX_OUTPUT_DEPTH)) {
    throw new BatonError('AGENT_BAD_RESPONSE', `agent ${agent.name} answered with a value nested deeper than ${MAX_OUTPUT_DEPTH} levels`);
  }
}

/**
 * Runs `work`, stopping the wait when `parent` aborts or `timeoutMs` passes. `work` sees `parent` itself when there
 * is no timeout (no controller per call — the common case), else a signal of its own that aborts on either.
 * @throws BatonError `STEP_TIMEOUT` (`timeoutMessage`, default "no answer within … ms"), `STEP_CANCELLED` (`parent`
 *   aborted), or whatever `work` throws.
 */
export async function bounded<T>(work: (signal: AbortSignal) => Promise<T>, timeoutMs: number | undefined, parent: AbortSignal, timeoutMessage?: string): Promise<T> {
  if (parent.aborted) throw cancelled();
  const controller = timeoutMs === undefined ? undefined : new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: () => void = () => undefined;
  const stopped = new Promise<never>((_, reject) => {
    onAbort = () => {
      reject(cancelled());
      controller?.abort();
    };
    parent.addEventListener('abort', onAbort, { once: true });
    if (controller) {
      timer = setTimeout(() => {
        // reject before aborting, so the timeout (not a cancellation) is what the step sees
        reject(new BatonError('STEP_TIMEOUT', timeoutMessage ?? `no answer within ${timeoutMs} ms`));
        controller.abort();
      }, Math.max(0, timeoutMs!));
    }
  });
  stopped.catch(() => undefined);
  try {
    return await Promise.race([work(controller?.signal ?? parent), stopped]);
  } finally {
    if (timer) clearTimeout(timer);
    parent.removeEventListener('abort', onAbort);
  }
}

/** Whether arrays/records in `value` nest more than `limit` levels (iterative: any depth is safe to ask). */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

function cancelled(): BatonError {
  return new BatonError('STEP_CANCELLED', 'the call was cancelled');
}
