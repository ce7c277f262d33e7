import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { DocumentState } from 'langium';
import type { LangiumSharedServices } from 'langium/lsp';

/** How long the event loop may be blocked before the trace says so (ms). */
const LAG_REPORT_MS = 200;

/**
 * A developer's trace of the server, for finding stalls: when the environment variable `BATON_LS_TRACE` names a
 * file, appends one line per event to it — `<pid> <ms since start> <event> <detail>` — for every JSON-RPC message in
 * and out (method, id, the file's name, a result's length and an error's message — never other params or
 * results: they hold the user's text), every document-builder phase, update
 * and parse (`parse <file>`: a document parsed for a build), and every time the event loop was blocked for more than {@link LAG_REPORT_MS} ms. Off (no cost)
 * when the variable is unset. Messages are seen on Node's IPC channel (`process.on('message')`, `process.send`),
 * so only an IPC-started server (the extension's) traces them; builder events are traced over any transport.
 */
export function startTrace(shared: LangiumSharedServices, file = process.env.BATON_LS_TRACE): void {
  if (!file) return;
  const t0 = performance.now();
  const write = (traceWrite = (event: string, detail = ''): void => {
    try {
      appendFileSync(file, `${process.pid} ${(performance.now() - t0).toFixed(0).padStart(7)} ${event} ${detail}\n`);
    } catch {
      // a trace that cannot be written is not worth failing the server for
    }
  });
  write('start', `pid ${process.pid}`);

  process.on('message', (message: { id?: number | string; method?: string; params?: { uri?: string; textDocument?: { uri?: string } } }) => {
    const uri = message.params?.uri ?? message.params?.textDocument?.uri;
    write(message.method ? (message.id !== undefined ? 'request' : 'notify') : 'reply-in', `${message.method ?? ''} #${message.id ?? ''}${uri ? ` ${baseName({ path: uri })}` : ''}`);
  });
  const send = process.send?.bind(process);
  if (send) {
    process.send = ((message: { id?: number | string; method?: string; error?: { message?: string }; result?: unknown }, ...rest: unknown[]) => {
      const result = Array.isArray(message.result) ? ` [${message.result.length}]` : message.result === null ? ' null' : '';
      const what = message.method ? `${message.method} #${message.id ?? ''}` : `#${message.id ?? ''}${result}${message.error ? ` error ${message.error.message ?? ''}` : ''}`;
      write(message.method ? 'send' : 'respond', what);
      return (send as (...args: unknown[]) => boolean)(message, ...rest);
    }) as typeof process.send;
  }

  // every parse the builder actually runs (a superseded build that stops before parsing has none)
  const factory = shared.workspace.LangiumDocumentFactory;
  const update = factory.update.bind(factory);
  factory.update = (document, cancelToken) => {
    write('parse', baseName(document));
    return update(document, cancelToken);
  };
  const builder = shared.workspace.DocumentBuilder;
  builder.onUpdate((changed, deleted) => write('update', `changed ${changed.map(baseName).join(',')} deleted ${deleted.map(baseName).join(',')}`));
  for (const state of [DocumentState.Parsed, DocumentState.Linked, DocumentState.Validated]) {
    builder.onBuildPhase(state, (documents) => write('phase', `${DocumentState[state]} ${documents.map(baseName).join(',')}`));
  }

  const delay = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
  const timer = setInterval(() => {
    const worst = delay.max / 1e6;
    if (worst > LAG_REPORT_MS) write('blocked', `${worst.toFixed(0)} ms`);
    delay.reset();
  }, 1000);
  timer.unref();
}

let traceWrite: ((event: string, detail?: string) => void) | undefined;

/** Adds a line to the trace when one is on ({@link startTrace}); nothing otherwise. */
export function trace(event: string, detail?: string): void {
  traceWrite?.(event, detail);
}

function baseName(uri: { path: string } | { uri: { path: string } }): string {
  const path = 'uri' in uri ? uri.uri.path : uri.path;
  return path.slice(path.lastIndexOf('/') + 1);
}
