import type { IToken, TokenType } from 'chevrotain';
import { DefaultLexer, type LangiumCoreServices } from 'langium';

/**
 * A lexed token. A class of its own so that V8 gives its instances a hidden class (map) of their own: Chevrotain's
 * lexer makes its tokens with an object literal of the same property order as its `END_OF_FILE` token and the tokens
 * inserted by error recovery, whose positions are `NaN`. Sharing that map turns the six position fields into
 * boxed doubles (a 16-byte heap number each, 96 bytes more per token), and the doubles spread to everything built
 * from them: each CST leaf's offset and the two positions of its range (five heap numbers per leaf kept for the
 * document's life, ~8.8 MB on the 5,000-step benchmark file). Built by {@link BatonLexer}, these stay small integers.
 */
class BatonToken implements IToken {
  constructor(
    public image: string,
    public startOffset: number,
    public endOffset: number,
    public startLine: number,
    public endLine: number,
    public startColumn: number,
    public endColumn: number,
    public tokenTypeIdx: number,
    public tokenType: TokenType,
  ) {}
}

/** Langium's lexer with tokens made as {@link BatonToken}s (Chevrotain's `positionTracking: 'full'` token, same fields). */
export class BatonLexer extends DefaultLexer {
  constructor(services: LangiumCoreServices) {
    super(services);
    // the lexer calls `this.createTokenInstance(image, startOffset, tokenTypeIdx, tokenType, startLine, startColumn,
    // imageLength)`; Chevrotain sets it to its `createFullToken` (an object literal) for full position tracking
    (this.chevrotainLexer as unknown as { createTokenInstance: unknown }).createTokenInstance = (
      image: string,
      startOffset: number,
      tokenTypeIdx: number,
      tokenType: TokenType,
      startLine: number,
      startColumn: number,
      imageLength: number,
    ): IToken => new BatonToken(image, startOffset, startOffset + imageLength - 1, startLine, startLine, startColumn, startColumn + imageLength - 1, tokenTypeIdx, tokenType);
  }
}
