// A process appending to one run of a shared store, for the audit chain's concurrency test (event-chain.test.ts):
//   node --import tsx test/store/chain-writer.ts <location (both-stores.ts)> <runId> <count> <tag>
// It appends `count` `event.received` events (a kind others may append beside an executor: SIGNAL_EVENT_TYPES), each
// flushed on its own, so the processes' writes interleave; prints "ready" once the store is open, starts when a line
// comes on stdin, prints "done" when every one was stored. A SQLite handle takes the lock for each write (holdLock
// false) rather than for a burst, so the processes take turns within the test's short run.
import { once } from 'node:events';
import type { NewRunEvent } from '../../packages/protocol/src/index.js';
import { SqliteRunStore, type RunStoreApi } from '../../packages/runtime/src/index.js';
import { openStoreAt } from './both-stores.js';

const [location, runId, count, tag] = process.argv.slice(2);
const store: RunStoreApi = location.startsWith('postgres') ? await openStoreAt(location) : SqliteRunStore.open(location, { holdLock: false });
try {
  await store.getEvents(runId);
  process.stdout.write('ready\n');
  process.stdin.resume();
  await once(process.stdin, 'data');
  for (let i = 0; i < Number(count); i++) {
    store.append(runId, { type: 'event.received', event: 'tick', data: { tag, i } } as NewRunEvent);
    await store.flush(runId);
  }
  process.stdout.write('done\n');
} finally {
  await store.close();
}
