import type { Diagnostic } from 'vscode-languageserver-types';
import type { AstNode, LangiumDocument, ParseResult, ReferenceInfo, ValidationAcceptor, ValidationOptions } from 'langium';
import { AstUtils, DefaultDocumentValidator, interruptAndCheck } from 'langium';
import type { CancellationToken } from 'vscode-languageserver';
import { astNodes, documentNodes, nodesOfKind } from './baton-ast-walk.js';
import { BatonValidationRegistry } from './baton-validation-registry.js';
import { NodeCheckRun, abandonValidation, finishValidation, linkingErrorCandidates, recordLinkingErrors, startValidation } from './baton-incremental-validation.js';
import type { BatonServices } from './baton-module.js';
import { IssueCodes, type IssueCode } from './baton-issue-codes.js';
import { didYouMean, suggestionText } from './baton-names.js';
import * as ast from './generated/ast.js';
import { NESTING_ERROR_PREFIX, type NestingError } from './baton-parser.js';

/**
 * Turns Langium's generic parse and linking errors into Baton diagnostics with stable codes and plain
 * messages: "unknown agent `Intak`; did you mean `Intake`?" instead of "Could not resolve reference".
 */
export class BatonDocumentValidator extends DefaultDocumentValidator {
  constructor(private readonly services: BatonServices) {
    super(services);
  }

  /**
   * Langium's validation, with the flow check made incremental after a statement-only re-parse
   * (baton-incremental-validation.ts): what it may reuse is planned before, and its results are kept once the
   * validation completed.
   */
  override async validateDocument(document: LangiumDocument, options: ValidationOptions = {}, cancelToken?: CancellationToken): Promise<Diagnostic[]> {
    startValidation(document);
    let diagnostics: Diagnostic[];
    try {
      diagnostics = await super.validateDocument(document, options, cancelToken);
    } catch (error) {
      abandonValidation(document);
      throw error;
    }
    finishValidation(document);
    return diagnostics;
  }

  /**
   * Langium's node-by-node validation (same nodes, order and checks), on the document's shared node list
   * (documentNodes) instead of its lazy streams, awaiting only checks that return a promise; cancellation
   * is still checked (and the event loop let run) every 256 nodes instead of at every node.
   */
  protected override async validateAstNodes(rootNode: AstNode, options: ValidationOptions, acceptor: ValidationAcceptor, cancelToken?: CancellationToken): Promise<void> {
    // with a profiler or per-node options (pruning), Langium's own walk
    if (this.profiler?.isActive('validating') || this.validateSingleNodeOptions !== DefaultDocumentValidator.prototype['validateSingleNodeOptions']) {
      return super.validateAstNodes(rootNode, options, acceptor, cancelToken);
    }
    const registry = this.validationRegistry;
    if (rootNode.$container || !(registry instanceof BatonValidationRegistry)) {
      const nodes = rootNode.$container ? astNodes(rootNode) : documentNodes(rootNode);
      for (let i = 0; i < nodes.length; i++) {
        if (cancelToken && (i & 255) === 255) await interruptAndCheck(cancelToken);
        for (const check of registry.getChecks(nodes[i].$type, options.categories)) {
          const result = check(nodes[i], acceptor, cancelToken!) as unknown;
          if (result instanceof Promise) await result;
        }
      }
      return;
    }
    // a document: the calls of checks the edit cannot change are replayed (baton-incremental-validation.ts), the rest recorded
    const run = new NodeCheckRun(AstUtils.getDocument(rootNode), `${registry.generation} ${options.categories?.join(',') ?? '*'}`);
    let node: AstNode = rootNode;
    let index = 0;
    const recording: ValidationAcceptor = (...args: Parameters<ValidationAcceptor>) => {
      run.record(node, index, args);
      (acceptor as (...a: Parameters<ValidationAcceptor>) => void)(...args);
    };
    let synchronous = true;
    // the nodes with checks (a kind the shared node list keeps an index of), in streamAst order
    const nodes = nodesOfKind(rootNode, registry.checkedKind(options.categories));
    for (let i = 0; i < nodes.length; i++) {
      if (cancelToken && (i & 255) === 255) await interruptAndCheck(cancelToken);
      const checks = registry.checksOf(nodes[i].$type, options.categories);
      for (let c = 0; c < checks.length; c++) {
        node = nodes[i];
        index = c;
        const replayed = run.replay(node, c, registry.reuseOf(checks[c]));
        if (replayed) {
          for (const args of replayed) recording(...args);
          continue;
        }
        const result = checks[c](node, recording, cancelToken!) as unknown;
        if (result instanceof Promise) {
          synchronous = false;
          await result;
        }
      }
    }
    if (synchronous) run.complete();
  }

  /**
   * Parse errors as `parse-error` diagnostics in words; text nested too deeply (BatonParser) as one
   * `nesting-too-deep` error on the bracket that opened the level too many, without the parse errors its
   * skipped text caused (those up to that bracket's closing bracket).
   */
  protected override processParsingErrors(parseResult: ParseResult, diagnostics: Diagnostic[], options: ValidationOptions): void {
    const nesting = parseResult.parserErrors.find((e) => e.message.startsWith(NESTING_ERROR_PREFIX)) as NestingError | undefined;
    const result = nesting
      ? { ...parseResult, parserErrors: parseResult.parserErrors.filter((e) => e === nesting || !(e.token.startOffset > nesting.token.startOffset && e.token.startOffset < (nesting.nestingEnd ?? 0))) }
      : parseResult;
    const before = diagnostics.length;
    super.processParsingErrors(result, diagnostics, options);
    for (let i = before; i < diagnostics.length; i++) {
      const d = diagnostics[i];
      const code = d.message.startsWith(NESTING_ERROR_PREFIX) ? IssueCodes.NestingTooDeep : IssueCodes.ParseError;
      d.code = code;
      d.data = { code };
      d.message = branchOutsideParallel(readableParseMessage(d.message));
    }
  }

