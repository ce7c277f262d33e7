/**
 * Node options the language server is started with (the extension's IPC launch; the editor benchmark uses the
 * same). Other LSP clients should pass them too: `node --max-semi-space-size=64 out/language-server.cjs --stdio`.
 *
 * `--max-semi-space-size=64` (MB; Node 20's default is 16): a re-check of a large file allocates tens of MB of
 * short-lived objects (parse, scopes, linking, validation); with the default young generation most of it is
 * promoted and the occasional full GC lands in a keystroke's re-check. With 64 MB the re-check of the
 * 5,000-step benchmark file went from p95 154–173 ms to 115–120 ms (p50 unchanged, ~110 ms; bench/README.md).
 * V8 grows the young generation only as far as allocation needs, so small files cost nothing extra.
 */
export const LANGUAGE_SERVER_EXEC_ARGV: readonly string[] = ['--max-semi-space-size=64'];
