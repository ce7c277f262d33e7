import type { CommandConfig } from '../config/baton-config.js';
import { BatonError } from '../errors.js';
import type { AgentRequest, AgentResponse } from './agent.js';
import { readWireResponse, wireRequest } from './agent-wire.js';
import { spawnInHelper } from './process-spawner.js';

/** The most a command agent may print on stdout (bytes); more kills it. */
export const MAX_COMMAND_OUTPUT_BYTES = 10 * 1024 * 1024;
/** After SIGTERM on a cancelled or timed-out call, how long before SIGKILL (ms). */
export const COMMAND_KILL_GRACE_MS = 2000;

/**
 * A `command/<name>` agent: runs the configured program (no shell) in its `cwd`, writes
 * {@link wireRequest}'s JSON to its stdin (the call's idempotency key in its environment as `BATON_IDEMPOTENCY_KEY`,
 * see `AgentRequest.idempotencyKey`), and reads `{"output": …, "tokens": n}` from its stdout once it
 * exits. The process is started by a helper process ({@link spawnInHelper}), so the caller's event loop is
 * never blocked while it starts. The step's signal (timeout, cancellation) sends SIGTERM, then SIGKILL after
 * {@link COMMAND_KILL_GRACE_MS} ms.
 * @throws BatonError `AGENT_COMMAND_FAILED` (cannot start, or a non-zero exit — with the end of its stderr),
 *   `AGENT_BAD_RESPONSE` (stdout not JSON, or too large), `AGENT_OUTPUT_INVALID`, `STEP_CANCELLED`.
 */
export function callCommandAgent(name: string, config: CommandConfig, request: AgentRequest): Promise<AgentResponse> {
  const who = `command/${name} (${config.command[0]})`;
  return new Promise<AgentResponse>((resolve, reject) => {
    if (request.signal.aborted) {
      reject(new BatonError('STEP_CANCELLED', 'the call was cancelled'));
      return;
    }
    // started by a helper process: starting a process blocks (and, forking, slows) the one that starts it
    const child = spawnInHelper({
      command: config.command[0],
      args: config.command.slice(1),
      cwd: config.cwd,
      env: { ...process.env, ...config.env, BATON_IDEMPOTENCY_KEY: request.idempotencyKey },
      stdin: JSON.stringify(wireRequest(request)),
      maxStdoutBytes: MAX_COMMAND_OUTPUT_BYTES,
    });
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const finish = (outcome: () => AgentResponse): void => {
      if (settled) return;
      settled = true;
      request.signal.removeEventListener('abort', onAbort);
      try {
        resolve(outcome());
      } catch (error) {
        reject(error);
      }
    };
    const onAbort = (): void => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), COMMAND_KILL_GRACE_MS);
      killTimer.unref();
      finish(() => {
        throw new BatonError('STEP_CANCELLED', 'the call was cancelled');
      });
    };
    request.signal.addEventListener('abort', onAbort, { once: true });
    void child.outcome.then((ended) => {
      if (killTimer) clearTimeout(killTimer);
      finish(() => {
        if (ended.kind === 'error') throw new BatonError('AGENT_COMMAND_FAILED', `${who} could not start: ${ended.code === 'ENOENT' ? 'no such program' : ended.message}`);
        if (ended.tooLarge) throw new BatonError('AGENT_BAD_RESPONSE', `${who} printed more than ${MAX_COMMAND_OUTPUT_BYTES} bytes`);
        if (ended.code !== 0) {
          const tail = ended.stderr.trim().split('\n').slice(-3).join(' | ');
          throw new BatonError('AGENT_COMMAND_FAILED', `${who} exited with ${ended.signal ? `signal ${ended.signal}` : `code ${ended.code}`}${tail ? `: ${tail}` : ''}`);
        }
        return readWireResponse(who, request, ended.stdout.toString('utf8'));
      });
    });
  });
}