  /**
   * Linking errors as diagnostics in words, in `document.references` order. After an incremental re-link, only the
   * references that had an error at the last validation and those linked again are looked at
   * (baton-incremental-validation.ts `linkingErrorCandidates`).
   */
  protected override processLinkingErrors(document: LangiumDocument, diagnostics: Diagnostic[], _options: ValidationOptions): void {
    const errors: unknown[] = [];
    for (const reference of (linkingErrorCandidates(document) ?? document.references) as LangiumDocument['references']) {
      const error = reference.error;
      if (!error) continue;
      errors.push(reference);
      const info = error.info;
      // An agent's stub must be a constant: `not-constant` already reports any name in it.
      if (AstUtils.getContainerOfType(info.container, ast.isStubProperty)) continue;
      const { code, message, replacement } = this.describe(info);
      const diagnostic = this.toDiagnostic('error', message, {
        node: info.container,
        range: reference.$refNode?.range,
        property: info.property,
        index: info.index,
        code,
        data: { code, refText: info.reference.$refText, ...(replacement ? { replacement } : {}) },
      });
      diagnostic.code = code;
      diagnostics.push(diagnostic);
    }
    recordLinkingErrors(document, errors);
  }

  /** The code and message of a linking error, and the closest known name (for the "did you mean" fix). */
  private describe(info: ReferenceInfo): { code: IssueCode; message: string; replacement?: string } {
    const name = info.reference.$refText;
    const candidates = (): string[] => {
      try {
        return this.services.references.ScopeProvider.getScope(info).getAllElements().map((d) => d.name).toArray();
      } catch {
        return [];
      }
    };
    let replacement: string | undefined;
    const hint = (): string => {
      replacement = didYouMean(name, candidates());
      return suggestionText(replacement);
    };
    // the message is built first (hint() sets the replacement), then paired with it
    const done = (code: IssueCode, message: string) => ({ code, message, replacement });
    const c = info.container;
    if (ast.isStep(c)) return done(IssueCodes.UnknownAgent, `unknown agent or flow \`${name}\`${hint()}`);
    if (ast.isCompensateProperty(c) || ast.isTestStubProperty(c)) return done(IssueCodes.UnknownAgent, `unknown agent \`${name}\`${hint()}`);
    if (ast.isToolEntry(c)) return done(IssueCodes.UnknownTool, `unknown tool \`${name}\`: no agent or flow is called that${hint()} (an MCP server's tool is written mcp.<server>.<tool>)`);
    if (ast.isTestFlowProperty(c)) return done(IssueCodes.UnknownFlow, `unknown flow \`${name}\`${hint()}`);
    if (ast.isTypeReference(c)) return done(IssueCodes.UnknownType, `unknown type \`${name}\`${hint()}`);
    if (ast.isInputRef(c)) {
      const known = candidates();
      return done(IssueCodes.UnknownInput, `unknown input \`${name}\`` + (known.length ? `; the flow's inputs are ${known.join(', ')}` : '; the flow has no inputs'));
    }
    if (ast.isCancelStatement(c)) return done(IssueCodes.UnknownName, `unknown name \`${name}\`: no region or step of this flow is called that${hint()}`);
    if (ast.isCompleteStatement(c)) return done(IssueCodes.UnknownName, `unknown name \`${name}\`: no region of this flow is called that${hint()}`);
    if (ast.isSetStatement(c) && info.property === 'variable') {
      return done(IssueCodes.UnknownName, `unknown name \`${name}\`: no \`var\` of this flow is called that${hint()}; declare it first (\`var ${name} = …\`)`);
    }
    if (ast.isOutputRef(c) || ast.isSetStatement(c)) {
      const known = candidates();
      return done(IssueCodes.UnknownOutput, `unknown output \`${name}\`` + (known.length ? `; the flow's outputs are ${known.join(', ')}` : '; the flow declares no outputs'));
    }
    return done(IssueCodes.UnknownName, `unknown name \`${name}\`: no step, approval, let value, var or loop variable of this flow is called that${hint()}`);
  }
}

/**
 * A statement cannot start with `branch`: only a `parallel`'s branch can (`branch { … }`). The parser's "expected
 * `}` but found `branch`" (or "unexpected `branch`") says so in words.
 */
function branchOutsideParallel(message: string): string {
  return /(but found|unexpected) `branch`$/.test(message) ? '`branch { … }` is a branch of a `parallel`: it can only stand directly inside `parallel { … }`' : message;
}

/** "Expecting token of type 'ID' but found `}`." → "expected a name but found `}`". */
function readableParseMessage(message: string): string {
  return message
    .replace(/^Expecting token of type '([^']+)' but found `([^`]*)`\.?/, (_m, token: string, found: string) => `expected ${tokenName(token)} but found \`${found}\``)
    .replace(/^Expecting: one of these possible Token sequences:[\s\S]*but found: '([^']*)'$/, (_m, found: string) => `unexpected \`${found}\``)
    .replace(/^Expecting: expecting at least one iteration[\s\S]*but found: '([^']*)'$/, (_m, found: string) => `unexpected \`${found}\``);
}

function tokenName(token: string): string {
  switch (token) {
    case 'ID':
      return 'a name';
    case 'STRING':
      return 'a string';
    case 'NUMBER':
      return 'a number';
    case 'DURATION':
      return 'a duration';
    case 'EOF':
      return 'the end of the file';
    default:
      return `\`${token}\``;
  }
}
