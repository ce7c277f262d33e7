/**
 * The panel page's start-up marks, for the first drawing's `rendered` answer (`RenderedMessage.phases`) and the
 * browser's performance timeline (`performance.mark('baton:<name>')`). Imported first by main.ts, so `script` is
 * when the bundle began to run (after the page was written and its script — in the page since issue 15 — compiled). Each value is
 * `Date.now()` (ms since the epoch: the extension host on the same machine compares it with its own clock).
 * Names: `navigation` (the page's navigation start), `script`, `ready` (the page listens), `elk` (elkjs loaded),
 * `graph` (the first graph message), `laidOut` (its layout done); the answer's `drawnAt` ends it.
 */
const marks: Record<string, number> = { navigation: Math.round(performance.timeOrigin), script: Date.now() };
let taken = false;

/** Records mark `name` the first time it is reached (later calls keep the first). */
export function mark(name: string): void {
  if (taken || name in marks) return;
  marks[name] = Date.now();
  performance.mark(`baton:${name}`);
}

/** The marks so far, once (the first drawing's answer carries them; later answers get undefined). */
export function takeMarks(): Record<string, number> | undefined {
  if (taken) return undefined;
  taken = true;
  return { ...marks };
}
