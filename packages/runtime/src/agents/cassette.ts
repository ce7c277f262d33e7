import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AgentDef, JsonValue, RunError, StubSpec, ToolCallRequest } from '@baton/protocol';
import { BatonError, toRunError } from '../errors.js';
import type { AgentCaller, AgentRequest, AgentResponse, AgentTurnRequest, AgentTurnResponse } from './agent.js';
import { createStubAgents } from './stub.js';

/**
 * The cassette file format's version (`baton run --record`). 2: entries may be tool-loop turns (`request.turn`,
 * `response.calls`); version 1 cassettes (no turns) are still read.
 */
export const CASSETTE_VERSION = 2;

/** The cassette versions {@link readCassette} reads. */
const READABLE_VERSIONS = [1, 2];

/**
 * One recorded agent call or tool-loop turn: what identifies the request (`key`, a SHA-256 of the agent, its model
 * and instructions, its output type, the prompt and the input — and for a turn its number and the tools' names;
 * never a key or a header) and what came back. `request` keeps the readable parts for a person reading the
 * cassette. A turn's `response` holds either `calls` (with the model's `text`) or the final `output`.
 */
export interface CassetteEntry {
  key: string;
  agent: string;
  model?: string;
  request: { step: string; prompt: string; input?: JsonValue; turn?: number };
  response?: { output?: JsonValue; tokens: number; calls?: ToolCallRequest[]; text?: string };
  error?: RunError;
}

/** A cassette file: `{ "version": 2, "entries": [...] }`, entries in call order. */
export interface Cassette {
  version: number;
  entries: CassetteEntry[];
}

/** The identity of a request: the same agent, model, instructions, output type, prompt and input. */
export function requestKey(agent: AgentDef, request: Pick<AgentRequest, 'prompt' | 'input'>): string {
  const identity = JSON.stringify([agent.name, agent.model ?? null, agent.instructions ?? null, agent.output ?? null, request.prompt, request.input ?? null]);
  return createHash('sha256').update(identity).digest('hex');
}

/**
 * The identity of a tool-loop turn: {@link requestKey}'s, the turn's number and the tools' names. The conversation
 * before it is not part of it: the n-th time turn N of the same request is asked gets the n-th recorded answer, so
 * that a tool answering differently on replay (a live MCP server) still replays.
 */
export function turnKey(agent: AgentDef, request: Pick<AgentTurnRequest, 'prompt' | 'input' | 'turn' | 'tools'>): string {
  const identity = JSON.stringify([requestKey(agent, request), 'turn', request.turn, request.tools.map((t) => t.name)]);
  return createHash('sha256').update(identity).digest('hex');
}

/**
 * Records every call `inner` answers (or fails) into the cassette at `file` (its folder created), rewritten
 * after each call (so a crash keeps what was recorded) through a temporary file and a rename. Calls of agents without a `model`
 * (stub answers) are not recorded: replay answers those from their stub again.
 */
