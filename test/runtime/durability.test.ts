import assert from 'node:assert/strict';
import { copyFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { RunEvent } from '@baton/protocol';
import { RunStore } from '../../packages/runtime/src/index.js';
import { compile, run, scriptedAgents, tempStore } from './helpers.js';

const AGENTS = `
agent Fast { stub: "f" }
agent Slow { stub: "s" }
`;

/**
 * What a SIGKILL at this instant would leave: a copy of the store's database file as it is on disk now (the
 * store commits with synchronous=OFF, so a commit is in the file once it returns; its lock is not copied),
 * read back with a fresh store. Returns the seqs of the run's stored events.
 */
function storedNow(file: string, runId: string, n: number): Set<number> {
  const copy = path.join(path.dirname(file), `snapshot-${n}.db`);
  copyFileSync(file, copy);
  const store = RunStore.open(copy);
  try {
    return new Set(store.getEvents(runId).map((e) => e.seq));
  } finally {
    store.close();
  }
}

/**
 * Runs `flow` with a `Fast` agent that answers at once and a `Slow` one that answers only after `fast`'s
 * `step.finished` was reported; checks, at the moment each event is reported to `onEvent`, that the event is
 * already in the database file. Returns the events reported too early (none is right).
 */
async function reportedBeforeStored(flowText: string): Promise<{ early: string[]; events: RunEvent[]; status: string }> {
  const t = tempStore();
  try {
    const def = await compile(`${AGENTS}${flowText}`);
    let releaseSlow!: () => void;
    const slowMayAnswer = new Promise<void>((resolve) => (releaseSlow = resolve));
    const agents = scriptedAgents(async (r) => {
      if (r.agent.name === 'Slow') await slowMayAnswer;
      return r.agent.name === 'Fast' ? 'f' : 's';
    });
    const early: string[] = [];
    let snapshots = 0;
    const { events, summary } = await run(def, 'P', {}, {
      store: t.store,
      agents,
      onEvent: (e) => {
        if (!storedNow(t.file, e.runId, snapshots++).has(e.seq)) early.push(`${e.type}${'step' in e ? ` ${e.step}` : ''} (seq ${e.seq})`);
        if (e.type === 'step.finished' && e.step.startsWith('fast')) releaseSlow();
      },
    });
    assert.ok(existsSync(t.file));
    return { early, events, status: summary.status };
  } finally {
    t.cleanup();
  }
}

describe('runtime: nothing is reported before it is stored', () => {
  it('a parallel branch that finishes while its sibling still runs is stored before its step.finished is reported', async () => {
    const { early, events, status } = await reportedBeforeStored(`
flow P {
  parallel {
    step fast: Fast { prompt: "f" }
    step slow: Slow { prompt: "s" }
  }
}`);
    assert.equal(status, 'succeeded');
    // the sibling was still running when fast's finish was reported (else the check would prove nothing)
    const order = events.map((e) => (e.type === 'step.finished' ? `finished ${e.step}` : e.type));
    assert.ok(order.indexOf('finished fast') < order.indexOf('finished slow'), order.join(', '));
    assert.deepEqual(early, []);
  });

  it('so is a foreach iteration that finishes while another iteration still runs (concurrency 2)', async () => {
    const { early, status } = await reportedBeforeStored(`
flow P {
  foreach which in ["fast", "slow"] concurrency 2 {
    if which == "fast" {
      step fast: Fast { prompt: "f" }
    } else {
      step slow: Slow { prompt: "s" }
    }
  }
}`);
    assert.equal(status, 'succeeded');
    assert.deepEqual(early, []);
  });

  it('every event of a sequential run, a wait and a failure is stored before it is reported', async () => {
    const { early, status } = await reportedBeforeStored(`
flow P {
  step fast: Fast { prompt: "f" }
  wait 1ms
  step slow: Slow { prompt: "s" }
  fail "stop here"
}`);
    assert.equal(status, 'failed');
    assert.deepEqual(early, []);
  });
});
