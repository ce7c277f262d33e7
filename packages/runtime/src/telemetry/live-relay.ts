// What the web console's live updates need from the thread that executes runs: each stored event, posted on a
// BroadcastChannel to `baton serve`'s HTTP thread (cli/src/serve/live-hub.ts) — but only while some console stream
// is open there, so that a server nobody watches pays one Atomics.load per event.
import { BroadcastChannel } from 'node:worker_threads';
import type { RunEvent } from '@baton/protocol';
import type { RunTelemetry } from './run-telemetry.js';

/**
 * The link between a live relay and its hub: the channel name (unique per server) and a shared one-element flag,
 * non-zero while the hub has a stream open (the hub sets it; the relay reads it).
 */
export interface LiveRelayLink {
  channel: string;
  /** `Int32Array` over a `SharedArrayBuffer` (so both threads see the same cell); element 0 is the flag. */
  flag: Int32Array;
}

/** What a live relay posts: the events reported in one turn of the executing thread's event loop, in order. */
export interface LiveRelayMessage {
  events: RunEvent[];
}

/**
 * A {@link RunTelemetry} that relays the stored events of the runs executed in this thread to the hub listening on
 * `link.channel`: events reported while `link.flag[0]` is non-zero are gathered and posted once per microtask
 * checkpoint (one message per commit's worth of events), in the order the engine reported them — after their
 * commit (the engine reports nothing before it is stored). With the flag at 0 an event costs one `Atomics.load`.
 * `close()` closes its channel.
 */
export function createLiveRelay(link: LiveRelayLink): RunTelemetry & { close(): void } {
  const out = new BroadcastChannel(link.channel);
  out.unref();
  let pending: RunEvent[] | undefined;
  const post = (): void => {
    const events = pending!;
    pending = undefined;
    out.postMessage({ events } satisfies LiveRelayMessage);
  };
  return {
    observe(event: RunEvent): void {
      if (Atomics.load(link.flag, 0) === 0) return;
      if (pending) {
        pending.push(event);
        return;
      }
      pending = [event];
      queueMicrotask(post);
    },
    resumed: () => undefined,
    wrap: (caller) => caller,
    flush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
    close: () => out.close(),
  };
}
