import assert from 'node:assert/strict';
import type { AgentDef } from '@baton/protocol';
import { checkMalformedStreak, malformedArguments, malformedProblem, MALFORMED_TOOL_CALLS_LIMIT, type AgentTurnRequest, type BatonError, type TurnHistoryItem } from '../../packages/runtime/src/index.js';

const agent = { name: 'Support', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } } as unknown as AgentDef;

function request(history: TurnHistoryItem[]): AgentTurnRequest {
  return {
    agent,
    stepKey: 's',
    prompt: 'help',
    callIndex: 0,
    runId: 'r1',
    idempotencyKey: 'r1/s/0',
    signal: new AbortController().signal,
    tools: [{ name: 'LookupOrder', inputSchema: { type: 'object' } }],
    history,
    turn: history.length + 1,
  };
}

const bad = { id: 'c1', tool: 'LookupOrder', arguments: malformedArguments('the arguments are not JSON', '{order: 4') };
const unknown = { id: 'c2', tool: 'Nope', arguments: {} };
const good = { id: 'c3', tool: 'LookupOrder', arguments: { prompt: 'order 42' } };
const turnOf = (n: number, calls = [bad]): TurnHistoryItem => ({ turn: n, calls, results: calls.map((c) => ({ callId: c.id, error: { code: 'TOOL_ARGUMENTS_INVALID', message: 'x' } })) });

describe('runtime: the agent turn seam (malformed tool calls)', () => {
  it('marks malformed arguments and reads the problem back; a well-formed call has none', () => {
    assert.equal(malformedProblem(bad.arguments), 'the arguments are not JSON');
    assert.deepEqual(bad.arguments, { $malformed: 'the arguments are not JSON', raw: '{order: 4' });
    assert.equal(malformedProblem(good.arguments), undefined);
    assert.equal(malformedProblem(null), undefined);
  });

  it('lets malformed calls through until the limit of turns in a row, then fails AGENT_BAD_RESPONSE', () => {
    assert.equal(MALFORMED_TOOL_CALLS_LIMIT, 3);
    checkMalformedStreak(request([]), [bad], 'agent Support');
    checkMalformedStreak(request([turnOf(1)]), [unknown], 'agent Support');
    assert.throws(
      () => checkMalformedStreak(request([turnOf(1), turnOf(2, [unknown])]), [bad], 'agent Support'),
      (e: BatonError) => e.code === 'AGENT_BAD_RESPONSE' && /malformed tool calls 3 turns in a row \(the last: the arguments are not JSON\)/.test(e.message),
    );
  });

  it('a good call (in this turn or between) resets the streak', () => {
    checkMalformedStreak(request([turnOf(1), turnOf(2)]), [bad, good], 'agent Support');
    checkMalformedStreak(request([turnOf(1), turnOf(2, [good]), turnOf(3)]), [bad], 'agent Support');
  });
});
