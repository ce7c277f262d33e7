import { DefaultValueConverter, type CstNode, type GrammarAST, type ValueType } from 'langium';

/**
 * Turns terminal text into values: strings lose their delimiters and escapes; template pieces lose
 * `"`, `${` and `}`; `\${` becomes a literal `${`. Durations stay text (the checker and the IR builder
 * read them with {@link parseDuration}).
 *
 * Escapes: `\n`, `\r`, `\t`, `\"`, `\\`, `\$`; any other `\c` stands for `c`.
 * Triple-quoted strings drop one newline right after the opening `"""` and the last line if it holds
 * only white space before the closing `"""`.
 */
export class BatonValueConverter extends DefaultValueConverter {
  protected override runConverter(rule: GrammarAST.AbstractRule, input: string, cstNode: CstNode): ValueType {
    switch (rule.name) {
      case 'STRING':
        return unescapeText(input.slice(1, -1));
      case 'TRIPLE_STRING':
        return trimTripleEnd(trimTripleStart(unescapeText(input.slice(3, -3))));
      case 'TEMPLATE_HEAD':
        return unescapeText(input.slice(1, -2));
      case 'TRIPLE_TEMPLATE_HEAD':
        return trimTripleStart(unescapeText(input.slice(3, -2)));
      case 'TEMPLATE_MIDDLE':
      case 'TRIPLE_TEMPLATE_MIDDLE':
        return unescapeText(input.slice(1, -2));
      case 'TEMPLATE_TAIL':
        return unescapeText(input.slice(1, -1));
      case 'TRIPLE_TEMPLATE_TAIL':
        return trimTripleEnd(unescapeText(input.slice(1, -3)));
      case 'DURATION':
        return input;
      case 'NUMBER':
        return Number(input);
      default:
        return super.runConverter(rule, input, cstNode);
    }
  }
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t' };

/** Resolves backslash escapes in string text (see {@link BatonValueConverter}). */
export function unescapeText(text: string): string {
  if (!text.includes('\\')) return text;
  let result = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\' && i + 1 < text.length) {
      const next = text[++i];
      result += ESCAPES[next] ?? next;
    } else {
      result += ch;
    }
  }
  return result;
}

function trimTripleStart(text: string): string {
  return text.replace(/^[ \t]*\r?\n/, '');
}

function trimTripleEnd(text: string): string {
  return text.replace(/\r?\n[ \t]*$/, '');
}

/** Milliseconds per duration unit. */
export const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Reads a duration literal (`250ms`, `30s`, `5m`, `2h`, `1d`, decimals allowed: `1.5s`).
 * @returns milliseconds, or `undefined` when the text has no known unit.
 */
export function parseDuration(text: string): number | undefined {
  const match = /^([0-9]+(?:\.[0-9]+)?)([a-zA-Z_]+)$/.exec(text);
  if (!match) return undefined;
  const unit = DURATION_UNITS[match[2]];
  return unit === undefined ? undefined : Math.round(Number(match[1]) * unit);
}
