import type { AstNode, MaybePromise, Stream, ValidationAcceptor, ValidationCategory, ValidationCheck } from 'langium';
import { ValidationRegistry, stream } from 'langium';
import { byNodeType, type NodeKind } from './baton-ast-walk.js';
import type { CancellationToken } from 'vscode-languageserver';

/**
 * How a check's result may be reused after a statement-only re-parse: `'local'`, or a predicate over the nodes the
 * check reads (see {@link BatonValidationRegistry.markReusable}).
 */
export type CheckReuse = 'local' | ((node: AstNode) => boolean) | { statement: (statement: AstNode, accept: ValidationAcceptor) => void };

/**
 * Langium's validation registry, with the same checks and error handling, made cheap per node: a check
 * that returns nothing is called without the two promises Langium wraps around every call (a thrown
 * error is still reported as "An error occurred during validation: …" and a cancellation re-thrown),
 * and the checks of a node type are looked up once instead of building a stream per node. On a
 * 5,000-step flow (~45,000 nodes) that wrapping was ~25 ms of every re-check.
 */
export class BatonValidationRegistry extends ValidationRegistry {
  /** Per categories array (one per validation run; `all` without one): node type → its checks, until a check is registered. */
  private checksByCategories = new WeakMap<readonly ValidationCategory[], Map<string, ValidationCheck[]>>();
  private allChecks = new Map<string, ValidationCheck[]>();
  /** Each registered check's wrapper → the check as registered (for {@link reuseOf}). */
  private readonly originals = new WeakMap<ValidationCheck, ValidationCheck>();
  /** Check as registered → how its result may be reused after a statement-only re-parse (see {@link markReusable}). */
  private readonly reuse = new Map<ValidationCheck, CheckReuse>();

  /**
   * Says how the results of `checks` (the functions as registered) may be reused by an incremental validation
   * (baton-incremental-validation.ts): `'local'` — the check reads only its node, its subtree, its ancestors' types
   * and what its references point to, so its calls on a node outside the edit's dirty set are replayed; a
   * predicate — the check reads the whole flow or document, but only nodes the predicate holds for, so its calls
   * are replayed when no node of the replaced statement (old or new) is one; `{ statement }` — the check's calls
   * are those it makes on each statement, and `statement(s, accept)` makes them for one: when the previous
   * validation's check made none and the new statement makes none, none are made. Checks not marked always run.
   */
  markReusable(checks: readonly unknown[], reuse: CheckReuse): void {
    for (const check of checks) this.reuse.set(check as ValidationCheck, reuse);
  }

  /** How the result of `check` (as returned by {@link checksOf}) may be reused; undefined: it always runs. */
  reuseOf(check: ValidationCheck): CheckReuse | undefined {
    const original = this.originals.get(check);
    return original ? this.reuse.get(original) : undefined;
  }

  protected override wrapValidationException(check: ValidationCheck, thisObj: unknown): ValidationCheck {
    const wrapper = this.wrap(check, thisObj);
    this.originals.set(wrapper, check);
    return wrapper;
  }

  private wrap(check: ValidationCheck, thisObj: unknown): ValidationCheck {
    return (node: AstNode, accept: ValidationAcceptor, cancelToken: CancellationToken): MaybePromise<void> => {
      let result: MaybePromise<void>;
      try {
        result = check.call(thisObj, node, accept, cancelToken);
      } catch (error) {
        return this.handleException(() => {
          throw error;
        }, 'An error occurred during validation', accept, node);
      }
      if (result instanceof Promise) return this.handleException(() => result, 'An error occurred during validation', accept, node);
      return undefined;
    };
  }

  /** Changes whenever a check is registered (the checks of a type, and their indexes, may change). */
  generation = 0;
  /** Per categories: the kind of the nodes with checks (made again when a check is registered). */
  private checkedKinds = new Map<string, NodeKind>();

  /**
   * The kind of the nodes that have checks of `categories` (all without), for the shared node list's index of it
   * (baton-ast-walk.ts `nodesOfKind`): the validation goes through those, not every node. One object per registry
   * state and categories, so that the index is kept from one validation to the next.
   */
  checkedKind(categories?: ValidationCategory[]): NodeKind {
    const key = categories?.join(',') ?? '*';
    let kind = this.checkedKinds.get(key);
    if (!kind) {
      kind = { test: byNodeType((node) => this.checksOf(node.$type, categories).length > 0) };
      this.checkedKinds.set(key, kind);
    }
    return kind;
  }

  protected override addEntry(type: string, entry: Parameters<ValidationRegistry['addEntry']>[1]): void {
    this.generation++;
    this.checkedKinds = new Map();
    this.checksByCategories = new WeakMap();
    this.allChecks = new Map();
    super.addEntry(type, entry);
  }

  override getChecks(type: string, categories?: ValidationCategory[]): Stream<ValidationCheck> {
    return stream(this.checksOf(type, categories));
  }

  /** The checks of a node type (and of every node), as an array. */
  checksOf(type: string, categories?: ValidationCategory[]): readonly ValidationCheck[] {
    let byType = categories ? this.checksByCategories.get(categories) : this.allChecks;
    if (!byType) {
      byType = new Map();
      this.checksByCategories.set(categories!, byType);
    }
    let checks = byType.get(type);
    if (!checks) {
      checks = super.getChecks(type, categories).toArray();
      byType.set(type, checks);
    }
    return checks;
  }
}
