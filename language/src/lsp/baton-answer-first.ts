import { DocumentState, type LangiumSharedCoreServices } from 'langium';

/**
 * Lets requests that only need a linked document be answered before the build validates it.
 *
 * Completion waits for its document to be `Linked` (Langium's handler), then computes its answer in the same
 * turn of the event loop. The answer is written out a turn later (vscode-jsonrpc queues each message with
 * `setImmediate`), but the build went on with validation at once: on a 5,000-step flow the answer to typing
 * `name.` waited for most of a validation (~0.2–0.8 s) that it does not need. Here, once the workspace is
 * linked, the build waits for the answers being computed and lets the event loop turn twice (the answers are
 * written), then validates. A build with no such request waits two turns.
 *
 * Only answers already being computed are waited for (never a request still waiting for a build), so a build
 * cannot wait for itself.
 */
export class AnswerFirst {
  /** Answers being computed: each entry settles when its answer is returned. */
  private readonly answering = new Set<Promise<unknown>>();
  /** How many answers have settled so far. */
  private settledCount = 0;

  constructor(shared: LangiumSharedCoreServices) {
    shared.workspace.DocumentBuilder.onBuildPhase(DocumentState.Linked, () => this.answered());
  }

  /** Runs `answer` as a request the build lets answer first; resolves or rejects as `answer` does. */
  track<T>(answer: () => Promise<T>): Promise<T> {
    const running = answer();
    const settled = running.then(
      () => undefined,
      () => undefined,
    );
    this.answering.add(settled);
    void settled.then(() => {
      this.answering.delete(settled);
      this.settledCount++;
    });
    return running;
  }

  /**
   * Resolves once no answer is being computed and those returned have been written out: the event loop turns twice
   * after the last answer settled. A request dispatched meanwhile (the connection reads one message per turn) is
   * waited for too, at most {@link MAX_ROUNDS} times, so a stream of requests cannot hold the build for long.
   */
  async answered(): Promise<void> {
    let seen = -1;
    for (let round = 0; round < MAX_ROUNDS && (seen !== this.settledCount || this.answering.size > 0); round++) {
      seen = this.settledCount;
      while (this.answering.size > 0) await Promise.all([...this.answering]);
      // the connection writes each answer a turn after it is returned (vscode-jsonrpc's setImmediate), and a request
      // read in this turn is dispatched in the next: two turns, whatever order they were queued in
      await nextTurn();
      await nextTurn();
    }
  }
}

/** How many times {@link AnswerFirst.answered} waits again for answers that started while it waited. */
const MAX_ROUNDS = 4;

const instances = new WeakMap<LangiumSharedCoreServices, AnswerFirst>();

/** The {@link AnswerFirst} of a language server's shared services (created on first use). */
export function answerFirst(shared: LangiumSharedCoreServices): AnswerFirst {
  let instance = instances.get(shared);
  if (!instance) {
    instance = new AnswerFirst(shared);
    instances.set(shared, instance);
  }
  return instance;
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
