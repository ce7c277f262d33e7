// A process writing to one run of a shared store, for the audit chain's concurrency test (event-chain.test.ts):
//   node --import tsx test/store/chain-writer.ts <location (both-stores.ts)> <runId> <count> <exec|cancel> <tag>
// `exec`: the run's executor — claims its lease and appends `count` step events, each flushed on its own (signals stored
// meanwhile go before them); `cancel`: another process asking the running run to stop `count` times (each a
// `cancel.requested` event appended at the log's end, by `tag`). Prints "ready" once the store is open, starts when a
// line comes on stdin, prints "done" when every write was stored. A SQLite handle takes the lock for each write
// (holdLock false) rather than for a burst, so the processes take turns within the test's short run.
import { once } from 'node:events';
import type { NewRunEvent } from '../../packages/protocol/src/index.js';
import { SqliteRunStore, type RunStoreApi } from '../../packages/runtime/src/index.js';
import { openStoreAt } from './both-stores.js';

const [location, runId, count, mode, tag] = process.argv.slice(2);
const store: RunStoreApi = location.startsWith('postgres') ? await openStoreAt(location) : SqliteRunStore.open(location, { holdLock: false });
try {
  if (mode === 'exec') {
    await store.getEvents(runId);
    if (!(await store.claimLease(runId, tag, 60_000))) throw new Error('the lease is taken');
  }
  process.stdout.write('ready\n');
  process.stdin.resume();
  await once(process.stdin, 'data');
  for (let i = 0; i < Number(count); i++) {
    if (mode === 'exec') {
      store.append(runId, { type: 'step.started', step: `s${i}`, node: `n${i}` } as NewRunEvent);
      await store.flush(runId);
    } else await store.requestCancel(runId, `${tag}-${i}`);
  }
  process.stdout.write('done\n');
} finally {
  await store.close();
}
