import type { ILookaheadStrategy } from 'chevrotain';

/** A lookahead function as Chevrotain calls it: `this` is the parser; an alternation passes its alternatives. */
type LookaheadFunction = (this: unknown, arg?: unknown) => unknown;

/** The parts of Chevrotain's recognizer (Langium's `ChevrotainWrapper`) this reads and sets (protected in its types). */
interface LookaheadOwner {
  lookaheadStrategy: ILookaheadStrategy;
  lookAheadFuncsCache: Map<number, LookaheadFunction>;
  setLaFuncCache(key: number, value: LookaheadFunction): void;
}

/** How many decisions a parser has (a lookahead function each) and how many of their functions were built so far. */
export interface LookaheadCounts {
  decisions: number;
  built: number;
}

const counts = new WeakMap<object, LookaheadCounts>();

/**
 * The decisions of a parser made by {@link deferLookaheadFunctions} and how many of their lookahead functions its
 * parses have built so far; undefined for any other parser (one that built them all at start).
 * @param recognizer Chevrotain's parser (a Langium parser's `wrapper`).
 */
export function lookaheadCounts(recognizer: object): LookaheadCounts | undefined {
  const found = counts.get(recognizer);
  return found && { ...found };
}

/**
 * Makes Chevrotain's parser `recognizer` build each decision's lookahead function (an alternation, option or
 * repetition) when the parser first reaches it, instead of all of them in `performSelfAnalysis`.
 *
 * Chevrotain's `preComputeLookaheadFunctions` asks the lookahead strategy (Langium's: chevrotain-allstar's
 * `LLStarLookaheadStrategy`) for every decision of the grammar — its first-token sets from the grammar's paths and
 * the LL(1) tables — ~150 ms of CPU for Baton's grammar, at every start of the language server and of `baton check`,
 * where a small file reaches a fraction of the decisions. Here the strategy is wrapped: for each decision it returns a
 * stand-in that, on its first call, has the wrapped strategy build the decision's function with the same options it
 * would have been given at start, puts it in the parser's lookahead cache in its own place (later look-ups find the
 * real function: no indirection while parsing), and calls it. Functions depend only on the recorded grammar and the
 * strategy's ATN (both complete once `performSelfAnalysis` has run), so every decision predicts as before.
 *
 * Call before the parser's `performSelfAnalysis` (Langium's `finalize`).
 */
export function deferLookaheadFunctions(recognizer: object): void {
  const owner = recognizer as LookaheadOwner;
  const inner = owner.lookaheadStrategy;
  const count: LookaheadCounts = { decisions: 0, built: 0 };
  counts.set(recognizer, count);
  // each stand-in's key in the lookahead cache, told by setLaFuncCache right after the strategy made it
  const pending = new WeakMap<LookaheadFunction, (key: number) => void>();
  const standIn = (build: () => LookaheadFunction): LookaheadFunction => {
    let key: number | undefined;
    let real: LookaheadFunction | undefined;
    const stand: LookaheadFunction = function (this: unknown, arg?: unknown): unknown {
      if (real === undefined) {
        real = build();
        count.built++;
        // a repetition keeps the function it found in a local for its iterations: those calls come here again
        if (key !== undefined && owner.lookAheadFuncsCache.get(key) === stand) owner.lookAheadFuncsCache.set(key, real);
      }
      return real.call(this, arg);
    };
    pending.set(stand, (k) => (key = k));
    count.decisions++;
    return stand;
  };
  const lazy: ILookaheadStrategy = {
    validate: (options) => inner.validate(options),
    initialize: (options) => inner.initialize?.(options),
    buildLookaheadForAlternation: (options) => standIn(() => inner.buildLookaheadForAlternation(options) as LookaheadFunction) as ReturnType<ILookaheadStrategy['buildLookaheadForAlternation']>,
    buildLookaheadForOptional: (options) => standIn(() => inner.buildLookaheadForOptional(options) as LookaheadFunction) as ReturnType<ILookaheadStrategy['buildLookaheadForOptional']>,
  };
  owner.lookaheadStrategy = lazy;
  const setLaFuncCache = owner.setLaFuncCache;
  owner.setLaFuncCache = function (this: LookaheadOwner, key: number, value: LookaheadFunction): void {
    pending.get(value)?.(key);
    setLaFuncCache.call(this, key, value);
  };
}
