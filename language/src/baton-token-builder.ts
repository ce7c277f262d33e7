import type { Grammar, GrammarAST } from 'langium';
import { DefaultTokenBuilder, RegExpUtils, type TokenBuilderOptions } from 'langium';
import type { IMultiModeLexerDefinition, TokenType, TokenVocabulary } from 'chevrotain';

/** Lexer mode names; see {@link BatonTokenBuilder}. */
export const LexerModes = {
  code: 'code',
  template: 'template',
  tripleTemplate: 'triple-template',
} as const;

const TEMPLATE_PIECES_OF_MODE = {
  [LexerModes.template]: ['TEMPLATE_MIDDLE', 'TEMPLATE_TAIL'],
  [LexerModes.tripleTemplate]: ['TRIPLE_TEMPLATE_MIDDLE', 'TRIPLE_TEMPLATE_TAIL'],
} as const;

/**
 * Builds a multi-mode lexer so that `${…}` inside strings holds real expressions.
 *
 * Modes (a stack, as in Chevrotain's multi-mode lexing):
 * - `code`: every token except the template continuations; `{` pushes `code`, `}` pops.
 * - `template`: entered by `"…${`; a `}` first tries `}…${` (stay) or `}…"` (pop), so a `}` that
 *   closes an interpolation resumes the string, while a `{ … }` record inside the expression still nests.
 * - `triple-template`: the same for `"""…${`.
 * An unbalanced `}` at the top level pops nothing; the parser reports it.
 */
export class BatonTokenBuilder extends DefaultTokenBuilder {
  /** Per terminal's pattern (its source): the partial regular expression `findLongerAlt` matches keywords with. */
  private readonly partials = new Map<string, RegExp>();

  /**
   * Langium's `findLongerAlt` (the terminals a keyword is a prefix of, or equal to: the keyword gives way to the longer
   * match), with each terminal's partial regular expression built once: Langium's `partialMatches` parsed the terminal's
   * pattern again for every keyword (~150 keywords × the terminals, at every start of the language server and CLI).
   */
  protected override findLongerAlt(keyword: GrammarAST.Keyword, terminalTokens: TokenType[]): TokenType[] {
    const longerAlts: TokenType[] = [];
    for (const token of terminalTokens) {
      const source = (token?.PATTERN as { source?: string } | undefined)?.source;
      if (!source) continue;
      let partial = this.partials.get(source);
      if (partial === undefined) this.partials.set(source, (partial = RegExpUtils.partialRegExp(`^${source}$`)));
      const match = keyword.value.match(partial);
      if (match && match[0].length > 0) longerAlts.push(token);
    }
    return longerAlts;
  }

  override buildTokens(grammar: Grammar, options?: TokenBuilderOptions): TokenVocabulary {
    const tokens = super.buildTokens(grammar, options) as TokenType[];
    const byName = (name: string): TokenType => {
      const token = tokens.find((t) => t.name === name);
      if (!token) throw new Error(`Baton grammar has no token ${name}`);
      return token;
    };
    byName('{').PUSH_MODE = LexerModes.code;
    const rbrace = byName('}');
    rbrace.POP_MODE = true;
    rbrace.LONGER_ALT = undefined; // the template continuations are tried before `}` in their own modes
    byName('TEMPLATE_HEAD').PUSH_MODE = LexerModes.template;
    byName('TRIPLE_TEMPLATE_HEAD').PUSH_MODE = LexerModes.tripleTemplate;
    byName('TEMPLATE_TAIL').POP_MODE = true;
    byName('TRIPLE_TEMPLATE_TAIL').POP_MODE = true;

    const continuations = new Set<string>([
      ...TEMPLATE_PIECES_OF_MODE[LexerModes.template],
      ...TEMPLATE_PIECES_OF_MODE[LexerModes.tripleTemplate],
    ]);
    const common = tokens.filter((t) => !continuations.has(t.name));
    const definition: IMultiModeLexerDefinition = {
      modes: {
        [LexerModes.code]: common,
        [LexerModes.template]: [...TEMPLATE_PIECES_OF_MODE[LexerModes.template].map(byName), ...common],
        [LexerModes.tripleTemplate]: [...TEMPLATE_PIECES_OF_MODE[LexerModes.tripleTemplate].map(byName), ...common],
      },
      defaultMode: LexerModes.code,
    };
    return definition;
  }
}
