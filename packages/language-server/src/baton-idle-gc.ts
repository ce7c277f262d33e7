import { DocumentState } from 'langium';
import type { LangiumSharedServices } from 'langium/lsp';

/** When the server collects garbage after its last build (ms after the build reached `Validated`). */
export interface IdleCollectionTiming {
  /** A young-generation collection (a scavenge: a few ms), which also starts V8's allocation-rate sample afresh. */
  minorAfterMs: number;
  /** The full collection; V8 shrinks the young generation in it when little was allocated since the scavenge. */
  majorAfterMs: number;
}

/** 2 s / 10 s: a person typing makes far shorter pauses, so the full collection rarely meets a keystroke. */
export const IDLE_COLLECTION_TIMING: IdleCollectionTiming = { minorAfterMs: 2_000, majorAfterMs: 10_000 };

/**
 * Gives memory back once the edits stop: after each build, unless another update starts first, a scavenge
 * `minorAfterMs` later and a full garbage collection `majorAfterMs` later (once per quiet spell).
 *
 * Why: V8 sizes the heap for the edit bursts — the young generation grows to twice `--max-semi-space-size`, and old
 * garbage piles up to the next full collection's limit — and then keeps it while the server idles (its memory
 * reducer did not run in 20 s of idle in the editor benchmark). On the 5,000-step benchmark file the server held
 * 360–520 MB after its edits, of which ~110 MB were live; after this collection, ~200–220 MB
 * (bench/issue-15-editor.md, "Server memory"). The scavenge first resets V8's allocation sample, so that the full
 * collection sees a low allocation rate and shrinks the young generation, as its memory reducer would.
 *
 * Needs `gc` (Node's `--expose-gc`, in `LANGUAGE_SERVER_EXEC_ARGV`); without it this does nothing.
 * The full collection blocks the server for ~0.1–0.5 s on that file; a request arriving meanwhile waits for it.
 */
export function collectGarbageWhenIdle(shared: LangiumSharedServices, gc: NodeJS.GCFunction | undefined = globalThis.gc, timing: IdleCollectionTiming = IDLE_COLLECTION_TIMING): void {
  if (typeof gc !== 'function') return;
  let timers: NodeJS.Timeout[] = [];
  const cancel = (): void => {
    for (const timer of timers) clearTimeout(timer);
    timers = [];
  };
  const builder = shared.workspace.DocumentBuilder;
  builder.onUpdate(cancel);
  builder.onBuildPhase(DocumentState.Validated, () => {
    cancel();
    // unref: a server whose client went away must still exit. `gc()`, not `gc({ type: 'major' })`: on Node 20 the
    // latter collected nothing in old space
    timers = [setTimeout(() => gc({ type: 'minor' }), timing.minorAfterMs).unref(), setTimeout(() => gc(), timing.majorAfterMs).unref()];
  });
}
