import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { BroadcastChannel } from 'node:worker_threads';
import type { RunEvent } from '../../packages/protocol/src/index.js';
import { createLiveRelay, type LiveRelayLink } from '../../packages/runtime/src/index.js';

const event = (runId: string, seq: number): RunEvent => ({ runId, seq, time: '2026-12-05T10:00:00.000Z', type: 'step.finished' } as unknown as RunEvent);

describe('createLiveRelay (the executor thread\'s events to the console\'s hub)', () => {
  it('the relay posts nothing while no stream is open (flag 0), and, once one is, every event in order, one message per turn', async () => {
    const link: LiveRelayLink = { channel: `baton.live.test.${randomUUID()}`, flag: new Int32Array(new SharedArrayBuffer(4)) };
    const relay = createLiveRelay(link);
    const input = new BroadcastChannel(link.channel);
    const got: RunEvent[][] = [];
    let wake: (() => void) | undefined;
    input.onmessage = (message) => {
      got.push((message as { data: { events: RunEvent[] } }).data.events);
      wake?.();
    };
    relay.observe(event('r', 1));
    Atomics.store(link.flag, 0, 1);
    relay.observe(event('r', 2));
    relay.observe(event('r', 3));
    await Promise.resolve();
    relay.observe(event('r', 4));
    while (got.flat().length < 3) await new Promise<void>((resolve) => (wake = resolve));
    assert.deepEqual(got.map((batch) => batch.map((e) => e.seq)), [[2, 3], [4]]);
    relay.close();
    input.close();
  });
});
