import pc from 'picocolors';

/** The colour functions the CLI uses; all identity functions when colour is off. */
export type Colors = ReturnType<typeof pc.createColors>;

/**
 * Whether to colour a stream: only on a TTY, never when `NO_COLOR` is set (https://no-color.org),
 * always when `FORCE_COLOR` is set to something other than `0`.
 */
export function colorEnabled(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY);
}

/** Colour functions for a stream, following {@link colorEnabled}. */
export function colorsFor(stream: NodeJS.WriteStream): Colors {
  return pc.createColors(colorEnabled(stream));
}

/** Where the CLI writes: stdout for results, stderr for diagnostics about the command itself. */
export interface Output {
  out: (line: string) => void;
  err: (line: string) => void;
  colors: Colors;
  errColors: Colors;
}

/**
 * The process's real output. When the reader of stdout goes away (`baton run --json | head -1`: EPIPE), later
 * lines are dropped and the command carries on — a run is not failed, or left running, because nobody reads.
 */
export function processOutput(): Output {
  let readerGone = false;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    readerGone = true;
  });
  return {
    out: (line) => {
      if (!readerGone) process.stdout.write(line + '\n');
    },
    err: (line) => process.stderr.write(line + '\n'),
    colors: colorsFor(process.stdout),
    errColors: colorsFor(process.stderr),
  };
}

/** A JSON value shortened to at most `max` characters for one-line display (the protocol's `previewJson`). */
export { previewJson as preview } from '@baton/protocol/run-view';

/** A path relative to the working directory when it is inside it, for shorter messages. */
export function displayPath(file: string, cwd = process.cwd()): string {
  if (file.startsWith(cwd + '/')) return file.slice(cwd.length + 1);
  return file;
}