export function createRecordingAgents(inner: AgentCaller, file: string): AgentCaller {
  const cassette: Cassette = { version: CASSETTE_VERSION, entries: [] };
  mkdirSync(path.dirname(file), { recursive: true });
  const save = (): void => {
    writeFileSync(`${file}.tmp`, `${JSON.stringify(cassette, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
  };
  /** Runs `answer`, recording what it gave (or the failure) into `entry`. */
  const record = async <R>(request: AgentRequest, entry: CassetteEntry, answer: () => Promise<R>, keep: (response: R) => CassetteEntry['response']): Promise<R> => {
    try {
      const response = await answer();
      entry.response = keep(response);
      return response;
    } catch (error) {
      if (request.signal.aborted) throw error; // a cancelled call is not an answer worth replaying
      entry.error = toRunError(error);
      throw error;
    } finally {
      if (entry.response || entry.error) {
        cassette.entries.push(entry);
        save();
      }
    }
  };
  const readable = (request: AgentRequest): CassetteEntry['request'] => ({ step: request.stepKey, prompt: request.prompt, ...(request.input !== undefined ? { input: request.input } : {}) });
  const caller: AgentCaller = {
    async call(request: AgentRequest): Promise<AgentResponse> {
      if (!request.agent.model) return inner.call(request);
      const entry: CassetteEntry = { key: requestKey(request.agent, request), agent: request.agent.name, model: request.agent.model, request: readable(request) };
      return record(request, entry, () => inner.call(request), (r) => ({ output: r.output, tokens: r.tokens ?? 0 }));
    },
  };
  const turn = inner.turn?.bind(inner);
  if (turn) {
    caller.turn = async (request: AgentTurnRequest): Promise<AgentTurnResponse> => {
      if (!request.agent.model) return turn(request);
      const entry: CassetteEntry = { key: turnKey(request.agent, request), agent: request.agent.name, model: request.agent.model, request: { ...readable(request), turn: request.turn } };
      return record(request, entry, () => turn(request), (r) =>
        r.kind === 'calls' ? { calls: r.calls, ...(r.text !== undefined ? { text: r.text } : {}), tokens: r.tokens ?? 0 } : { output: r.output, tokens: r.tokens ?? 0 },
      );
    };
  }
  return caller;
}

/**
 * Reads a cassette.
 * @throws BatonError `CASSETTE_UNREADABLE` (missing, not JSON, not a cassette — with the file's path).
 */
export function readCassette(file: string): Cassette {
  if (!existsSync(file)) throw new BatonError('CASSETTE_UNREADABLE', `${file}: no such cassette (record one with baton run --agents real --record ${file})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new BatonError('CASSETTE_UNREADABLE', `${file}: not valid JSON: ${(error as Error).message}`);
  }
  const cassette = parsed as Partial<Cassette>;
  if (!cassette || typeof cassette !== 'object' || !READABLE_VERSIONS.includes(cassette.version as number) || !Array.isArray(cassette.entries)) {
    throw new BatonError('CASSETTE_UNREADABLE', `${file}: not a Baton cassette (version ${READABLE_VERSIONS.join(' or ')} with "entries")`);
  }
  return cassette as Cassette;
}

/**
 * Answers calls from a cassette, offline: the n-th call with a given request key gets the n-th recorded
 * answer for that key (a recorded failure fails again, with its code); turn N of a tool loop likewise answers
 * the recorded turn N (its calls, or the final output). Agents without a `model` answer from their stub
 * (`stubOverrides` first, as in tests).
 * @throws (from `call`) BatonError `REPLAY_MISSING` when the cassette holds no (more) answers for the request —
 *   the flow, its prompts or its inputs changed since the recording; the message names the agent and step.
 */
export function createReplayAgents(cassette: Cassette, file: string, stubOverrides: Record<string, StubSpec> = {}): AgentCaller {
  const byKey = new Map<string, CassetteEntry[]>();
  for (const entry of cassette.entries) byKey.set(entry.key, [...(byKey.get(entry.key) ?? []), entry]);
  const used = new Map<string, number>();
  const stub = createStubAgents(stubOverrides);
  /** The next recorded entry for `key` (a recorded failure thrown again). */
  const next = (request: AgentRequest, key: string, turn?: number): CassetteEntry & { response: NonNullable<CassetteEntry['response']> } => {
    if (request.signal.aborted) throw new BatonError('STEP_CANCELLED', 'the call was cancelled');
    const entries = byKey.get(key) ?? [];
    const n = used.get(key) ?? 0;
    const entry = entries[n];
    if (!entry) {
      const prompt = request.prompt.length > 60 ? `${request.prompt.slice(0, 60)}…` : request.prompt;
      throw new BatonError(
        'REPLAY_MISSING',
        `${file} holds ${entries.length === 0 ? 'no answer' : `only ${entries.length} answer${entries.length === 1 ? '' : 's'}`} for agent ${request.agent.name} at step ${request.stepKey}${turn !== undefined ? `, turn ${turn} of its tool loop` : ''} (prompt "${prompt}"${request.input !== undefined ? ', with its input' : ''}); the flow changed since it was recorded — record it again with --record`,
      );
    }
    used.set(key, n + 1);
    if (entry.error) throw new BatonError(entry.error.code, entry.error.message);
    return entry as CassetteEntry & { response: NonNullable<CassetteEntry['response']> };
  };
  return {
    async call(request: AgentRequest): Promise<AgentResponse> {
      if (!request.agent.model) return stub.call(request);
      const { response } = next(request, requestKey(request.agent, request));
      return { output: response.output ?? null, tokens: response.tokens };
    },
    async turn(request: AgentTurnRequest): Promise<AgentTurnResponse> {
      if (!request.agent.model) return stub.turn(request);
      const { response } = next(request, turnKey(request.agent, request), request.turn);
      if (response.calls) return { kind: 'calls', calls: response.calls, ...(response.text !== undefined ? { text: response.text } : {}), tokens: response.tokens };
      return { kind: 'final', output: response.output ?? null, tokens: response.tokens };
    },
  };
}
