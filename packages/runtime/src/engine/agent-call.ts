import type { AgentDef, JsonValue } from '@baton/protocol';
import type { AgentCaller, AgentResponse } from '../agents/agent.js';
import { BatonError } from '../errors.js';

/** What a step asks of its agent (see `AgentRequest`, without the signal). */
export interface CallRequest {
  stepKey: string;
  prompt: string;
  input?: JsonValue;
  callIndex: number;
  /** The step's (or agent's) timeout, ms. */
  timeoutMs?: number;
}

/**
 * Calls an agent, stopping the wait when `parent` aborts or the timeout passes.
 * The agent sees `parent` itself when there is no timeout (no controller per call — the common case),
 * else a signal of its own that aborts on either.
 * @throws BatonError `STEP_TIMEOUT` (no answer within `timeoutMs`), `STEP_CANCELLED` (`parent` aborted),
 *   or whatever the agent throws.
 */
export async function callAgent(agents: AgentCaller, agent: AgentDef, request: CallRequest, parent: AbortSignal): Promise<AgentResponse> {
  if (parent.aborted) throw cancelled();
  const controller = request.timeoutMs === undefined ? undefined : new AbortController();
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
        reject(new BatonError('STEP_TIMEOUT', `no answer within ${request.timeoutMs} ms`));
        controller.abort();
      }, request.timeoutMs);
    }
  });
  stopped.catch(() => undefined);
  try {
    return await Promise.race([agents.call({ agent, ...request, signal: controller?.signal ?? parent }), stopped]);
  } finally {
    if (timer) clearTimeout(timer);
    parent.removeEventListener('abort', onAbort);
  }
}

function cancelled(): BatonError {
  return new BatonError('STEP_CANCELLED', 'the call was cancelled');
}
