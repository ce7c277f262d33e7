// The run page's Source tab: the `.flow` texts the run's definition was compiled from, highlighted with the tokens
// the server's lexer gave (`GET /runs/<id>/definition`), one tab per file, the selected step's lines marked and
// scrolled to. Text goes into the DOM as text nodes (never as markup).
import type { SourceRange } from '@baton/protocol';

/** One file as `GET /runs/<id>/definition` answers it: tokens are `[offset, length, class]`, in order. */
export interface SourceFileView {
  file: string;
  text: string;
  tokens: [number, number, string][];
}

/**
 * Whether a node's range (whose `file` is the path the definition was compiled from: absolute, or a URI) is in the
 * stored file `file` (the definition's name for it: relative, `/`-separated): equal, or ending in `/<file>`.
 */
export function sameFile(rangeFile: string, file: string): boolean {
  const a = rangeFile.replace(/\\/g, '/');
  return a === file || a.endsWith(`/${file}`);
}

/**
 * The source files in `host`: a tab per file and the text as lines (`<div class="src-line" data-line="n">`, 1-based)
 * of token `<span class="tok-<class>">`s. {@link show} marks a range's lines and scrolls them into view, switching
 * to its file's tab.
 */
export class SourceView {
  private files: SourceFileView[] = [];
  private current = -1;
  private readonly tabs: HTMLElement;
  private readonly code: HTMLElement;
  private marked: SourceRange | undefined;

  constructor(host: HTMLElement) {
    host.classList.add('source');
    this.tabs = document.createElement('div');
    this.tabs.className = 'src-tabs';
    this.tabs.setAttribute('role', 'tablist');
    this.code = document.createElement('pre');
    this.code.className = 'src-code';
    this.code.tabIndex = 0;
    host.replaceChildren(this.tabs, this.code);
  }

  /** Sets the files (the first is shown) or, with `message`, says why there are none. */
  setFiles(files: SourceFileView[], message?: string): void {
    this.files = files;
    this.current = -1;
    this.tabs.replaceChildren(
      ...files.map((f, i) => {
        const tab = document.createElement('button');
        tab.type = 'button';
        tab.className = 'src-tab';
        tab.setAttribute('role', 'tab');
        tab.textContent = f.file;
        tab.addEventListener('click', () => this.open(i));
        return tab;
      }),
    );
    this.tabs.hidden = files.length < 2;
    if (files.length === 0) {
      const note = document.createElement('p');
      note.className = 'muted src-missing';
      note.textContent = message ?? 'No source.';
      this.code.replaceChildren(note);
      return;
    }
    this.open(0);
  }

  /** Marks `range`'s lines (undefined: none) and scrolls to them, opening its file. */
  show(range: SourceRange | undefined): void {
    this.marked = range;
    if (!range) {
      this.mark();
      return;
    }
    const index = this.files.findIndex((f) => sameFile(range.file, f.file));
    if (index >= 0 && index !== this.current) this.open(index);
    else this.mark();
    const first = this.code.querySelector<HTMLElement>('.src-line.marked');
    first?.scrollIntoView({ block: 'center' });
  }

  private open(index: number): void {
    this.current = index;
    for (const [i, tab] of [...this.tabs.children].entries()) tab.setAttribute('aria-selected', String(i === index));
    const { text, tokens } = this.files[index];
    const lines: HTMLElement[] = [];
    let line = newLine(1);
    let at = 0;
    let t = 0;
    // walk the text once: plain stretches and token spans, split at line ends
    const emit = (from: number, to: number, kind: string | undefined): void => {
      let start = from;
      while (start < to) {
        const nl = text.indexOf('\n', start);
        const stop = nl < 0 || nl >= to ? to : nl;
        if (stop > start) {
          const piece = text.slice(start, stop);
          if (kind) {
            const span = document.createElement('span');
            span.className = `tok-${kind}`;
            span.textContent = piece;
            line.append(span);
          } else line.append(piece);
        }
        if (stop === nl && nl < to) {
          lines.push(line);
          line = newLine(lines.length + 1);
          start = nl + 1;
        } else start = stop;
      }
    };
    while (at < text.length) {
      const token = tokens[t];
      if (!token) {
        emit(at, text.length, undefined);
        break;
      }
      const [offset, length, kind] = token;
      if (offset > at) emit(at, offset, undefined);
      emit(Math.max(offset, at), offset + length, kind);
      at = Math.max(at, offset + length);
      t++;
    }
    lines.push(line);
    this.code.replaceChildren(...lines);
    this.mark();
  }

  private mark(): void {
    for (const el of this.code.querySelectorAll('.src-line.marked')) el.classList.remove('marked');
    const range = this.marked;
    if (!range || this.current < 0 || !sameFile(range.file, this.files[this.current].file)) return;
    const lines = this.code.children;
    // IR ranges are 1-based (lines and columns), the end exclusive: a range ending at column 1 stops on the line before
    const lastLine = range.end.column <= 1 && range.end.line > range.start.line ? range.end.line - 1 : range.end.line;
    for (let n = range.start.line; n <= lastLine && n <= lines.length; n++) lines[n - 1].classList.add('marked');
  }
}

function newLine(n: number): HTMLElement {
  const div = document.createElement('div');
  div.className = 'src-line';
  div.dataset.line = String(n);
  return div;
}
