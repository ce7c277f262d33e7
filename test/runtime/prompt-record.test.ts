import assert from 'node:assert/strict';
import type { RunEvent } from '@baton/protocol';
import { MAX_RECORDED_PROMPT_BYTES, recordedPrompt } from '../../packages/runtime/src/engine/agent-step.js';
import { resumeRun } from '../../packages/runtime/src/index.js';
import { compiledWithTempStore, run } from './helpers.js';

// The rendered prompt on step.started (for `baton runs show` and the console's Step tab): recorded as the agent got
// it, cut at 16 KiB of UTF-8 on a character boundary, not at all with `runs.recordPrompts: false` (kept on resume).

const FLOWS = `
agent Writer { stub: "ok" }
flow Order {
  input id: number
  input note: string = ""
  step draft: Writer { prompt: "Summarise order \${input.id}: \${input.note}" }
  approval check { prompt: "ok?" }
  step send: Writer { prompt: "Send order \${input.id}" }
  step quiet: Writer
}
flow Broken {
  step bad: Writer { prompt: "\${parseJson("{")}" }
}
`;

const started = (events: RunEvent[], step: string): Extract<RunEvent, { type: 'step.started' }> =>
  events.find((e): e is Extract<RunEvent, { type: 'step.started' }> => e.type === 'step.started' && e.step === step)!;

describe('runtime: the rendered prompt on step.started', function () {
  this.timeout(30_000);
  const suite = compiledWithTempStore(FLOWS);

  it('records the prompt as rendered for the call; a step without a prompt records none', async () => {
    const first = await run(suite.def, 'Order', { id: 7, note: 'rush' }, { store: suite.t.store });
    assert.deepEqual({ ...started(first.events, 'draft'), runId: '', seq: 0, time: '' }, { type: 'step.started', step: 'draft', node: 'Order/draft', agent: 'Writer', target: 'agent', prompt: 'Summarise order 7: rush', runId: '', seq: 0, time: '' });
    await suite.t.store.recordDecision(first.summary.runId, 'check', { decision: 'approved' });
    const events: RunEvent[] = [];
    await resumeRun(first.summary.runId, { store: suite.t.store, onEvent: (e) => events.push(e) });
    assert.equal(started(events, 'send').prompt, 'Send order 7');
    assert.equal('prompt' in started(events, 'quiet'), false);
  });

  it('a prompt over 16 KiB of UTF-8 is cut at a character boundary and marked promptTruncated', async () => {
    const long = 'é'.repeat(10_000); // 20,000 bytes
    const first = await run(suite.def, 'Order', { id: 1, note: long }, { store: suite.t.store });
    const event = started(first.events, 'draft');
    assert.equal(event.promptTruncated, true);
    assert.equal(Buffer.byteLength(event.prompt!, 'utf8') <= MAX_RECORDED_PROMPT_BYTES, true);
    assert.ok(Buffer.byteLength(event.prompt!, 'utf8') > MAX_RECORDED_PROMPT_BYTES - 2, 'cut at the last whole character');
    assert.ok(`Summarise order 1: ${long}`.startsWith(event.prompt!));
    // four-byte characters (surrogate pairs): never half of one
    const emoji = recordedPrompt(`a${'😀'.repeat(5000)}`);
    assert.equal(emoji.promptTruncated, true);
    assert.equal(Buffer.byteLength(emoji.prompt, 'utf8'), 1 + 4095 * 4);
    assert.equal(emoji.prompt.endsWith('😀'), true);
    assert.deepEqual(recordedPrompt('x'.repeat(MAX_RECORDED_PROMPT_BYTES)), { prompt: 'x'.repeat(MAX_RECORDED_PROMPT_BYTES) }, 'exactly 16 KiB is kept whole');
  });

  it('recordPrompts: false records none, is kept on run.started, and a resumed run records none either', async () => {
    const first = await run(suite.def, 'Order', { id: 7 }, { store: suite.t.store, recordPrompts: false });
    const start = first.events.find((e) => e.type === 'run.started');
    assert.equal(start?.type === 'run.started' && start.recordPrompts, false);
    assert.equal('prompt' in started(first.events, 'draft'), false);
    await suite.t.store.recordDecision(first.summary.runId, 'check', { decision: 'approved' });
    const events: RunEvent[] = [];
    await resumeRun(first.summary.runId, { store: suite.t.store, onEvent: (e) => events.push(e) });
    assert.equal('prompt' in started(events, 'send'), false);
  });

  it('a prompt that cannot be rendered: the step still starts (no prompt) and fails as before', async () => {
    const { summary, events } = await run(suite.def, 'Broken', {}, { store: suite.t.store });
    assert.equal(summary.status, 'failed');
    const event = started(events, 'bad');
    assert.ok(event, 'step.started is recorded');
    assert.equal('prompt' in event, false);
    assert.ok(events.some((e) => e.type === 'step.finished' && e.step === 'bad' && e.status === 'failed'));
  });
});
