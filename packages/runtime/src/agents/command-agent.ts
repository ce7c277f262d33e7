import { spawn } from 'node:child_process';
import type { CommandConfig } from '../config/baton-config.js';
import { BatonError } from '../errors.js';
import type { AgentRequest, AgentResponse } from './agent.js';
import { readWireResponse, wireRequest } from './agent-wire.js';

/** The most a command agent may print on stdout (bytes); more kills it. */
export const MAX_COMMAND_OUTPUT_BYTES = 10 * 1024 * 1024;
/** After SIGTERM on a cancelled or timed-out call, how long before SIGKILL (ms). */
export const COMMAND_KILL_GRACE_MS = 2000;

/**
 * A `command/<name>` agent: runs the configured program (no shell) in its `cwd`, writes
 * {@link wireRequest}'s JSON to its stdin, and reads `{"output": …, "tokens": n}` from its stdout once it
 * exits. The step's signal (timeout, cancellation) sends SIGTERM, then SIGKILL after
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
    const child = spawn(config.command[0], config.command.slice(1), { cwd: config.cwd, env: { ...process.env, ...config.env }, stdio: ['pipe', 'pipe', 'pipe'], shell: false });
    const stdout: Buffer[] = [];
    let stdoutSize = 0;
    let stderr = '';
    let settled = false;
    let tooLarge = false;
    let killTimer: NodeJS.Timeout | undefined;
    const finish = (outcome: () => AgentResponse): void => {
      if (settled) return;
      settled = true;
      request.signal.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      try {
        resolve(outcome());
      } catch (error) {
        reject(error);
      }
    };
    const stop = (): void => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), COMMAND_KILL_GRACE_MS);
      killTimer.unref();
    };
    const onAbort = (): void => {
      stop();
      finish(() => {
        throw new BatonError('STEP_CANCELLED', 'the call was cancelled');
      });
    };
    request.signal.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutSize += chunk.byteLength;
      if (stdoutSize > MAX_COMMAND_OUTPUT_BYTES) {
        tooLarge = true;
        stop();
        return;
      }
      stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-2000);
    });
    child.on('error', (error: NodeJS.ErrnoException) =>
      finish(() => {
        throw new BatonError('AGENT_COMMAND_FAILED', `${who} could not start: ${error.code === 'ENOENT' ? 'no such program' : error.message}`);
      }),
    );
    child.on('close', (code, signal) =>
      finish(() => {
        if (tooLarge) throw new BatonError('AGENT_BAD_RESPONSE', `${who} printed more than ${MAX_COMMAND_OUTPUT_BYTES} bytes`);
        if (code !== 0) {
          const tail = stderr.trim().split('\n').slice(-3).join(' | ');
          throw new BatonError('AGENT_COMMAND_FAILED', `${who} exited with ${signal ? `signal ${signal}` : `code ${code}`}${tail ? `: ${tail}` : ''}`);
        }
        return readWireResponse(who, request, Buffer.concat(stdout).toString('utf8'));
      }),
    );
    child.stdin.on('error', () => undefined); // a program that does not read its stdin is not a failure by itself
    child.stdin.end(JSON.stringify(wireRequest(request)));
  });
}
