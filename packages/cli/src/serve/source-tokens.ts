// Highlighting for the console's Source tab, done on the server by the language's own lexer (the one the parser
// uses), so the page carries no highlighter and shows exactly what the language sees.
import { createHash } from 'node:crypto';
import { EmptyFileSystem } from 'langium';
import type { IToken } from 'chevrotain';
import { createBatonServices } from '@baton/language';

/** What a highlighted piece of source is; the console styles `.tok-<class>`. */
export type SourceTokenClass = 'keyword' | 'string' | 'number' | 'comment' | 'name';

/** One highlighted piece: `[offset, length, class]`, offsets and lengths in UTF-16 code units of the text, in order, never overlapping. */
export type SourceToken = [offset: number, length: number, kind: SourceTokenClass];

const STRING_TERMINALS = new Set(['STRING', 'TRIPLE_STRING', 'TEMPLATE_HEAD', 'TEMPLATE_MIDDLE', 'TEMPLATE_TAIL', 'TRIPLE_TEMPLATE_HEAD', 'TRIPLE_TEMPLATE_MIDDLE', 'TRIPLE_TEMPLATE_TAIL']);
const NUMBER_TERMINALS = new Set(['NUMBER', 'DURATION']);
const COMMENT_TERMINALS = new Set(['SL_COMMENT', 'ML_COMMENT']);

/** How many texts' tokens are kept (by SHA-256 of the text): a console shows the same few definitions again and again. */
const CACHE_SIZE = 64;
const cache = new Map<string, SourceToken[]>();
let lexer: { tokenize(text: string): { tokens: IToken[]; hidden: IToken[] } } | undefined;

/**
 * The highlighted pieces of a `.flow` text, from the Baton lexer (`services.parser.Lexer`, the multi-mode lexer of
 * baton-token-builder.ts): keywords (a token type named by its keyword), strings and template pieces, numbers and
 * durations, comments, and names (`ID`); punctuation, operators and white space get no piece. A text the lexer
 * cannot read whole is highlighted as far as its tokens go (lexing errors skip characters, never throw). Cached by
 * the text's SHA-256 (the last {@link CACHE_SIZE} texts). The services are built once per process, on first use
 * (~0.2 s).
 */
export function sourceTokens(text: string): SourceToken[] {
  const key = createHash('sha256').update(text).digest('hex');
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  lexer ??= createBatonServices(EmptyFileSystem, { batch: true }).Baton.parser.Lexer;
  const result = lexer.tokenize(text);
  const all = [...result.tokens, ...result.hidden].sort((a, b) => a.startOffset - b.startOffset);
  const tokens: SourceToken[] = [];
  for (const t of all) {
    const kind = classOf(t.tokenType.name);
    if (kind) tokens.push([t.startOffset, t.image.length, kind]);
  }
  cache.set(key, tokens);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return tokens;
}

function classOf(name: string): SourceTokenClass | undefined {
  if (STRING_TERMINALS.has(name)) return 'string';
  if (NUMBER_TERMINALS.has(name)) return 'number';
  if (COMMENT_TERMINALS.has(name)) return 'comment';
  if (name === 'ID') return 'name';
  // Langium names a keyword's token type by the keyword itself: words are keywords, the rest punctuation
  if (/^[A-Za-z_]\w*$/.test(name) && name !== 'WS') return 'keyword';
  return undefined;
}
