import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { RunEvent } from '@baton/protocol';
import { RunStore } from '../../packages/runtime/src/index.js';
import { STORE_KINDS, type StoreKind } from '../store/both-stores.js';
import { compile, freshStore, run, scriptedAgents } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));

const AGENTS = `
agent Fast { stub: "f" }
agent Slow { stub: "s" }
`;

/** Reads, synchronously — at the instant it is called — the seqs of a run's events that are stored. */
interface StoredNow {
  seqs(runId: string): Set<number>;
  close(): Promise<void>;
}

/**
 * SQLite: what a SIGKILL at this instant would leave: a copy of the store's database file as it is on disk now (the
 * store commits with synchronous=OFF, so a commit is in the file once it returns; its lock is not copied), read
 * back with a fresh store.
 */
function sqliteStoredNow(file: string): StoredNow {
  let n = 0;
  return {
    seqs(runId) {
      const copy = path.join(path.dirname(file), `snapshot-${n++}.db`);
      copyFileSync(file, copy);
      const store = RunStore.open(copy);
      try {
        return new Set(store.getEvents(runId).map((e) => e.seq));
      } finally {
        store.close();
      }
    },
    close: async () => undefined,
  };
}

/**
 * PostgreSQL: what another process sees committed at this instant: a worker thread asks on its own connection
 * while this thread is blocked (Atomics.wait), so the engine cannot commit anything meanwhile.
 */
async function pgStoredNow(location: string): Promise<StoredNow> {
  const [, url, schema] = /^(\S+) \(schema ([a-z0-9_]+)\)$/.exec(location)!;
  const flag = new SharedArrayBuffer(4);
  const done = new Int32Array(flag);
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(path.join(here, 'fixtures', 'pg-sync-reader.mjs'), { workerData: { url, schema, flag, port: port2 }, transferList: [port2] });
  const answer = (): { seqs?: number[]; error?: string; ready?: boolean } => {
    if (Atomics.wait(done, 0, 0, 10_000) === 'timed-out') throw new Error('the PostgreSQL reader thread did not answer');
    Atomics.store(done, 0, 0);
    return receiveMessageOnPort(port1)!.message as never;
  };
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(answer().ready);
  return {
    seqs(runId) {
      port1.postMessage({ runId });
      const { seqs, error } = answer();
      if (error) throw new Error(error);
      return new Set(seqs);
    },
    async close() {
      port1.postMessage('close');
      await new Promise((resolve) => worker.once('exit', resolve));
    },
  };
}

/**
 * Runs `flow` with a `Fast` agent that answers at once and a `Slow` one that answers only after `fast`'s
 * `step.finished` was reported; checks, at the moment each event is reported to `onEvent`, that the event is
 * already in the database file. Returns the events reported too early (none is right).
 */
async function reportedBeforeStored(kind: StoreKind, flowText: string): Promise<{ early: string[]; events: RunEvent[]; status: string }> {
  const t = await freshStore(kind);
  const storedNow = kind.name === 'SQLite' ? sqliteStoredNow(t.location) : await pgStoredNow(t.location);
  try {
    const def = await compile(`${AGENTS}${flowText}`);
    let releaseSlow!: () => void;
    const slowMayAnswer = new Promise<void>((resolve) => (releaseSlow = resolve));
    const agents = scriptedAgents(async (r) => {
      if (r.agent.name === 'Slow') await slowMayAnswer;
      return r.agent.name === 'Fast' ? 'f' : 's';
    });
    const early: string[] = [];
    const { events, summary } = await run(def, 'P', {}, {
      store: t.store,
      agents,
      onEvent: (e) => {
        if (!storedNow.seqs(e.runId).has(e.seq)) early.push(`${e.type}${'step' in e ? ` ${e.step}` : ''} (seq ${e.seq})`);
        if (e.type === 'step.finished' && e.step.startsWith('fast')) releaseSlow();
      },
    });
    return { early, events, status: summary.status };
  } finally {
    await storedNow.close();
    await t.cleanup();
  }
}

for (const kind of STORE_KINDS) {
  describe(`runtime: nothing is reported before it is stored (${kind.name})`, () => {
    it('a parallel branch that finishes while its sibling still runs is stored before its step.finished is reported', async () => {
      const { early, events, status } = await reportedBeforeStored(kind, `
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
      const { early, status } = await reportedBeforeStored(kind, `
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
      const { early, status } = await reportedBeforeStored(kind, `
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
}
