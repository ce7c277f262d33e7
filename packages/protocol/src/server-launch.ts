/**
 * Node options the language server is started with (the extension's IPC launch; the editor benchmark uses the
 * same). Other LSP clients should pass them too: `node --max-semi-space-size=32 --expose-gc out/language-server.cjs --stdio`.
 *
 * `--max-semi-space-size=32` (MB; Node 20's default is 16): a re-check of a large file allocates tens of MB of
 * short-lived objects, and a larger young generation keeps more of it from being promoted (issue 3 raised it to 64
 * for the re-check's GC pauses, when every keystroke rebuilt all scopes and links). Since the incremental re-check
 * (issue 15), 16, 32 and 64 gave the same re-check within this machine's noise on the 5,000-step benchmark file,
 * while 64 costs up to 128 MB of resident young generation during edits (the server's RSS right after the editor
 * benchmark: 451–459 MB with 64, 292–296 MB with 32, 258–390 MB without; bench/issue-15-editor.md, "Server memory").
 * V8 grows the young generation only as far as allocation needs, so small files cost nothing extra.
 *
 * `--expose-gc`: the server collects garbage once its edits stop (`collectGarbageWhenIdle` in
 * packages/language-server), shrinking the young generation and old space back to what is live: ~190–210 MB on
 * that file between edit bursts. Without it the server works the same and keeps its edit-time heap.
 */
export const LANGUAGE_SERVER_EXEC_ARGV: readonly string[] = ['--max-semi-space-size=32', '--expose-gc'];
