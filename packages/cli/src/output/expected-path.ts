import { nestedBodies, type FlowDef, type Statement } from '@baton/protocol';

/** Statements whose bodies run as their `branch.taken` says (its `branch` indexes `nestedBodies`; -1: none of them). */
const DECIDED = new Set<Statement['kind']>(['if', 'switch', 'choice', 'approval', 'waitEvent', 'waitSignal', 'waitUntil']);

/** The flow's own steps in a body: all of them, and those certain to be reached whenever the body runs. */
interface BodySteps {
  all: Set<string>;
  certain: Set<string>;
}

/**
 * `baton run`'s `step i/N` (the human printer): the flow's own steps (not a sub-flow's) reached so far — finished or
 * skipped, each counted once however often a loop runs it — of those its path may still reach. N starts as all the
 * flow's steps and drops the steps of the branches not taken as each top-level `branch.taken` comes (an `if`, a
 * `switch`, a `wait first`, an `on timeout`); while a step may still be left out (an undecided branch, a loop that
 * may run no time), N is an upper bound and reads `≤N`.
 */
export class ExpectedPath {
  private readonly all = new Set<string>();
  /** Steps the run may not reach: inside a branch not decided yet, or a loop that may not run. */
  private readonly uncertain = new Set<string>();
  /** Per decided statement (by node id): its bodies' steps, in `nestedBodies` order. */
  private readonly branches = new Map<string, BodySteps[]>();
  private readonly reachedSteps = new Set<string>();

  constructor(flow: FlowDef) {
    const top = this.walk(flow.body);
    for (const id of top.all) {
      this.all.add(id);
      if (!top.certain.has(id)) this.uncertain.add(id);
    }
  }

  /** A step reached (finished or skipped): `step i/N` (`i/≤N` while the path may still leave steps out); '' for a node that is not one of the flow's own steps. */
  reached(node: string | undefined): string {
    if (node === undefined || !this.all.has(node)) return '';
    this.reachedSteps.add(node);
    this.uncertain.delete(node);
    return `step ${this.reachedSteps.size}/${this.uncertain.size > 0 ? '≤' : ''}${this.all.size}`;
  }

  /** A `branch.taken` event: at the flow's top level (`scope` ''), the other bodies' steps leave the path. */
  taken(node: string | undefined, scope: string | undefined, branch: number | undefined): void {
    const bodies = node === undefined ? undefined : this.branches.get(node);
    if (!bodies || scope !== '' || branch === undefined) return;
    bodies.forEach((b, i) => {
      if (i === branch) {
        for (const id of b.certain) this.uncertain.delete(id);
        return;
      }
      for (const id of b.all) {
        if (this.reachedSteps.has(id)) continue;
        this.all.delete(id);
        this.uncertain.delete(id);
      }
    });
  }

  private walk(body: Statement[]): BodySteps {
    const all = new Set<string>();
    const certain = new Set<string>();
    for (const s of body) {
      if (s.kind === 'step') {
        all.add(s.id);
        certain.add(s.id);
        continue;
      }
      const bodies = nestedBodies(s).map((b) => this.walk(b));
      if (DECIDED.has(s.kind)) this.branches.set(s.id, bodies);
      // bodies that always run when `s` does: a parallel's branches, a block, a repeat (once at least), a lock's and a
      // region's own body, a foreach over a literal list with items
      const always = s.kind === 'parallel' || s.kind === 'block' || s.kind === 'repeat' ? bodies : s.kind === 'lock' || s.kind === 'region' ? bodies.slice(0, 1) : s.kind === 'foreach' && s.items?.kind === 'list' && s.items.items.length > 0 ? bodies : [];
      for (const b of bodies) for (const id of b.all) all.add(id);
      for (const b of always) for (const id of b.certain) certain.add(id);
    }
    return { all, certain };
  }
}
