import type { AstNode, MaybePromise, Stream, ValidationAcceptor, ValidationCategory, ValidationCheck } from 'langium';
import { ValidationRegistry, stream } from 'langium';
import type { CancellationToken } from 'vscode-languageserver';

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

  protected override wrapValidationException(check: ValidationCheck, thisObj: unknown): ValidationCheck {
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

  protected override addEntry(type: string, entry: Parameters<ValidationRegistry['addEntry']>[1]): void {
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
